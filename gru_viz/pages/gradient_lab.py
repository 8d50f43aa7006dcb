"""Gradient Lab: why a plain RNN forgets and a GRU remembers, with one slider.

controls (all in the URL) -> one cached run per cell (gru_viz.lab.analyse: trace,
gradient decay and per-unit influence from one pass) -> figures -> charts. Each cell is cached on
the settings it depends on only, so moving the update-gate bias recomputes the
GRU and the LSTM but not the RNN, and gate surgery recomputes only the GRU.
"""

import streamlit as st

from gru_viz import checkpoints, classroom, figures, gradients, lab, limits, presets, tasks, ui, workers
from gru_viz import figures_gradients as fg

GATES = {"none": "no surgery", "update": "update gate z", "reset": "reset gate r"}
NONLIN = {"tanh": "tanh", "relu": "relu (can explode)"}

st.title("📉 Gradient Lab")
st.markdown(  # math in $...$ (KaTeX, which the page loads anyway), not HTML: that would load a second renderer
    r"A plain RNN, a GRU and an LSTM read **the same input** with **the same hidden size**. The curve shows how much the "
    r"final state still depends on the state k steps earlier, $\lVert \partial h_T / \partial h_{T-k} \rVert$, on a log "
    "scale: where it falls to ~0, nothing learned from the last step can reach back that far. The GRU keeps its gradient "
    "alive because its update gate z sits near 1 (**z = 1 keeps the old state**, so the step is close to the identity)."
)


def settings_ui() -> dict:
    """Every setting of the lab, stacked in one narrow column (the page puts it beside the curve it moves)."""
    with st.container(border=True):
        inp = ui.input_ui(default_preset="noise", default_T=200)
        radius = ui.url_float_slider(
            "spectral radius ρ of $W_{hh}$", "rho", *lab.RADIUS, lab.RADIUS_DEFAULT, step=0.05,
            help="every recurrent block (RNN $W_{hh}$; GRU $W_{hr}, W_{hz}, W_{hn}$; "
                 "LSTM $W_{hi}, W_{hf}, W_{hg}, W_{ho}$) is rescaled "
                 "so that its largest |eigenvalue| is ρ. Below 1 the RNN's gradient vanishes, above 1 it can explode.",
        )
        bias = ui.url_float_slider(
            "update-gate bias b_z", "bz", *lab.BIAS, lab.BIAS_DEFAULT, step=0.25,
            help="total bias of the GRU's update gate (b_iz = b_z, b_hz = 0); the LSTM's forget gate gets the same. "
                 "σ(3) ≈ 0.95: the gate mostly keeps (z = 1 keeps the old state).",
        )
        H = ui.url_slider("hidden size H", "H", limits.UI_HIDDEN_SIZE, 32)
        nonlin = ui.url_choice("RNN activation", "nl", list(NONLIN), "tanh", labels=NONLIN)
        seed = ui.url_number("seed", "seed", presets.SEED, 0, help="the same seed for all three cells")
        show_lstm = ui.url_toggle("LSTM", "lstm", True, help="the LSTM's state is [h, c], twice as large: slower at large H")
    with st.container(border=True):
        st.markdown("**Gate surgery** (GRU): hold a gate at a fixed value.")
        gate = ui.url_choice("clamp", "clamp", list(GATES), "none", labels=GATES)
        units_text = ui.url_text("units (e.g. 1-4, 9 or all)", "units", "all", 200, disabled=gate == "none")
        value = ui.url_float_slider("clamped to", "cval", 0.0, 1.0, 1.0, step=0.05, disabled=gate == "none",
                                    help="update gate z = 1: the unit keeps its state (and its gradient), z = 0: "
                                         "it is overwritten; reset gate r = 0: the candidate ignores the old state, "
                                         "r = 1: it sees all of it")
    try:
        units = lab.parse_units(units_text, H)
    except ValueError as err:
        if gate != "none":  # without surgery the units field is unused (and disabled): nothing to warn about
            st.warning(f"Gate surgery: {err}. Clamping all units instead.", icon="⚠️")
        units = None
    units_key = "all" if units is None else ",".join(str(int(u) + 1) for u in units)
    label = "all units" if units is None else f"units {units_text.strip()}"
    return {**inp, "H": H, "radius": radius, "bias": bias, "nonlin": nonlin, "seed": seed, "lstm": show_lstm,
            "gate": gate, "units": units_key, "value": value, "units_label": label}


