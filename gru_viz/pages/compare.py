"""Compare Cells: 2-4 recurrent cells on the same input, same hidden size, same seed.

controls (cells_ui, ui.input_ui, size_ui; all in the URL) -> cached core calls
(registry.compare_run, cached per cell; registry.cost_table, registry.time_per_step) ->
figures_compare builders -> charts and a table.
"""

import math
from functools import partial

import numpy as np
import streamlit as st

from gru_viz import classroom, figures_compare, gradients, lab, limits, presets, registry, ui

DEFAULT_CELLS = ("gru", "lstm", "mgu", "mingru")
ACTIVATION_TEXT = {"sigmoid": "sigmoid 1/(1 + e⁻ᵃ)", "hard_sigmoid": "hard sigmoid clip(a/6 + 1/2, 0, 1) (torch)",
                   "none": "— (no gates)"}
SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")  # ∂s_60 -> ∂s₆₀ in a table header (plain text)

st.title("⚖️ Compare Cells")
st.markdown(
    "From the plain RNN to the GRU, the LSTM and their slimmed-down descendants: pick **2 to 4 cells**. They all read "
    "the **same input** with the **same hidden size and seed**, so every difference you see comes from the equations. "
    "Gates are dark = 0 (closed) to yellow = 1 (open); states blue (−1) to red (+1). "
    "**GRU-family update gate: z = 1 keeps the old state.** The MGU's forget gate works the other way round "
    "(f = 1 replaces the state), as in its paper."
)


def cells_ui() -> list[str]:
    """The chosen registry keys (URL key 'cells', comma separated)."""

    def from_link() -> list[str]:
        raw = ui.query_get("cells")
        if raw is None:
            return list(DEFAULT_CELLS)
        asked = [k for k in raw.split(",") if k]
        unknown = [k for k in asked if k not in registry.CELLS]
        if unknown:
            st.warning(f"The link's cells {ui.shorten(', '.join(unknown), 80)} are not known and were left out; "
                       f"choose from {', '.join(registry.CELLS)}.", icon="⚠️")
        known = list(dict.fromkeys(k for k in asked if k in registry.CELLS))
        if len(known) > 4:
            st.warning(f"The link names {len(known)} cells; the page compares at most 4, so "
                       f"{', '.join(known[4:])} were left out.", icon="⚠️")
        return known[:4] or list(DEFAULT_CELLS)

    keys = st.multiselect("cells to compare (2 to 4)", list(registry.CELLS), key=ui.init_widget("cells", from_link),
                          max_selections=4,
                          format_func=lambda k: registry.CELLS[k].label,
                          help="GRU1/2/3: Dey & Salem 2017 gate variants; MGU: Zhou et al. 2016; "
                               "minGRU: Feng et al. 2024; CIFG: Greff et al. 2015")
    ui.write_query(cells=",".join(keys))
    return keys


def size_ui() -> dict:
    a, b, c = st.columns(3)
    with a:
        H = ui.url_slider("hidden size H", "H", limits.UI_COMPARE_HIDDEN_SIZE, 8)
    with b:
        scale = ui.url_float_slider("init scale", "scale", *presets.INIT_SCALE, 3.0, step=0.1,
                                    help="multiplies every cell's random weights: large values push gates to 0 or 1")
    with c:
        seed = ui.url_number("seed", "seed", presets.SEED, 0, help="same seed for every cell")
    show = ui.url_choice("heatmaps show", "show", ["gates", "all"], "gates", radio=True,
                         labels={"gates": "gates + hidden state", "all": "gates, candidates + hidden state"})
    return {"hidden_size": H, "init_scale": scale, "seed": seed, "with_candidates": show == "all"}


@st.cache_data(max_entries=64, show_spinner=False)
def compare_cell(key: str, preset: str, T: int, input_seed: int, text: str, hidden_size: int, seed: int,
                 init_scale: float) -> tuple[dict, int]:
    """One cell of the comparison (registry.compare_run) and the input width D, cached on its own: adding or
    removing a cell reruns only that one."""
    x, _ = presets.build_input(preset, T, input_seed, text)
    return registry.compare_run(key, x, hidden_size, seed=seed, init_scale=init_scale), x.shape[1]


