"""Plotly figures for the Cell Step-Through and the Gradient Lab (no streamlit here).

    cell_flows(trace, t)          the numbers the cell diagram draws, each bound to a Trace array
    cell_diagram(trace, t)        the GRU cell at step t; path widths = how far each path's gate is open
    step_bars(trace, t)           h_{t-1}, r_t, z_t, n_t, h_t of one step as small bar charts
    eigen_figure(eigs)            eigenvalues of recurrent matrices against the unit circle
    influence_figure(panels)      per-unit gradient magnitude over time, one heatmap per cell, log colour scale

Conventions are those of gru_viz.figures (same colour scales, fonts, x = timestep,
y = unit numbered from 1). In the GRU diagram the update gate z *keeps*: the top
"keep" path carries z_t * h_{t-1}, the "write" path (1 - z_t) * n_t.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import plotly.graph_objects as go

from gru_viz.figures import (
    CELL_COLORS,
    FONT_SIZE,
    GATE_COLORS,
    GATE_COLORSCALE,
    GATE_TEXT_COLORS,
    MARGIN_COLORBAR,
    NONFINITE_COLOR,
    STATE_COLORSCALE,
    base_layout_dict,
    legend_below,
    log_ticks,
    panel_notes,
    payload,
    stride_note,
    time_stride,
)


def _figure(data: list, layout: dict) -> go.Figure:
    """A Figure from plain dicts, without Plotly's per-property validation: building the
    same figure through add_trace/update_layout took seconds (the template alone is
    re-validated against every annotation). Tests check what the builders write."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _columns(n: int, gap: float = 0.03, right: float = 1.0) -> list[list[float]]:
    """x domains of n side-by-side panels of equal width in [0, right]."""
    w = (right - gap * (n - 1)) / n
    return [[i * (w + gap), i * (w + gap) + w] for i in range(n)]


def _axis(i: int) -> str:
    return "" if i == 1 else str(i)

# ----------------------------------------------------------------------------
# the GRU cell at one step

# Where every number in the diagram comes from (the binding, tested).
FLOW_SOURCES = {
    "z": 'mean of trace.gates["update"][t-1]',
    "1-z": '1 - mean of trace.gates["update"][t-1]',
    "r": 'mean of trace.gates["reset"][t-1]',
    "n": 'mean of trace.gates["candidate"][t-1]',
    "h_prev": "mean of trace.h_prev[t-1]",
    "h": "mean of trace.h[t-1]",
}
STATE_COLOR = "#444444"  # h_{t-1} and h_t
PATH_MIN_WIDTH, PATH_MAX_WIDTH = 1.0, 16.0


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def _check_step(trace, t: int) -> int:
    if "update" not in trace.gates or "reset" not in trace.gates:
        raise ValueError("the cell diagram and step bars are for a GRU trace (gates reset, update, candidate)")
    if isinstance(t, bool) or int(t) != t or not 1 <= int(t) <= trace.T:
        raise ValueError(f"step t must be a whole number in [1, {trace.T}], got {t!r}")
    return int(t)


def cell_flows(trace, t: int, units=None) -> dict[str, float]:
    """Means over ``units`` (0-based; None = all) of the step-t arrays the diagram draws.

    Keys as in FLOW_SOURCES: "z" (keep path), "1-z" (write path), "r" (reset
    path), "n", "h_prev", "h". Non-finite units are left out of the means (NaN if none is finite).
    """
    t = _check_step(trace, t)
    u = slice(None) if units is None else np.asarray(units, dtype=int)
    if units is not None and ((u < 0) | (u >= trace.hidden_size)).any():
        raise ValueError(f"units must be 0-based indices in [0, {trace.hidden_size - 1}], got {list(u)}")
    z = trace.gates["update"][t - 1][u]  # (U,)
    flows = {
        "z": _mean(z),
        "1-z": _mean(1.0 - z),
        "r": _mean(trace.gates["reset"][t - 1][u]),
        "n": _mean(trace.gates["candidate"][t - 1][u]),
        "h_prev": _mean(trace.h_prev[t - 1][u]),
        "h": _mean(trace.h[t - 1][u]),
    }
    return flows