@st.cache_data(max_entries=48, show_spinner=False)
def run_cell(kind: str, preset: str, T: int, input_seed: int, text: str, H: int, seed: int, radius: float,
             nonlin: str = "tanh", bias: float = lab.BIAS_DEFAULT, gate: str = "none", units: str = "all",
             value: float = 1.0) -> lab.Result:
    """One cell of the lab (trace, decay curve, per-unit influence, eigenvalues), cached on the plain settings it
    depends on. The decay curve and the influence heatmap come from one pass over the lag products, in a worker
    process (gru_viz.workers: the three cells then really run side by side, each on its own core when free)."""
    x, _ = presets.build_input(preset, T, seed=input_seed, text=text)  # (T, D)
    model = lab.build(kind, x.shape[1], H, seed=seed, radius=radius, nonlinearity=nonlin, update_bias=bias)
    clamp = lab.clamp_values(gate, value, lab.parse_units(units, H), H) if kind == "GRU" else None
    return workers.call(lab.analyse, model, x, clamp=clamp, with_eigenvalues=False)  # eigenvalues: cell_eigenvalues


@st.cache_data(max_entries=48, show_spinner=False)
def cell_eigenvalues(kind: str, preset: str, T: int, input_seed: int, text: str, H: int, seed: int, radius: float,
                     nonlin: str = "tanh", bias: float = lab.BIAS_DEFAULT):
    """(H,) eigenvalues of one cell's main recurrent block (the input sets only its input size). They depend on
    the weights alone, so the page draws them before the cells run (their chart is on screen meanwhile, and
    Plotly is loaded by the time the cells' charts arrive)."""
    x, _ = presets.build_input(preset, T, seed=input_seed, text=text)
    return lab.eigenvalues(kind, x.shape[1], H, seed=seed, radius=radius, nonlinearity=nonlin, update_bias=bias)


def cell_settings(s: dict) -> dict:
    """name -> (kind, the settings that cell depends on): only those, so the cache is shared as far as possible."""
    common = dict(preset=s["preset"], T=s["T"], input_seed=s["input_seed"], text=s["text"], H=s["H"], seed=s["seed"],
                  radius=s["radius"])
    out = {f"RNN ({s['nonlin']})": ("RNN", {**common, "nonlin": s["nonlin"]}),
           "GRU": ("GRU", {**common, "bias": s["bias"], "gate": s["gate"], "units": s["units"], "value": s["value"]})}
    if s["lstm"]:
        out["LSTM"] = ("LSTM", {**common, "bias": s["bias"]})
    return out


