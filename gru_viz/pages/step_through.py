"""Cell Step-Through: one GRU timestep at a time, with the real numbers.

controls (model + input, in the URL) -> cached run -> for the chosen step t:
the equations with live numbers (gru_viz.equations), the cell diagram and the
five vectors (gru_viz.figures_gradients). The step scrubber lives in a
fragment, so scrubbing reruns only the step view, never the model.
"""

import numpy as np
import streamlit as st

from gru_viz import classroom, components, equations, figures, limits, presets, ui
from gru_viz import figures_gradients as fg
from gru_viz.cells import GRU
from gru_viz.limits import Bound

VARIANTS = {"torch": "PyTorch: r ⊙ (W h + b)", "cho2014": "Cho 2014: W (r ⊙ h) + b"}  # short: the box is narrow
CLAMPS = {"free": "free (computed)", "0": "clamped to 0 (always write)", "1": "clamped to 1 (always keep)"}
MAX_UNITS_SHOWN = limits.UI_UNITS_SHOWN.hi

st.title("👣 Cell Step-Through")
st.markdown(
    "Walk through a GRU **one timestep at a time**. For the chosen step you see the four equations with the numbers "
    "the cell actually computed, a drawing of the cell whose paths are as wide as their gates are open, and every "
    "vector of that step. **Update-gate convention: z = 1 keeps the old state** "
    "(h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ h<sub>t−1</sub>, as in PyTorch); "
    "z = 0 replaces it with the candidate n<sub>t</sub>. The reset gate r only decides how much of the old state "
    "goes *into the candidate*.",
    unsafe_allow_html=True,
)


def model_ui() -> dict:
    if classroom.is_presenting():  # the larger type: the two choices on one row, the three numbers on the next
        a, e = st.columns(2, gap="medium")
        b, c, d = st.columns([2, 2, 1.3], gap="medium")
    else:  # the choices' labels ("clamped to 1 (always keep)") need the width more than the sliders do
        a, e, b, c, d = st.columns([3.4, 3.6, 1.8, 1.8, 1.2], gap="medium")
    with a:
        variant = ui.url_choice("GRU equations", "variant", list(VARIANTS), "torch", labels=VARIANTS,
                                help="where the candidate applies the reset gate: PyTorch after the recurrent matrix, "
                                     r"$r_t \odot (W_{hn} h_{t-1} + b_{hn})$; Cho et al. 2014 before it, "
                                     r"$W_{hn} (r_t \odot h_{t-1}) + b_{hn}$. Both are GRUs.")
    with e:
        zclamp = ui.url_choice("update gate z (gate surgery)", "zclamp", list(CLAMPS), "free", labels=CLAMPS,
                               help="$z = 1$ for every unit at every step: $h_t = h_{t-1}$, the state never changes (here it "
                                    "stays at $h_0 = 0$ whatever the input). $z = 0$: $h_t = n_t$, nothing of the old "
                                    "state is kept.")
    with b:
        H = ui.url_slider("hidden size H", "H", limits.UI_HIDDEN_SIZE, 8)
    with c:
        scale = ui.url_float_slider("init scale", "scale", *presets.INIT_SCALE, 2.0, step=0.1,
                                    help="multiplies the random weights: large values push gates towards 0 or 1")
    with d:
        seed = ui.url_number("seed", "seed", presets.SEED, 0, help="same seed, same weights, same picture")
    return {"variant": variant, "hidden_size": H, "init_scale": scale, "seed": seed, "zclamp": zclamp}


@st.cache_data(max_entries=32, show_spinner=False)
def run(variant: str, hidden_size: int, init_scale: float, seed: int, preset: str, T: int, input_seed: int, text: str,
        zclamp: str):
    """(model, trace, channel names) for plain settings."""
    x, names = presets.build_input(preset, T, seed=input_seed, text=text)  # (T, D)
    model = GRU(x.shape[1], hidden_size, variant=variant, seed=seed, init_scale=init_scale)
    clamp = None if zclamp == "free" else {"update": float(zclamp)}
    return model, model.run(x, clamp=clamp), names


with st.container(border=True):
    m = model_ui()
    inp = ui.input_ui(horizontal=True)
try:
    model, trace, names = run(**m, **inp)
except ValueError as err:  # settings the core refuses: say why instead of a traceback
    st.error(f"Cannot run these settings: {err}")
    st.stop()
ui.finite_or_warn(trace)
T, H = trace.T, trace.hidden_size


# -- the step scrubber: slider and buttons share one session-state value -----
STEP = "w_t"  # the slider's key (ui's convention: "w_" + URL key)


DRAWN = "step_drawn"  # the steps the last runs drew, newest last


def _move(delta: int) -> None:
    """prev/next: move t by ``delta`` from the step on screen.

    Pressed quickly, a press can reach the server before the browser has taken the last run's t into its slider:
    the rerun then carries the slider's older value, and moving from it undid the presses before (ten presses of
    "next" 150 ms apart moved six steps). A slider value that an earlier run drew, other than the last, is such
    an echo: move from the last drawn step instead.
    """
    t, drawn = st.session_state.get(STEP, 1), st.session_state.get(DRAWN, [])
    if drawn and t != drawn[-1] and t in drawn:
        t = drawn[-1]
    st.session_state[STEP] = int(np.clip(t + delta, 1, T))
    st.session_state[DRAWN] = [*drawn[-15:], st.session_state[STEP]]  # the base of the next press, drawn or not