def path_width(flow: float) -> float:
    """Line width for a path carrying ``flow`` in [0, 1] (thin grey when unknown)."""
    if not np.isfinite(flow):
        return PATH_MIN_WIDTH
    return PATH_MIN_WIDTH + (PATH_MAX_WIDTH - PATH_MIN_WIDTH) * float(np.clip(flow, 0.0, 1.0))


def _opacity(flow: float) -> float:
    return 0.3 if not np.isfinite(flow) else 0.2 + 0.8 * float(np.clip(flow, 0.0, 1.0))


def _num(v: float, digits: int = 2) -> str:
    """v rounded for a label: '0.50', 'NaN', '∞' or '−∞'; a tiny negative reads '0.00', not '-0.00'."""
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    text = f"{v:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def cell_diagram(trace, t: int, units=None, height: int = 430) -> go.Figure:
    """The GRU cell at step t, with each path as wide as its gate is open (z, 1 - z or r).

    Paths (Scatter traces named so tests and readers can find them):
        "keep path"   h_{t-1} -> (x z_t) -> + -> h_t         width, opacity ~ mean z_t
        "write path"  n_t -> (x (1 - z_t)) -> + -> h_t        width, opacity ~ mean (1 - z_t)
        "reset path"  h_{t-1} -> (x r_t) -> candidate n_t     width, opacity ~ mean r_t
    Means are over ``units`` (0-based indices; None = all units). Every number
    printed comes from cell_flows (see FLOW_SOURCES); fig.layout.meta holds
    them too.
    """
    t = _check_step(trace, t)
    f = cell_flows(trace, t, units)
    cz, cr, cn = GATE_COLORS["update"], GATE_COLORS["reset"], GATE_COLORS["candidate"]  # paths and boxes
    tz, tr, tn = GATE_TEXT_COLORS["update"], GATE_TEXT_COLORS["reset"], GATE_TEXT_COLORS["candidate"]  # words on white
    # Plain dicts, made into one Figure at the end: add_trace/add_shape/add_annotation
    # re-validate the whole figure on every call (seconds for a drawing this size).
    traces, shapes, notes = [], [], []

    def path(name, xs, ys, flow, color, hover):
        traces.append(dict(
            type="scatter", x=xs, y=ys, mode="lines", name=name, showlegend=False,
            line=dict(width=path_width(flow), color=color if np.isfinite(flow) else "#999999",
                      dash="solid" if np.isfinite(flow) else "dot"),
            opacity=_opacity(flow), hoverinfo="text", hovertext=hover, hoveron="points",
        ))

    def box(x, y, w, h, color, text, name, text_color="white"):
        shapes.append(dict(type="rect", x0=x - w / 2, x1=x + w / 2, y0=y - h / 2, y1=y + h / 2, fillcolor=color,
                           line=dict(color=color, width=2), layer="above", name=name))
        notes.append(dict(x=x, y=y, text=text, showarrow=False, font=dict(size=FONT_SIZE - 2, color=text_color), name=name))

    def node(x, y, symbol, name):  # a round operator node (a marker, so it stays round at any aspect)
        traces.append(dict(type="scatter", x=[x], y=[y], mode="markers+text", text=[symbol], textposition="middle center",
                           marker=dict(size=30, color="white", line=dict(color="#333", width=2)),
                           textfont=dict(size=FONT_SIZE + 2), hoverinfo="skip", showlegend=False, name=name))

    def arrow(x, y, ax, ay, color, width=2.0):
        notes.append(dict(x=x, y=y, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                          arrowhead=2, arrowsize=1.0, arrowwidth=width, arrowcolor=color))

    def label(x, y, text, color, name, size=FONT_SIZE, **kw):
        notes.append(dict(x=x, y=y, text=text, showarrow=False, font=dict(size=size, color=color), name=name, **kw))

    TOP, LOW, GATE_Y = 5.3, 1.9, 3.6  # rows of the drawing
    X_SPLIT, X_RGATE, X_CAND, X_KEEP, X_ADD, X_OUT = 1.7, 3.7, 6.1, 8.4, 10.3, 11.6

    # the three paths, widths bound to the flows
    path("keep path", [0.95, X_KEEP, X_ADD, X_OUT - 0.55], [TOP] * 4, f["z"], cz,
         f"keep path: z̄ = {_num(f['z'], 4)} of h<sub>t−1</sub> carried over")
    path("write path", [X_CAND + 1.0, X_ADD, X_ADD], [LOW, LOW, TOP], f["1-z"], cn,
         f"write path: 1 − z̄ = {_num(f['1-z'], 4)} of the candidate written")
    path("reset path", [X_SPLIT, X_SPLIT, X_CAND - 1.0], [TOP, LOW, LOW], f["r"], cr,
         f"reset path: r̄ = {_num(f['r'], 4)} of the old state reaches the candidate")
    arrow(X_OUT - 0.5, TOP, X_OUT - 1.0, TOP, STATE_COLOR, 2.5)

    # gates (boxes) and operators (round nodes)
    box(X_RGATE, GATE_Y, 1.7, 1.0, cr, f"<b>r<sub>t</sub></b> {_num(f['r'])}", "reset gate", text_color="black")  # 9:1
    box(X_KEEP, GATE_Y, 1.7, 1.0, cz, f"<b>z<sub>t</sub></b> {_num(f['z'])}", "update gate")
    box(X_CAND, LOW, 1.9, 1.0, cn, f"<b>n<sub>t</sub></b> {_num(f['n'])}", "candidate", text_color="black")  # 7:1
    label(X_RGATE, GATE_Y + 0.72, "reset gate", tr, "reset gate name", FONT_SIZE - 3)
    label(X_KEEP - 1.05, GATE_Y + 0.72, "update gate", tz, "update gate name", FONT_SIZE - 3)
    label(X_CAND, LOW + 0.72, "candidate", tn, "candidate name", FONT_SIZE - 3)
    arrow(X_RGATE, LOW + 0.3, X_RGATE, GATE_Y - 0.5, cr)  # r_t into the reset multiply
    arrow(X_KEEP, TOP - 0.3, X_KEEP, GATE_Y + 0.5, cz)  # z_t into the keep multiply
    arrow(X_ADD - 0.25, LOW + 0.2, X_KEEP + 0.85, GATE_Y - 0.25, cz)  # 1 - z_t into the write multiply
    node(X_RGATE, LOW, "×", "reset multiply")
    node(X_KEEP, TOP, "×", "keep multiply")
    node(X_ADD, LOW, "×", "write multiply")
    node(X_ADD, TOP, "+", "sum")
    label(9.85, 3.35, "1 − z", tz, "one minus z", FONT_SIZE - 2)
    label(X_KEEP + 0.3, 4.75, "z", tz, "z", FONT_SIZE - 2)

    # end points
    box(0.5, TOP, 0.95, 0.85, STATE_COLOR, "h<sub>t−1</sub>", "h_prev")
    box(X_OUT, TOP, 0.95, 0.85, STATE_COLOR, "h<sub>t</sub>", "h")
    label(0.05, TOP - 0.75, f"mean {_num(f['h_prev'])}", "#555", "h_prev value", FONT_SIZE - 4, xanchor="left")
    label(X_OUT + 0.45, TOP - 0.75, f"mean {_num(f['h'])}", "#555", "h value", FONT_SIZE - 4, xanchor="right")

    # path labels: the numbers that set the widths
    label((X_SPLIT + X_KEEP) / 2, TOP + 0.6, f"<b>keep</b>  z̄ = {_num(f['z'])}   (z = 1 keeps h<sub>t−1</sub>)", tz,
          "keep label")
    label((X_CAND + X_ADD) / 2 + 0.5, LOW - 0.65, f"<b>write</b>  1 − z̄ = {_num(f['1-z'])}", tn, "write label")
    label((X_SPLIT + X_RGATE) / 2 - 0.1, LOW - 0.65, f"<b>reset</b>  r̄ = {_num(f['r'])}", tr, "reset label")
    label(6.0, 0.2, "x<sub>t</sub> and h<sub>t−1</sub> feed all three boxes (wires not drawn)", "#888", "inputs note",
          FONT_SIZE - 5)

    which = "all units" if units is None else "units " + ", ".join(str(int(i) + 1) for i in np.atleast_1d(units))
    sel = slice(None) if units is None else np.asarray(units, dtype=int)
    n_bad = int((~np.isfinite(np.stack([v[sel] for v in step_vectors(trace, t).values()]))).any(axis=0).sum())
    if n_bad:  # the means above leave these units out: say so
        which += f"; ⚠ {n_bad} non-finite unit{'s' if n_bad > 1 else ''} left out"
    layout = base_layout_dict(f"GRU cell at step t = {t}<br><sup>path width ∝ how far its gate is open (mean over {which})</sup>",
                              height=height)
    layout.update(
        shapes=shapes, annotations=notes, margin=dict(l=5, r=5, t=75, b=5),
        xaxis=dict(visible=False, range=[-0.1, 12.2], fixedrange=True),
        yaxis=dict(visible=False, range=[-0.1, 6.2], fixedrange=True),
        meta={"t": t, "flows": f, "sources": FLOW_SOURCES},
    )
    return _figure(traces, layout)