@ui.fragment
def gradient_lab():
    # The settings sit in a column beside the curve they move, so that on a 1280 x 720 projector one scroll
    # position shows a slider and the curve together (above the curve, the settings pushed it off the screen).
    # Presentation mode keeps the two columns: stacked, they would be back on two screens.
    headline = st.container()  # the reading in one sentence, written once the cells have run
    controls, curves = st.columns([1.2, 2.3], gap="large")
    with controls:
        s = settings_ui()
    cells = cell_settings(s)
    try:
        with curves:
            decay_slot = st.empty()  # the curve, once the cells have run; under it the eigenvalues, drawn now
            if ui.first_time_this_visit("decay_chart"):  # nothing there yet: hold its place, the eigenvalues stay put
                scale = classroom.PRESENT_HEIGHT_FACTOR if classroom.is_presenting() else 1.0
                decay_slot.container(height=int(figures.DECAY_HEIGHT * scale) + 60, border=False)
            eigen_chart(s, cells)
        with headline, st.spinner("Backpropagating through time…"):  # above the curve, not under the settings
            # all cells at once, each in a worker process (run_cell): the operating system shares the cores
            results = ui.in_parallel({name: lambda kind=kind, kw=kw: run_cell(kind, **kw) for name, (kind, kw) in cells.items()})
    except ValueError as err:  # settings the core refuses: say why instead of a traceback
        with headline:
            st.error(f"Cannot run these settings: {err}")
        return
    decays = {name: r.decay for name, r in results.items()}
    short = {name.split(" ")[0]: d for name, d in decays.items()}
    overflow = [name for name, r in results.items() if r.exploded]
    growing = [name for name, r in results.items() if r.growing]
    with headline:
        st.markdown(f"#### {lab.caption(short)}")
        if overflow:
            st.warning(f"**Exploding gradients**: {', '.join(overflow)} overflowed (numbers beyond ~1e308 became inf or "
                       "NaN). Those values are left out of the curves and marked ✕ in the heatmaps; lower ρ or use tanh.",
                       icon="💥")
        if growing:
            st.warning(f"**Exploding gradients**: for {', '.join(growing)} the gradient grows without bound "
                       f"(above {1 / lab.THRESHOLD:.0e} after {s['T']} steps); training would blow up.", icon="💥")
    surgery = ""
    if s["gate"] != "none":
        surgery = f" GRU with its {GATES[s['gate']]} clamped to {s['value']:g} on {s['units_label']}."

    with decay_slot.container():
        fig = figures.decay_figure(decays, title="‖∂h<sub>T</sub>/∂h<sub>T−k</sub>‖ over the lag k")
        fig = fg.mark_threshold(fig, decays, lab.THRESHOLD)
        ui.plot(fig, f"Gradient norm over k steps back, T = {s['T']}, H = {s['H']}, ρ = {s['radius']:g}, "
                f"b_z = {s['bias']:g}.{surgery}", key="decay_chart", filename="gradient-decay")

    infl = {name: r.influence for name, r in results.items()}
    ui.plot(fg.influence_figure(infl, of="h"),
            r"Per-unit gradient magnitude $\lVert \partial h_T / \partial h_t[j] \rVert$ (log colour): bright = unit $j$ at step "
            "$t$ still moves the final "
            "hidden state; black = below 10⁻¹², its influence is gone.", key="influence_chart", filename="gradient-influence")

    gru = results["GRU"].trace
    a, b = classroom.chart_columns(2)
    with a:
        ui.plot(figures.state_heatmap(gru), "The GRU's hidden state h (blue −1, red +1)." + surgery, key="gru_h")
    with b:
        gate = "reset" if s["gate"] == "reset" else "update"
        ui.plot(figures.gate_heatmap(gru, gate), f"The GRU's {GATES[gate]} (yellow = 1)." + surgery, key="gru_gate")


def eigen_chart(s: dict, cells: dict) -> None:
    weights_only = ("preset", "T", "input_seed", "text", "H", "seed", "radius", "nonlin", "bias")  # not the surgery
    eig = fg.eigen_figure({f"{name} {_block(name)}": cell_eigenvalues(kind, **{k: v for k, v in kw.items() if k in weights_only})
                           for name, (kind, kw) in cells.items()}, title="eigenvalues vs the unit circle")
    ui.plot(eig, f"Eigenvalues of each cell's main recurrent block, all scaled to spectral radius ρ = {s['radius']:g}; "
            "outside the dashed circle $W_{hh}$ alone would stretch a direction at every step; the slope of tanh "
            "(at most 1) and the gates can still make the gradient fade.", key="eigen_chart", filename="eigenvalues")