def compare(keys: tuple, preset: str, T: int, input_seed: int, text: str, hidden_size: int, seed: int, init_scale: float):
    """(runs in the order of keys, D), each cell from its own cache entry."""
    done = [compare_cell(key, preset, T, input_seed, text, hidden_size, seed, init_scale)
            for key in registry.check_compare_keys(keys)]
    return [run for run, _ in done], done[0][1]


@st.cache_data(max_entries=32, show_spinner=False)
def cost_rows(keys: tuple, D: int, H: int) -> list[dict]:
    rows = registry.cost_table(keys, D, H)
    models = [registry.build(k, D, H) for k in keys]
    seconds = registry.times_per_step(models, T=100, repeats=5)  # side by side
    for row, s, m in zip(rows, seconds, models, strict=True):
        row["us_per_step"] = 1e6 * s
        row["tuned_loop"] = m.has_tuned_loop  # the RNN, GRU and LSTM: fewer NumPy calls per step
    return rows


def table(rows: list[dict], runs: list[dict], D: int, H: int, T: int):
    grad = {r["key"]: r["grad_T"] for r in runs}
    # On a projector a static table: its text grows with the page's and wraps (a dataframe is drawn on a canvas
    # that presentation mode's CSS cannot enlarge, and at 1280 px it cut the reference column off).
    presenting = classroom.is_presenting()
    show = st.table if presenting else partial(st.dataframe, width="stretch")
    show(
        [{
            "cell": r["label"],
            "parameters": r["params"],
            "formula": r["formula"],
            "FLOPs / step": r["flops"],
            # a number (the dataframe sorts by it), or its text (st.table would print 3.7000)
            "measured µs / step": f"{r['us_per_step']:.1f}" if presenting else round(r["us_per_step"], 1),
            f"gradient ‖∂s{str(T).translate(SUBSCRIPT_DIGITS)}/∂s₀‖": f"{grad[r['key']]:.2e}",
            "gate activation": ACTIVATION_TEXT[r["gate_activation"]],
            "reference": registry.CELLS[r["key"]].reference,
        } for r in rows],
        hide_index=True,
    )
    st.caption(f"Parameters with D = {D} input channel(s) and H = {H} units (torch-style layout: an input and a "
               "recurrent bias per block where the cell has both). "
               "FLOPs: 2 per weight + 1 per bias + the element-wise operations. "
               "Time: CPU time of one NumPy step on this server, the cells measured in turn in the same rounds "
               "(Python overhead included, so small cells are not proportionally faster)." + _loop_note(rows))


def _loop_note(rows: list[dict]) -> str:
    """Why a cell with fewer FLOPs can take longer: which of them run a tuned loop and which the plain equations."""
    tuned = [r["label"] for r in rows if r["tuned_loop"]]
    plain = [r["label"] for r in rows if not r["tuned_loop"]]
    if not (tuned and plain):
        return ""
    tuned_run = f"{', '.join(tuned)} {'runs' if len(tuned) == 1 else 'run'}"
    plain_run = f"{', '.join(plain)} {'runs its' if len(plain) == 1 else 'run their'}"
    return (f" {tuned_run} a loop tuned for speed (fewer NumPy calls per step); {plain_run} equations step by step "
            "as written: compare times within each group, not across them.")


def key_sentence(runs: list[dict], rows: list[dict], T: int) -> str:
    """One line: the gradient that survives T steps in each cell, and the size ratio."""
    parts = ", ".join(f"{r['label']} {r['grad_T']:.1e}" for r in runs)
    finite = [r for r in runs if math.isfinite(r["grad_T"]) and r["grad_T"] > 0]
    kept = [r for r in finite if r["grad_T"] < lab.GROWS]
    grown = [r for r in finite if r["grad_T"] >= lab.GROWS]  # larger than it started: kept and more
    exploding = [r["label"] for r in grown if lab.explodes(r["grad_T"])]
    small, big = min(rows, key=lambda r: r["params"]), max(rows, key=lambda r: r["params"])
    out = f"Gradient reaching back {f'all {T} steps' if T != 1 else 'its one step'}: {parts}."
    if kept:
        out += f" {max(kept, key=lambda r: r['grad_T'])['label']} keeps the most."
    if exploding:
        out += f" In {', '.join(exploding)} it grows without bound: an exploding gradient, not a kept one."
    elif grown:
        out += f" In {', '.join(r['label'] for r in grown)} it even grows a little: nothing fades."
    if big["params"] != small["params"]:
        out += (f" {small['label']} has {small['params']} parameters, {big['label']} {big['params']} "
                f"({big['params'] / small['params']:.1f}×).")
    return out