# ----------------------------------------------------------------------------
# the vectors of one step

STEP_VECTORS = (
    # key, title, Trace source, is a gate (range [0, 1])
    ("h_prev", "h<sub>t−1</sub><br>old state", "trace.h_prev", False),  # two lines: a fifth of a projector's width
    ("r", "r<sub>t</sub><br>reset", 'trace.gates["reset"]', True),
    ("z", "z<sub>t</sub> update<br>(1 = keep)", 'trace.gates["update"]', True),
    ("n", "n<sub>t</sub><br>candidate", 'trace.gates["candidate"]', False),
    ("h", "h<sub>t</sub><br>new state", "trace.h", False),
)


def step_vectors(trace, t: int) -> dict[str, np.ndarray]:
    """{key: (H,)} the five vectors of step t, read from the Trace (see STEP_VECTORS)."""
    t = _check_step(trace, t)
    return {
        "h_prev": trace.h_prev[t - 1],
        "r": trace.gates["reset"][t - 1],
        "z": trace.gates["update"][t - 1],
        "n": trace.gates["candidate"][t - 1],
        "h": trace.h[t - 1],
    }


def step_bars(trace, t: int, highlight=()) -> go.Figure:
    """h_{t-1}, r_t, z_t, n_t, h_t of step t as five small horizontal bar charts (y = unit, from 1 at the top).

    Bars are coloured with the shared scales (gates Viridis on [0, 1], states RdBu
    on [-1, 1]); units in ``highlight`` (0-based) get a black outline. Non-finite
    values are drawn as magenta ✕ at 0.
    """
    vecs = step_vectors(trace, t)
    H = trace.hidden_size
    units = np.arange(1, H + 1, dtype=np.int32)  # (H,)
    hl = np.isin(np.arange(H), np.asarray(list(highlight), dtype=int))
    traces, titles = [], []
    layout = base_layout_dict(None, height=int(np.clip(24 * H + 140, 300, 660)))
    # panels 8 % apart: the last tick label of one ("1") and the first of the next ("−1") stay apart at 1024 px
    for i, ((key, title, source, gate), dom) in enumerate(zip(STEP_VECTORS, _columns(5, 0.08), strict=True), start=1):
        v = vecs[key]  # (H,)
        ok = np.isfinite(v)
        shown = np.where(ok, v, 0.0)
        traces.append(dict(
            type="bar", x=shown, y=units, orientation="h", name=key, xaxis=f"x{_axis(i)}", yaxis="y",
            marker=dict(color=shown, colorscale=GATE_COLORSCALE if gate else STATE_COLORSCALE, cmin=0 if gate else -1,
                        cmax=1, line=dict(width=np.where(hl, 2.5, 0.0), color="black")),
            customdata=np.where(ok, v, np.nan), showlegend=False,
            hovertemplate=f"unit %{{y}}: {key} = %{{customdata:.4f}}<extra>{source}</extra>",
        ))
        if not ok.all():
            traces.append(dict(
                type="scatter", x=np.zeros(int((~ok).sum())), y=units[~ok], mode="markers", name=f"{key} non-finite",
                xaxis=f"x{_axis(i)}", yaxis="y", showlegend=False,
                marker=dict(symbol="x-thin", size=12, line=dict(width=2, color=NONFINITE_COLOR)),
                hovertemplate=f"unit %{{y}}: {key} is not finite<extra></extra>",
            ))
        layout[f"xaxis{_axis(i)}"] = dict(domain=dom, anchor="y", range=[0, 1] if gate else [-1, 1],
                                          tickvals=[0, 0.5, 1] if gate else [-1, 0, 1], zeroline=True, zerolinecolor="#888")
        titles.append(dict(text=title, x=(dom[0] + dom[1]) / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
                           yanchor="bottom", showarrow=False, font=dict(size=FONT_SIZE - 1)))
    layout.update(
        yaxis=dict(autorange="reversed", title=dict(text="unit"), dtick=1 if H <= 16 else None),
        annotations=titles, bargap=0.15, margin=dict(t=75, l=60, r=20, b=40),
    )
    return _figure(traces, layout)


