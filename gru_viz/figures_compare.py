"""Figures for comparing cells side by side, and for the 2-unit phase portrait (no streamlit here).

Uses the shared conventions of gru_viz.figures: gates on the fixed [0, 1]
sequential scale, states on the fixed [-1, 1] diverging scale, gradient decay
on a log axis, large fonts for projection.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from gru_viz import figures
from gru_viz.figures import (
    FONT_SIZE,
    GATE_COLORSCALE,
    STATE_COLORSCALE,
    TANH_GATES,
    heatmap_dicts,
)

# One colour per cell kind in line plots (Okabe-Ito; RNN/GRU/LSTM as in figures.CELL_COLORS).
KEY_COLORS = {
    "rnn": "#D55E00", "gru": "#0072B2", "gru_hard": "#0072B2", "gru_cho": "#56B4E9", "lstm": "#009E73",
    "lstm_hard": "#009E73", "cifg": "#56B4E9", "mgu": "#CC79A7", "mingru": "#E69F00",
    "gru1": "#000000", "gru2": "#999999", "gru3": "#882255",
}
SPARE_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255"]

# How each gate reads, per cell where the meaning differs from figures.GATE_TITLES.
GATE_LABELS = {
    "update": "update z (1 = keep old state)",
    "reset": "reset r (0 = ignore old state)",
    "input": "input i (1 = write)",
    "forget": "forget f (1 = keep cell)",
    "output": "output o (1 = show cell)",
    "candidate": "candidate n",
    "cell": "cell input g",
}
GATE_LABELS_BY_KIND = {
    "MGU": {"forget": "forget f (1 = REPLACE state: f plays 1 − z)"},
    "CIFG": {"input": "input i = 1 − f (coupled)"},
}


def colors_for(keys) -> dict[str, str]:
    """A distinct colour for each selected registry key (its own colour unless already taken)."""
    out, used = {}, set()
    for k in keys:
        c = KEY_COLORS.get(k)
        if c is None or c in used:
            c = next(s for s in SPARE_COLORS + ["#444444"] if s not in used or s == "#444444")
        out[k] = c
        used.add(c)
    return out


def gate_label(kind: str, gate: str) -> str:
    return GATE_LABELS_BY_KIND.get(kind, {}).get(gate, GATE_LABELS.get(gate, gate))


def shown_gates(trace, with_candidates: bool = False) -> list[str]:
    """The gates to draw: the sigmoid gates (and the tanh/linear candidates if asked)."""
    return [g for g in trace.gates if with_candidates or g not in TANH_GATES]


def compare_gates_figure(runs: list[tuple[str, str, object]], with_candidates: bool = False, max_cells: int = 6000):
    """Every cell's gates and hidden state stacked on one shared time axis.

    Args:
        runs: [(label, kind, trace)] in display order; kind is the model's ``kind`` ("GRU", "MGU", ...).
        with_candidates: also draw candidates / cell inputs (state scale).
    Gates share one [0, 1] colour axis, states another on [-1, 1], so equal
    colours mean equal numbers across cells.
    """
    panels = []  # (label, values, coloraxis, name)
    for label, kind, trace in runs:
        for g in shown_gates(trace, with_candidates):
            axis = "coloraxis2" if g in TANH_GATES else "coloraxis"
            panels.append((f"<b>{label}</b> · {gate_label(kind, g)}", trace.gates[g], axis, g))
        panels.append((f"<b>{label}</b> · hidden state h", trace.h, "coloraxis2", "h"))
    if not runs:
        raise ValueError("nothing to compare: choose at least one cell")
    T, H = runs[0][2].T, runs[0][2].hidden_size
    n = len(panels)
    row_h, gap = int(np.clip(10 * H, 60, 160)), 46  # px per panel, px between panels
    total = row_h * n + gap * (n - 1) + 110
    data, notes = [], {}  # panel -> its note ('' if none)
    layout = figures.base_layout_dict(None, height=int(total))
    layout.update(figures.stacked_axes(n, gap / total, titles=[p[0] for p in panels]))
    for i, (title, values, axis, name) in enumerate(panels, start=1):
        ax = "" if i == 1 else str(i)
        traces, note = heatmap_dicts(values, name=name, coloraxis=axis, max_cells=max_cells)
        data += [{**tr, "xaxis": f"x{ax}", "yaxis": f"y{ax}"} for tr in traces]
        notes[f"{title.split('·')[0].replace('<b>', '').replace('</b>', '').strip()} {name}"] = note
        layout[f"xaxis{ax}"].update(range=[0.5, T + 0.5], tickfont=dict(size=FONT_SIZE - 4))
        layout[f"yaxis{ax}"].update(autorange="reversed", title=dict(text="unit", font=dict(size=FONT_SIZE - 4)),
                                    tickfont=dict(size=FONT_SIZE - 4))
    layout[f"xaxis{n if n > 1 else ''}"].update(title=dict(text="timestep"), showticklabels=True)
    for ann in layout["annotations"]:  # panel titles at the left edge
        ann.update(x=0.0, xanchor="left", font=dict(size=FONT_SIZE - 2))
    head, note = "gates and hidden state, one shared time axis", figures.panel_notes(notes)
    if note:
        head += "<br><sup>" + note + "</sup>"
    layout.update(
        title=dict(text=head, font=dict(size=FONT_SIZE + 4), x=0.0, xanchor="left"),
        margin=dict(l=70, r=160, t=90 if note else 60, b=60),  # room for the note above the first panel's name
        coloraxis=dict(colorscale=GATE_COLORSCALE, cmin=0, cmax=1,
                       colorbar=dict(title=dict(text="gate", side="top"), x=1.01, y=1.0, yanchor="top", len=0.35,
                                     thickness=20, tickvals=[0, 0.5, 1], ticktext=["0 closed", "0.5", "1 open"])),
        coloraxis2=dict(colorscale=STATE_COLORSCALE, cmin=-1, cmax=1, cmid=0,
                        colorbar=dict(title=dict(text="state", side="top"), x=1.01, y=0.55, yanchor="top", len=0.35,
                                      thickness=20, tickvals=[-1, 0, 1])),
    )
    return figures._figure(data, layout)


def compare_decay_figure(curves: dict, colors: dict, dashed=()) -> go.Figure:
    """Gradient decay curves {label: (T+1,)} overlaid on one log axis, with the given colours.

    Built on figures.decay_figure (same axes, same overflow/underflow notes),
    recoloured so that two GRU-family cells never share a colour.
    """
    fig = figures.decay_figure(curves, title="gradient ‖∂s<sub>T</sub>/∂s<sub>T−k</sub>‖ over k steps back",
                               height=440 + 34 * len(curves), legend_rows=math.ceil(len(curves) / 3))  # 3 names a row
    for tr in fig.data:
        tr.line.color = colors.get(tr.name, tr.line.color)
        if tr.name in dashed:
            tr.line.dash = "dash"
    return fig


# ----------------------------------------------------------------------------
# phase portrait

SPEED_COLORSCALE = [[0.0, "#ffffff"], [1.0, "#f4a582"]]  # white = still, salmon = fast (arrows stay readable)
TRAJ_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]
FP_STYLE = {  # fixed-point kind -> marker
    "stable": dict(symbol="circle", color="#000000", line=dict(width=2, color="#000000")),
    "saddle": dict(symbol="diamond", color="#ffffff", line=dict(width=3, color="#000000")),
    "unstable": dict(symbol="circle-open", color="#000000", line=dict(width=3, color="#000000")),
}


def _longest_finite(d1, d2) -> float:
    """Length of the longest arrow (d1, d2) with finite parts; 0 if there is none (non-finite arrows are not drawn)."""
    length = np.hypot(np.asarray(d1, float), np.asarray(d2, float))  # (N,)
    finite = np.isfinite(length)
    return float(length[finite].max()) if finite.any() else 0.0


def _quiver(h1, h2, d1, d2, scale: float, color: str, head: float = 0.35, angle: float = np.pi / 7):
    """One Scatter of arrows (shaft + two barbs) from (h1, h2) along scale * (d1, d2).

    Each arrow is drawn as a polyline tail -> tip -> barb, tip -> barb, with None
    between arrows; barbs are ``head`` times the arrow's length, at +-``angle``.
    """
    x0, y0 = np.asarray(h1, float), np.asarray(h2, float)  # (N,) tails
    d1, d2 = np.asarray(d1, float), np.asarray(d2, float)
    finite = np.isfinite(d1) & np.isfinite(d2)  # an arrow with a non-finite part is left out (NaN: a gap)
    u, v = np.where(finite, d1, np.nan) * scale, np.where(finite, d2, np.nan) * scale  # (N,) arrow vectors
    x1, y1 = x0 + u, y0 + v  # (N,) tips
    length, theta = np.hypot(u, v), np.arctan2(v, u)  # (N,)
    bx = [x1 - head * length * np.cos(theta + s) for s in (angle, -angle)]  # 2 x (N,) barb ends
    by = [y1 - head * length * np.sin(theta + s) for s in (angle, -angle)]
    nan = np.full_like(x0, np.nan)
    xs = np.column_stack([x0, x1, bx[0], nan, x1, bx[1], nan]).ravel()  # (7N,)
    ys = np.column_stack([y0, y1, by[0], nan, y1, by[1], nan]).ravel()
    return dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(width=1.6, color=color), hoverinfo="skip",
                showlegend=False, name="step F(h) − h", connectgaps=False)


def phase_portrait_figure(panels: list[dict], lim: float, same_scale: bool = True) -> go.Figure:
    """Side-by-side vector fields of 2-unit maps h_{t-1} -> h_t on the same axes and arrow scale.

    Each panel: {"title", "field": (h1, h2, d1, d2), "speed": (g, S), "fixed_points": [FixedPoint],
    "trajectories": [(steps+1, 2) arrays]}. With ``same_scale`` the arrows share one
    length scale (the longest arrow of any panel fills 90% of a grid cell), so a
    shorter arrow is a slower step; otherwise each panel is scaled to its own
    longest arrow (directions readable, speeds not comparable). The background
    shows the step length |F(h) − h| on one colour scale either way.
    """
    cols, gap = len(panels), 0.1  # side by side; the gap (paper units) leaves room for the right panel's tick labels
    width = (1.0 - gap * (cols - 1)) / cols
    longest = [_longest_finite(p["field"][2], p["field"][3]) for p in panels]
    n = int(round(np.sqrt(len(panels[0]["field"][0]))))
    spacing = 2 * lim / max(n - 1, 1)
    scales = [0.9 * spacing / (max(longest) if same_scale else m) if m > 0 else 1.0 for m in longest]
    smax = max(float(np.nanmax(p["speed"][1])) for p in panels)
    data, annotations = [], []
    layout = figures.base_layout_dict(None, height=540)  # x1.2 in presentation mode: fits 720 px below the header
    for col, p in enumerate(panels, start=1):
        ax = "" if col == 1 else str(col)
        on = dict(xaxis=f"x{ax}", yaxis=f"y{ax}")
        g, S = p["speed"]
        data.append(dict(type="heatmap", x=g, y=g, z=S.astype(np.float32), coloraxis="coloraxis", name="step length",
                         hovertemplate="h1 = %{x:.2f}, h2 = %{y:.2f}<br>|F(h) − h| = %{z:.3f}<extra></extra>", **on))
        data.append({**_quiver(*p["field"], scale=scales[col - 1], color="#555555"), **on})
        starts = []  # drawn last, so a fixed point at a start leaves the square in sight
        for i, path in enumerate(p["trajectories"]):
            c = TRAJ_COLORS[i % len(TRAJ_COLORS)]
            data.append(dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines+markers", showlegend=False,
                             line=dict(width=3, color=c), marker=dict(size=7, color=c), name=f"trajectory {i + 1}",
                             hovertemplate="step %{pointNumber}: (%{x:.3f}, %{y:.3f})<extra></extra>", **on))
            square = dict(size=13, symbol="square", color=c, line=dict(width=2, color="white"))
            starts.append(dict(type="scatter", x=path[:1, 0], y=path[:1, 1], mode="markers", showlegend=False,
                               hoverinfo="skip", marker=square, **on))
        for fp in p["fixed_points"]:
            style = FP_STYLE[fp.kind]
            data.append(dict(
                type="scatter", x=[fp.h[0]], y=[fp.h[1]], mode="markers", showlegend=False, name=f"{fp.kind} fixed point",
                marker=dict(size=18, symbol=style["symbol"], color=style["color"], line=style["line"]),
                hovertemplate=(f"{fp.kind} fixed point (%{{x:.3f}}, %{{y:.3f}})<br>largest |eigenvalue| = {fp.rate:.3f}"
                               "<extra></extra>"), **on))
        data += starts
        x0 = (col - 1) * (width + gap)
        layout[f"xaxis{ax}"] = dict(anchor=f"y{ax}", domain=[x0, x0 + width], range=[-lim, lim],
                                    title=dict(text="h1 (unit 1)"), constrain="domain")
        layout[f"yaxis{ax}"] = dict(anchor=f"x{ax}", domain=[0.0, 1.0], range=[-lim, lim], scaleanchor=f"x{ax}",
                                    scaleratio=1, constrain="domain",
                                    **({"title": dict(text="h2 (unit 2)")} if col == 1 else {}))
        annotations.append(dict(text=p["title"], x=x0 + width / 2, xanchor="center", xref="paper", y=1.0, yanchor="bottom",
                                yref="paper", showarrow=False, font=dict(size=FONT_SIZE)))
    for kind, style in FP_STYLE.items():  # legend entries for the markers
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=f"{kind} fixed point",
                         marker=dict(size=14, symbol=style["symbol"], color=style["color"], line=style["line"])))
    layout.update(
        annotations=annotations,
        coloraxis=dict(colorscale=SPEED_COLORSCALE, cmin=0, cmax=smax or 1.0,
                       colorbar=dict(title=dict(text="step<br>length", side="top"), thickness=16, len=0.8)),
        legend=dict(orientation="h", font=dict(size=FONT_SIZE)),
        margin=dict(l=figures.MARGIN_LEFT, r=figures.MARGIN_COLORBAR, t=90, b=0),  # t: room for two-line panel titles
    )
    return figures._figure(data, figures.legend_below(layout, rows=1, gap=50))
