"""Phase Portrait: a 2-unit tanh RNN and a 2-unit GRU as maps h_{t-1} -> h_t under constant input.

controls (weights_ui, gates_ui; all in the URL) -> cached core call
(dynamics.two_unit_cells, dynamics.portrait) -> figures_compare.phase_portrait_figure.
"""

import math

import streamlit as st

from gru_viz import dynamics, figures_compare, limits, ui

LIM = 1.2  # the plotted square [-LIM, LIM]^2
W_RANGE = (-3.0, 3.0)
BIAS_RANGE = (-4.0, 8.0)
DEFAULT_W = {"w11": 2.0, "w12": -0.5, "w21": 0.5, "w22": 2.0}

st.title("🌀 Phase Portrait")
st.markdown(
    "Hold the input constant and a recurrent cell becomes a **map from one state to the next**, h<sub>t−1</sub> → h<sub>t</sub>. "
    "With two hidden units we can draw all of it: each arrow shows where **one step** moves the state, ● marks "
    "a stable fixed point (an attractor: a memory), ◇ a saddle, ○ an unstable point; the coloured paths start at "
    "the squares, one dot per step. Both cells use the **same recurrent weights W**: with its reset gate open "
    "(r ≈ 1 at a large reset bias) the GRU's candidate is the RNN's step, n = tanh(W h + u x + b), and its update "
    "gate mixes it with the old state, **h<sub>t</sub> = z·h<sub>t−1</sub> + (1 − z)·n (z = 1 keeps the old state)**. "
    "Raise the update-gate bias and watch every arrow shrink while the GRU's fixed points stay put: the update gate "
    "does not move them, it pulls each "
    "eigenvalue towards 1. That slows the dynamics, and it can turn a point the RNN overshoots into a GRU memory "
    "(try W11 = W22 = −2).",
    unsafe_allow_html=True,
)


def weights_ui() -> list[list[float]]:
    """The shared (2, 2) recurrent weights W."""
    st.markdown("**Recurrent weights W** (the RNN's $W_{hh}$ = the GRU's $W_{hn}$)")
    a, b = st.columns(2)
    W = {}
    for col, keys in ((a, ("w11", "w21")), (b, ("w12", "w22"))):
        with col:
            for k in keys:
                W[k] = ui.url_float_slider(f"W{k[1]}{k[2]} (unit {k[2]} → unit {k[1]})", k, *W_RANGE, DEFAULT_W[k], step=0.1)
    return [[W["w11"], W["w12"]], [W["w21"], W["w22"]]]


def gates_ui() -> dict:
    """GRU gate settings, the constant input and the trajectory length."""
    st.markdown("**GRU gates and the input**")
    b_z = ui.url_float_slider("update-gate bias b_z (z = σ(b_z): 1 keeps the state)", "bz", *BIAS_RANGE, 2.0, step=0.1)
    b_r = ui.url_float_slider("reset-gate bias b_r (large = candidate sees all of h)", "br", *BIAS_RANGE, 6.0, step=0.1)
    w_z = ui.url_float_slider("update-gate self weight (z also reads each unit's own state)", "wz", *W_RANGE, 0.0,
                              step=0.1)
    x = ui.url_float_slider("constant input x (drives unit 1 up, unit 2 down)", "x", -2.0, 2.0, 0.3, step=0.05)
    steps = ui.url_slider("steps drawn per trajectory", "steps", limits.UI_TRAJECTORY_STEPS, 20)
    arrows = ui.url_choice("arrow lengths", "arrows", ["same", "fit"], "same", radio=True,
                           labels={"same": "same scale in both (compare speeds)", "fit": "each panel fitted (see directions)"})
    return {"b_update": b_z, "b_reset": b_r, "w_update": w_z, "x": x, "steps": int(steps), "same_scale": arrows == "same"}


@st.cache_data(max_entries=64, show_spinner=False)
def compute(W: tuple, b_update: float, b_reset: float, w_update: float, x: float, steps: int):
    rnn, gru = dynamics.two_unit_cells([list(r) for r in W], b_update=b_update, b_reset=b_reset, w_update=w_update)
    return dynamics.portrait(rnn, x, LIM, steps=steps), dynamics.portrait(gru, x, LIM, steps=steps)