# ----------------------------------------------------------------------------
# eigenvalues


def eigen_figure(eigs: dict, title: str = "eigenvalues of the recurrent matrix vs the unit circle") -> go.Figure:
    """Eigenvalues (complex arrays) of recurrent matrices, one marker set per name, against |lambda| = 1.

    Names starting with a cell kind ('RNN', 'GRU', 'LSTM') take that kind's
    colour. Outside the circle, a direction is amplified at every step (for a
    linear map); inside, it fades.
    """
    theta = np.linspace(0, 2 * np.pi, 241)  # (241,)
    traces = [dict(type="scatter", x=np.cos(theta), y=np.sin(theta), mode="lines", name="unit circle |λ| = 1",
                   line=dict(color="#555", width=2, dash="dash"), hoverinfo="skip")]
    reach = 1.0
    symbols = iter(["circle", "diamond", "square", "triangle-up", "cross"])
    for name, lam in eigs.items():
        lam = np.asarray(lam, dtype=complex).ravel()
        lam = lam[np.isfinite(lam)]
        if lam.size:
            reach = max(reach, float(np.abs(lam).max()))
        color = next((c for kind, c in CELL_COLORS.items() if str(name).startswith(kind)), "#444")
        traces.append(dict(
            type="scatter", x=lam.real, y=lam.imag, mode="markers", name=str(name), customdata=np.abs(lam),
            marker=dict(size=9, color=color, symbol=next(symbols, "circle"), opacity=0.8, line=dict(width=1, color="white")),
            hovertemplate=f"{name}<br>λ = %{{x:.3f}} %{{y:+.3f}}i<br>|λ| = %{{customdata:.3f}}<extra></extra>",
        ))
    r = 1.12 * reach
    layout = base_layout_dict(title, height=520)
    layout.update(
        xaxis=dict(range=[-r, r], title=dict(text="real part"), zeroline=True, zerolinecolor="#bbb"),
        yaxis=dict(range=[-r, r], title=dict(text="imaginary part"), zeroline=True, zerolinecolor="#bbb", scaleanchor="x",
                   scaleratio=1),
        legend=dict(orientation="v", font=dict(size=FONT_SIZE)),
    )
    return _figure(traces, legend_below(layout, rows=len(traces), gap=55))