def step_ui() -> int:
    bound = Bound("step t", 1, T)
    if STEP not in st.session_state:  # a first visit, a return to the page, or Back: t comes from the link
        st.session_state[STEP] = ui.query_int("t", min(T, max(1, T // 5 + 1)), bound)
        st.session_state[DRAWN] = []  # the steps drawn before are no echo of this slider
    st.session_state[STEP] = bound.clip(st.session_state[STEP])  # T may have shrunk
    side = 2.6 if classroom.is_presenting() else 1.6  # room for "◀ prev" / "next ▶" in the larger font
    prev, slider, nxt = st.columns([side, 10, side], vertical_alignment="bottom")
    # Every press counts (components.counting_button: st.button merged presses that reached the server together),
    # and the buttons are never disabled: one that disables itself at t = T drops the keyboard focus (Enter, a
    # presenter's clicker); at either end a press leaves t where it is, and the slider shows that t is at its end.
    # Both come before the slider: their presses move t before it is drawn.
    with prev:
        back = components.counting_button("◀ prev", key="prev", help="one step back (stops at t = 1)")
    with nxt:
        forward = components.counting_button("next ▶", key="next", help=f"one step on (stops at t = {T})")
    if forward != back:
        _move(forward - back)
    with slider:
        t = st.slider("timestep t", 1, max(T, 2), key=STEP, disabled=T < 2,
                      help="the step shown: the cell reads $x_t$ and turns $h_{t-1}$ into $h_t$")
    t = min(int(t), T)
    st.session_state[DRAWN] = [*st.session_state.get(DRAWN, [])[-15:], t]
    ui.write_query(t=t)
    return t


def units_ui() -> list[int]:
    """0-based units for the equations (the URL keeps them 1-based, e.g. units=1,2,3)."""
    default = list(range(min(3, H)))

    def from_link() -> list[int]:
        raw = ui.query_get("units")
        if raw is None:
            return default
        try:
            numbers = [ui.parse_int(s) for s in raw.split(",") if s.strip()]
            if None in numbers:
                raise ValueError
            chosen = sorted({n - 1 for n in numbers})
            if not chosen or min(chosen) < 0 or max(chosen) >= H or len(chosen) > MAX_UNITS_SHOWN:
                raise ValueError
            return chosen
        except ValueError:
            st.warning(f"The link's setting `units={ui.shorten(raw)}` was ignored: units must be up to {MAX_UNITS_SHOWN} "
                       f"numbers in 1..{H}, like 1,2,3. Using units {', '.join(str(u + 1) for u in default)}.", icon="⚠️")
            return default

    ui.init_widget("units", from_link)
    st.session_state["w_units"] = [u for u in st.session_state["w_units"] if u < H] or default
    chosen = st.multiselect("units in the equations", list(range(H)), key="w_units", max_selections=MAX_UNITS_SHOWN,
                            format_func=lambda u: f"unit {u + 1}", help="also outlined in the bar charts")
    chosen = sorted(chosen) or default
    ui.write_query(units=",".join(str(u + 1) for u in chosen))
    return chosen


@ui.fragment
def step_view():
    t = step_ui()
    # On a projector everything is larger: the diagram takes the full width and the equations follow it,
    # one under the other (side by side, neither had room for its labels at 1024-1280 px)
    presenting = classroom.is_presenting()
    left, right = (st.container(), st.container()) if presenting else st.columns([8, 5], gap="large")
    with right:
        units = units_ui()
        eq = equations.gru_step_equations(model, trace, t, units, colors=figures.GATE_TEXT_COLORS, narrow=not presenting)
        x_t = _fmt_x(trace.x[t - 1], names, one_hot_text=inp["preset"] == "text")
        st.markdown(f"**Step t = {t}** of {T}, input x<sub>t</sub> = {x_t}; "
                    f"units {', '.join(str(u + 1) for u in units)}:", unsafe_allow_html=True)
        st.latex(eq.latex["update"])
        st.latex(eq.latex["reset"])
    with left:
        ui.plot(fg.cell_diagram(trace, t), _diagram_caption(trace, t, model.variant), key="cell_diagram")
    if presenting:  # one under the other, in the order the cell computes them: n_t, then h_t
        b, a = st.container(), st.container()
    else:
        a, b = st.columns([2, 3], gap="large")  # h_t is tall and narrow, n_t wide: both fit at 1280 px with the sidebar
    with a:
        st.latex(eq.latex["hidden"])
    with b:
        st.latex(eq.latex["candidate"])
    ui.plot(fg.step_bars(trace, t, highlight=units), "The vectors of this step, one bar per unit (outlined: the units in "
            "the equations). Gates on [0, 1], states on [−1, 1], same colours as the heatmaps.", key="step_bars")


def _fmt_x(x: np.ndarray, names: list[str], one_hot_text: bool) -> str:
    if one_hot_text:  # name the active character
        return names[int(np.argmax(x))] if x.max() > 0 else "0"
    return ", ".join(f"{v:.3f}" for v in x)


def _diagram_caption(trace, t: int, variant: str) -> str:
    f = fg.cell_flows(trace, t)
    sees = "of the recurrent term $W_{hn} h_{t-1} + b_{hn}$" if variant == "torch" else "of the old state"
    return (f"At step {t} the cell keeps {f['z']:.0%} of its old state (mean z) and writes {f['1-z']:.0%} of the "
            f"candidate (mean 1 − z); the reset gate lets {f['r']:.0%} {sees} into the candidate (mean r).")


step_view()