def _settle(k) -> str:
    """'reaches a stable point (within 0.01) in 14 steps' or '... none within 1000 steps'."""
    if k is None:
        return f"reaches no stable point within {dynamics.SETTLE_MAX_STEPS} steps"
    return f"is within 0.01 of a stable point after {k} step{'s' * (k != 1)}"


def _modulus(v: complex) -> str:
    """|λ| with 3 decimals, or 6 where 3 would print 1.000 for a value that is not 1 (it decides stable or not)."""
    m = abs(v)
    return f"{m:.6f}" if f"{m:.3f}" == "1.000" and m != 1.0 else f"{m:.3f}"


def _gate_value(z: float) -> str:
    """z with enough decimals that it never reads 0.00 or 1.00 when it is not (σ(6) = 0.9975, not 1.00)."""
    near = min(z, 1.0 - z)
    decimals = 2 if near <= 0 or near >= 0.01 else min(6, 1 - math.floor(math.log10(near)))
    return f"{z:.{decimals}f}"


def key_sentence(rnn: dict, gru: dict, b_update: float, w_update: float) -> str:
    ratio = gru["mean_step"] / rnn["mean_step"] if rnn["mean_step"] > 0 else math.nan
    z = 1.0 / (1.0 + math.exp(-b_update))
    zt = f"z = σ({b_update:g}) = {_gate_value(z)}" if w_update == 0 else f"z ≈ σ({b_update:g}) = {_gate_value(z)} at h = 0"
    stable = [sum(fp.kind == "stable" for fp in p["fixed_points"]) for p in (rnn, gru)]
    return (f"One GRU step moves the state {ratio:.2g}× as far as one RNN step on average "
            f"(mean arrow {gru['mean_step']:.2g} vs {rnn['mean_step']:.2g}; {zt}). "
            f"Stable fixed points: RNN {stable[0]}, GRU {stable[1]}. "
            f"From (−1, 1) the RNN {_settle(rnn['settle'][0])}; the GRU {_settle(gru['settle'][0])}.")


@ui.fragment
def page():
    with st.container(border=True):
        left, right = st.columns(2, gap="large")
        with left:
            W = weights_ui()
        with right:
            g = gates_ui()
    try:
        rnn, gru = compute(tuple(map(tuple, W)), g["b_update"], g["b_reset"], g["w_update"], g["x"], g["steps"])
    except ValueError as e:
        st.error(f"Cannot draw this portrait: {e}")
        return
    fig = figures_compare.phase_portrait_figure(
        [{"title": "tanh RNN<br>h<sub>t</sub> = tanh(W h<sub>t−1</sub> + u x + b)", **rnn},  # two lines: they fit over
         {"title": "GRU<br>h<sub>t</sub> = z·h<sub>t−1</sub> + (1 − z)·n", **gru}],   # half a projector's width
        lim=LIM, same_scale=g["same_scale"])
    ui.plot(fig, key_sentence(rnn, gru, g["b_update"], g["w_update"]), key="phase_portrait", filename="phase-portrait")
    with st.expander("Fixed points and their eigenvalues"):
        for name, p in (("RNN", rnn), ("GRU", gru)):
            for fp in p["fixed_points"]:
                lam = ", ".join(_modulus(v) for v in fp.eigenvalues)
                st.markdown(f"**{name}** {fp.kind} at ({fp.h[0]:.3f}, {fp.h[1]:.3f}): |eigenvalues| {lam}")
        st.caption("A fixed point attracts when every eigenvalue of the one-step Jacobian has modulus below 1. With "
                   "a constant update gate z, each GRU eigenvalue is z + (1 − z)·λ_RNN: pulled towards 1. A positive "
                   "one moves closer to 1, so the GRU is slower; a negative one (the RNN overshooting, flipping sign "
                   "every step) moves towards 0, so a point the RNN cannot hold can attract the GRU.")


page()