@st.cache_data(max_entries=16, show_spinner=False)
def checkpoint_decay(name: str):
    """(T+1,) gradient decay of a shipped checkpoint on one sample (seed 0) of its own task."""
    model, _, entry = checkpoints.load_checkpoint(name)
    return trained_decay(model, entry)


def trained_decay(model, entry: dict):
    if entry.get("task"):
        x = checkpoints.example_input(entry, seed=0)[0]  # (T, D) a sample of its own task
    else:  # an uploaded model: seeded noise as wide as its input
        x = tasks.noise(100, D=model.input_size, seed=0)
    return gradients.gradient_decay(model, x, hidden_only=True)  # ||dh_T/dh_{T-k}||, as the lab's own curves


def trained_models_ui() -> None:
    """Gradients in trained models: shipped checkpoints and this session's trained or uploaded models."""
    st.subheader("…and in trained models")
    session = ui.session_models()
    try:
        choices = checkpoints.model_choices(session)
    except (OSError, ValueError) as err:
        st.warning(f"The shipped checkpoints cannot be read: {err}")
        return

    def from_link() -> list[str]:  # trained=name,name, else the adding-problem models
        raw = ui.query_get("trained")
        asked = [n for n in raw.split(",") if n] if raw is not None else [n for n in choices if n.endswith("adding_T100")]
        unknown = [n for n in asked if n not in choices]
        if unknown:
            st.warning(f"The link's trained models {ui.shorten(', '.join(unknown), 80)} are not here (a model trained in "
                       f"another session stays there); showing the others.", icon="⚠️")
        return [n for n in asked if n in choices]

    ui.init_widget("trained", from_link)
    opened = st.session_state.pop("open_model", None)  # set by the Training Lab's "Open in Gradient Lab"
    if opened in choices and opened not in st.session_state["w_trained"]:
        st.session_state["w_trained"] = [*st.session_state["w_trained"], opened]
    st.session_state["w_trained"] = [n for n in st.session_state["w_trained"] if n in choices]
    picked = st.multiselect("trained models (each on a sample of the task it was trained on)", list(choices),
                            key="w_trained", format_func=lambda n: choices[n])
    ui.write_query(trained=",".join(picked))  # none picked: "trained=" (a link keeps that too)
    if not picked:
        st.info("Pick a trained model to see its gradient curve.")
        return
    curves, cells = {}, {}  # label -> decay; label -> its cell kind
    for name in picked:
        try:
            if name in session:
                model, _, entry = checkpoints.LoadedModel(*session[name])
                decay = trained_decay(model, entry)
            else:
                entry = ui.checkpoint_entry(name)
                decay = checkpoint_decay(name)
        except ValueError as err:
            st.warning(f"{choices[name]}: {err}")
            continue
        # the title names the cell first ("GRU trained on ..."), which also gives the curve its cell's colour
        label = choices[name] if choices[name].startswith(entry["cell"]) else f"{entry['cell']}: {choices[name]}"
        curves[label], cells[label] = decay, entry["cell"]
    if not curves:
        return
    fig = figures.decay_figure(curves, title="trained models: ‖∂h<sub>T</sub>/∂h<sub>T−k</sub>‖ over the lag k",
                               legend_rows=len(curves))  # under the curves, not on them; a row per (long) name
    fig = fg.mark_threshold(fig, curves, lab.THRESHOLD)
    ends = "; ".join(f"{cells[n]} {d[-1]:.1e} after {d.size - 1} steps" for n, d in curves.items())
    ui.plot(fig, f"Gradient norm over the lag in models trained on toy tasks (the same weights the Gate Explorer shows): "
            f"{ends}.", key="trained_decay_chart", filename="gradient-decay-trained")


def _block(name: str) -> str:
    return {"RNN": "W<sub>hh</sub>", "GRU": "W<sub>hn</sub>", "LSTM": "W<sub>hg</sub>"}[name.split(" ")[0]]


gradient_lab()
trained_models_ui()