def decay_sentence(runs: list[dict]) -> str:
    """One line under the decay plot: how many steps back each gradient stays above 1e-6 (and, when a curve
    rises above it again later, where it ends: the first crossing alone would contradict the end values)."""
    parts = []
    for r in runs:
        d = np.asarray(r["decay"], dtype=float)
        k = gradients.steps_until_below(d, 1e-6)
        if k is None:
            parts.append(f"{r['label']} never (within {len(d) - 1})")
        elif d[-1] >= 1e-6:
            parts.append(f"{r['label']} {k}, then back above it ({d[-1]:.1e} at {len(d) - 1})")
        else:
            parts.append(f"{r['label']} {k}")
    out = "Steps back until the gradient falls below 10⁻⁶: " + ", ".join(parts) + "."
    with_c = [r["label"] for r in runs if r["trace"].c is not None]
    if with_c:  # s is not h for these: say so, or the Gradient Lab (h alone) seems to disagree
        out += (f" s is each cell's whole state: h, and [h, c] for {', '.join(with_c)} (the Gradient Lab measures h "
                "alone, so its LSTM numbers differ).")
    return out


@ui.fragment
def page():
    with st.container(border=True):
        keys = cells_ui()
        inp = ui.input_ui(default_preset="sine", default_T=60, horizontal=True)
        size = size_ui()
    if len(keys) < 2:
        st.warning("Pick at least 2 cells to compare.", icon="☝️")
        return
    try:
        runs, D = compare(tuple(keys), inp["preset"], inp["T"], inp["input_seed"], inp["text"], size["hidden_size"],
                          size["seed"], size["init_scale"])
    except ValueError as e:
        st.error(f"Cannot run this comparison: {e}")
        return
    T = runs[0]["trace"].T
    for r in runs:
        if not r["trace"].finite:
            st.warning(f"{r['label']} exploded: some numbers overflowed to infinity or NaN (marked ✕).", icon="💥")
        elif lab.explodes(r["grad_T"]):  # as the Gradient Lab
            st.warning(f"**Exploding gradient**: in {r['label']} the gradient grows to {r['grad_T']:.1e} over "
                       f"{T} steps; training would blow up. Lower the init scale.", icon="💥")
    rows = cost_rows(tuple(keys), D, size["hidden_size"])
    colors = figures_compare.colors_for(keys)
    acts = {registry.CELLS[k].gate_activation for k in keys} - {"none"}
    st.markdown("**Gate activation in use:** " + "; ".join(
        f"{registry.CELLS[k].label}: {ACTIVATION_TEXT[registry.CELLS[k].gate_activation]}" for k in keys)
        if len(acts) > 1 else f"**Gate activation in use:** {ACTIVATION_TEXT[acts.pop()] if acts else '— (no gates)'} "
        "for every gated cell.")

    caption = key_sentence(runs, rows, T)
    fig = figures_compare.compare_gates_figure([(r["label"], r["kind"], r["trace"]) for r in runs],
                                               with_candidates=size["with_candidates"])
    ui.plot(fig, caption, key="compare_gates", filename="compare-gates")
    left, right = classroom.chart_columns([2, 1], gap="large")
    with left:
        curves = {r["label"]: r["decay"] for r in runs}
        dashed = [registry.CELLS[k].label for k in keys if registry.CELLS[k].gate_activation == "hard_sigmoid"]
        dfig = figures_compare.compare_decay_figure(curves, {registry.CELLS[k].label: colors[k] for k in keys}, dashed)
        ui.plot(dfig, decay_sentence(runs), key="compare_decay", filename="compare-decay")
    with right:
        st.markdown("**What is each cell?**")
        for k in keys:
            s = registry.CELLS[k]
            st.markdown(f"**{s.label}** ({s.reference}): {s.description}")
    table(rows, runs, D, size["hidden_size"], T)

page()