# ----------------------------------------------------------------------------
# per-unit gradient magnitude over time

INFLUENCE_RANGE = (-12.0, 2.0)  # log10 colour range: 1e-12 .. 100, fixed so pictures compare
# Magma: sequential, colour-blind safe, distinct from the gates' Viridis. Its first colour, "#000004", is
# one of Streamlit's placeholder colours (#000001..#000010 are swapped for theme colours in the browser,
# which painted the lowest values lavender), so it is nudged to "#010106".
INFLUENCE_COLORSCALE = [[i / 9, c] for i, c in enumerate(
    ["#010106", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"])]
UNDERFLOW_LOG = -400.0  # log10 used for exact zeros (below float64's range): darkest colour


def log_magnitude(values) -> np.ndarray:
    """log10 |values|, with exact zeros (underflow) -> UNDERFLOW_LOG and NaN/inf kept as NaN/inf."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(v)
    out[v == 0] = UNDERFLOW_LOG
    return out


def influence_log_range(panels: dict, min_span: float = 3.0) -> tuple[float, float]:
    """A log10 colour range fitted to the finite, positive magnitudes of all panels: whole decades around
    them, at least ``min_span`` wide ((-1, 2) when there is nothing to fit). For a single picture whose
    magnitudes sit in a few decades, where the fixed INFLUENCE_RANGE would colour them all alike."""
    v = np.abs(np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in panels.values()]))
    logs = np.log10(v[np.isfinite(v) & (v > 0)])  # exact zeros (underflow) and NaN/inf do not count
    lo, hi = (float(np.floor(logs.min())), float(np.ceil(logs.max()))) if logs.size else (-1.0, 2.0)
    if hi - lo < min_span:
        lo = hi - min_span
    return lo, hi


def influence_figure(panels: dict, title: str = "how strongly each unit at step t still moves the final state",
                     max_cells: int = 12_000, of: str = "state", log_range: tuple[float, float] | None = None) -> go.Figure:
    """Heatmaps of per-unit gradient magnitude ||d state_T / d h_t[j]||, one per cell, side by side.

    Args:
        panels: name -> (T+1, H) magnitudes over t = 0..T (from gru_viz.gradients.influence,
            h columns only), e.g. {"RNN (tanh)": ..., "GRU": ..., "LSTM": ...}.
        max_cells: per panel; longer sequences show every k-th step (said in the title).
        of: what is differentiated, in the hover and colour bar labels: "state"
            (||d state_T / d h_t||) or "h" (||d h_T / d h_t||, gradients.decay_and_influence
            with hidden_only).
        log_range: (lo, hi) log10 colour range; default the fixed INFLUENCE_RANGE, so that
            pictures at different settings compare (see influence_log_range for one fitted
            to the data).
    Colour = log10 of the magnitude, one range shared by all panels. NaN/inf cells
    (an exploded run) are blank and marked ✕ in magenta.
    """
    names = list(panels)
    lo, hi = INFLUENCE_RANGE if log_range is None else log_range
    ticks = np.arange(lo, hi + 1, max(1, int(np.ceil((hi - lo) / 7))))  # at most ~8 labels
    label = f"‖∂{of}<sub>T</sub>/∂h<sub>t</sub>‖"  # e.g. ‖∂state_T/∂h_t‖, with Plotly's subscripts
    traces, notes, titles, strides = [], [], [], {}  # strides: panel -> its stride note ('' if every step is shown)
    layout = base_layout_dict(None)
    H = 1
    # 0.08 of the width between panels: at 0.05 the tick labels "200" and "0" of neighbours read "2000" on a projector
    for i, (name, dom) in enumerate(zip(names, _columns(len(names), 0.08, right=0.93), strict=True), start=1):
        v = np.asarray(panels[name], dtype=np.float64)  # (T+1, H)
        T1, H = v.shape
        k = time_stride(T1, H, max_cells)
        steps = np.arange(T1, dtype=np.int32)[::k]  # t = 0..T
        shown = v[::k]  # (T1/k, H)
        logs = log_magnitude(shown)
        finite = np.isfinite(logs)
        ax = dict(xaxis=f"x{_axis(i)}", yaxis="y")
        traces.append(dict(
            type="heatmap", z=payload(np.where(finite, logs, np.nan).T), x=steps, y=np.arange(1, H + 1, dtype=np.int32),
            coloraxis="coloraxis", name=str(name), hoverongaps=False, **ax,
            hovertemplate=f"{name}<br>step %{{x}}, unit %{{y}}<br>log₁₀ {label} = %{{z:.2f}}<extra></extra>",
        ))
        if not finite.all():
            ti, ui = np.nonzero(~finite)
            words = np.where(np.isnan(shown[ti, ui]), "NaN", "inf")
            traces.append(dict(
                type="scatter", x=steps[ti], y=ui + 1, mode="markers", name=f"{name} non-finite", showlegend=False,
                customdata=words.tolist(), marker=dict(symbol="x-thin", size=8, line=dict(width=2, color=NONFINITE_COLOR)),
                hovertemplate=f"{name}<br>step %{{x}}, unit %{{y}}: %{{customdata}} (exploded)<extra></extra>", **ax,
            ))
            notes.append(f"{name}: {int((~finite).sum())} cells NaN/inf (exploded, ✕)")
        strides[str(name)] = stride_note(k) if k > 1 else ""
        layout[f"xaxis{_axis(i)}"] = dict(domain=dom, anchor="y", range=[-0.5, T1 - 0.5], title=dict(text="timestep t"))
        titles.append(dict(text=str(name), x=(dom[0] + dom[1]) / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
                           yanchor="bottom", showarrow=False, font=dict(size=FONT_SIZE)))
    note = panel_notes(strides)
    notes = [*notes, note] if note else notes
    head = title + (f"<br><sup>{'; '.join(notes)}</sup>" if notes else "")
    layout.update(base_layout_dict(head, height=int(np.clip(8 * H + 220, 300, 520))))
    layout["margin"] = {**layout["margin"], "r": MARGIN_COLORBAR + 45}  # the colour bar's title beside it
    if notes:  # room for the second title line above the panel names
        layout["margin"]["t"] = 95
    layout.update(
        yaxis=dict(autorange="reversed", title=dict(text="unit")),
        annotations=titles,
        coloraxis=dict(colorscale=INFLUENCE_COLORSCALE, cmin=lo, cmax=hi,
                       colorbar=dict(title=dict(text=label, side="right"), thickness=18, tickvals=ticks,
                                     ticktext=[f"1e{int(e)}" for e in ticks])),
        meta={"names": names, "log_range": [lo, hi]},
    )
    return _figure(traces, layout)


# ----------------------------------------------------------------------------
# the decay curves' key number


def label_position(k: int, y: float, others: list, curves: list) -> str:
    """Where a marker's label "k = ..." at (k, y) on a log-y decay plot crosses no other curve: "top right"
    unless one of ``others`` (each (T+1,)) runs through that box, then the first free of bottom right, top
    left, bottom left. The box is a label's size: ~12 % of the lags wide, ~8 % of the plot's decades high
    (the decades ``curves`` span)."""
    logs = [np.log10(c[np.isfinite(c) & (c > 0)]) for c in map(np.asarray, curves)]
    logs = [v for v in logs if v.size]
    span = max(float(np.ptp(np.concatenate(logs))), 1.0) if logs else 1.0
    lags = max((len(o) for o in others), default=k + 1)
    w, h, ly = max(1, int(0.12 * lags)), 0.08 * span, np.log10(y)

    def crossed(j0: int, j1: int, y0: float, y1: float) -> bool:
        for o in others:
            seg = o[max(j0, 0) : max(j1, 0) + 1]
            seg = np.log10(seg[np.isfinite(seg) & (seg > 0)])
            if np.any((seg >= y0) & (seg <= y1)):
                return True
        return False

    boxes = {"top right": (k, k + w, ly, ly + h), "bottom right": (k, k + w, ly - h, ly),
             "top left": (k - w, k, ly, ly + h), "bottom left": (k - w, k, ly - h, ly)}
    return next((pos for pos, box in boxes.items() if not crossed(*box)), "top right")


def mark_threshold(fig: go.Figure, decays: dict, threshold: float = 1e-6) -> go.Figure:
    """Add to a decay figure (figures.decay_figure) the line y = threshold and, for each curve
    that crosses it, a marker at the first lag k with decay[k] < threshold, labelled k.

    Uses gru_viz.gradients.steps_until_below, the same number the page's caption prints.
    """
    from gru_viz.gradients import steps_until_below

    if not (isinstance(threshold, numbers.Real) and math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive number (a line on the log axis), got {threshold!r}")
    marks = []
    for name, d in decays.items():
        d = np.asarray(d, dtype=np.float64)
        k = steps_until_below(np.where(np.isfinite(d), d, np.inf), threshold)
        if k is None:
            continue
        color = next((c for kind, c in CELL_COLORS.items() if str(name).startswith(kind)), "#444")
        others = [np.asarray(o, dtype=np.float64) for other, o in decays.items() if other != name]
        y = float(d[k]) if d[k] > 0 else float(threshold)  # a curve that drops to exactly 0: mark it on the line
        marks.append(dict(
            type="scatter", x=[k], y=[y], mode="markers+text", text=[f"k = {k}"],
            textposition=label_position(k, y, others, [*decays.values(), [threshold]]),
            marker=dict(size=13, color=color, line=dict(width=2, color="white")), textfont=dict(size=FONT_SIZE, color=color),
            name=f"{name} below {threshold:.0e}", showlegend=False,
            hovertemplate=f"{name}: below {threshold:.0e} from lag k = {k}<extra></extra>",
        ))
    spec = fig.to_plotly_json()  # one copy of the figure (it is rebuilt, not mutated)
    layout = spec["layout"]
    layout["yaxis"] = {**layout.get("yaxis", {}), **log_ticks(*decays.values(), [threshold])}  # the line widens the axis
    layout["shapes"] = [*layout.get("shapes", []), dict(
        type="line", xref="paper", x0=0, x1=1, yref="y", y0=threshold, y1=threshold,
        line=dict(color="#888", dash="dot", width=2))]
    layout["annotations"] = [*layout.get("annotations", []), dict(
        x=1.0, xref="paper", y=float(np.log10(threshold)), yref="y", text=f"{threshold:.0e}: gone", showarrow=False,
        xanchor="right", yanchor="top", font=dict(size=FONT_SIZE - 3, color="#666"), name="threshold")]
    # the legend goes in the corner the curves and the threshold line leave emptiest
    x, y = legend_corner(list(decays.values()), threshold)
    layout["legend"] = dict(orientation="v", x=0.01 if x == "left" else 0.99, y=0.99 if y == "top" else 0.01, xanchor=x,
                            yanchor=y, bgcolor="rgba(255,255,255,0.8)", font=dict(size=FONT_SIZE))
    return _figure([*spec["data"], *marks], layout)


def legend_corner(curves: list, threshold: float, box: tuple[float, float] = (0.32, 0.36)) -> tuple[str, str]:
    """("left" | "right", "bottom" | "top"): the corner of a decay plot (lag on x, log norm on y) where a
    legend box of ``box`` (width, height, in fractions of the plot) covers the fewest points of the curves
    and of the threshold line, each curve followed along its whole length (200 points) and the dotted line
    counting a quarter as much. Ties go to the lower left, then the upper left (curves start at lag 0 with
    norm 1, so one of those two is usually empty)."""
    grid = np.linspace(0.0, 1.0, 200)
    xs, ys, weights = [], [], []
    for d in curves:
        d = np.asarray(d, dtype=np.float64)
        ok = np.isfinite(d) & (d > 0)
        if ok.sum() < 2:
            continue
        at = np.arange(d.size)[ok] / (d.size - 1)  # lag as a fraction of the axis
        inside = grid[(grid >= at[0]) & (grid <= at[-1])]
        xs.append(inside)
        ys.append(np.interp(inside, at, np.log10(d[ok])))
        weights.append(np.ones(inside.size))
    xs.append(grid)  # the threshold line runs across the plot
    ys.append(np.full(grid.size, np.log10(threshold)))
    weights.append(np.full(grid.size, 0.25))
    x, y, weight = np.concatenate(xs), np.concatenate(ys), np.concatenate(weights)
    lo, hi = float(y.min()), float(y.max())
    y = (y - lo) / (hi - lo) if hi > lo else np.full_like(y, 0.5)
    w, h = box
    corners = [("left", "bottom"), ("left", "top"), ("right", "bottom"), ("right", "top")]

    def covered(corner):
        in_x = x <= w if corner[0] == "left" else x >= 1 - w
        in_y = y <= h if corner[1] == "bottom" else y >= 1 - h
        return float(weight[in_x & in_y].sum())

    return min(corners, key=covered)  # min keeps the first of equals: the order above breaks ties
