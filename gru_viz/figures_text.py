"""Plotly figures for the text view (no streamlit here).

The coloured text is a Plotly heatmap laid out like the text itself: one cell
per character (row = line, column = position in line, long lines wrapped),
the cell's colour = the chosen unit's value at that character, the
character drawn on top. Plotly renders labels and hover text as SVG with a
small HTML subset, so **every character taken from the user's text is passed
through** :func:`esc` (``html.escape`` of ``& < >``, so no tag can form) before
it reaches the figure; no ``unsafe_allow_html`` anywhere. A newline is drawn
as ``↵`` at the end of its line, an unknown character as the UNK symbol with
an orange outline.

Colour scales follow gru_viz.figures: gates on the fixed [0, 1] sequential
scale, hidden states and tanh outputs on the fixed [-1, 1] diverging scale;
the LSTM cell state c is unbounded, so it gets a symmetric range [-m, m]
with m = max(1, max |c|), stated in the colour-bar title.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gru_viz import corpus
from gru_viz.figures import (
    CELL_COLORS,
    FONT_FAMILY,
    FONT_SIZE,
    GATE_COLORS,
    GATE_COLORSCALE,
    STATE_COLORSCALE,
    base_layout,
)

WRAP = 100  # characters per display row; longer lines wrap
SIGNAL_LABELS = {
    "h": "hidden state h",
    "c": "cell state c",
    "reset": "reset gate r",
    "update": "update gate z (z = 1 keeps the old state)",
    "candidate": "candidate n",
    "input": "input gate i",
    "forget": "forget gate f (f = 1 keeps the old cell)",
    "output": "output gate o",
    "cell": "cell input g",
}
GATE_SIGNALS = ("reset", "update", "input", "forget", "output")  # sigmoid outputs in [0, 1]


def signal_range(signal: str, values: np.ndarray) -> tuple[float, float]:
    """Colour range of a signal: [0, 1] for gates, [-1, 1] for h and tanh outputs, [-m, m] for c."""
    if signal in GATE_SIGNALS:
        return 0.0, 1.0
    if signal == "c":
        finite = values[np.isfinite(values)]
        m = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        return -m, m
    return -1.0, 1.0


def layout_text(text: str, wrap: int = WRAP) -> tuple[np.ndarray, np.ndarray, int]:
    """Grid position of every character: (T,) rows, (T,) columns, and the number of columns used."""
    T = len(text)
    rows, cols = np.empty(T, dtype=np.int64), np.empty(T, dtype=np.int64)
    r = c = 0
    for i, ch in enumerate(text):
        if c >= wrap:  # wrap a long line
            r, c = r + 1, 0
        rows[i], cols[i] = r, c
        if ch == "\n":
            r, c = r + 1, 0
        else:
            c += 1
    return rows, cols, int(cols.max()) + 1 if T else 0


def esc(s: str) -> str:
    """Escape text for Plotly's HTML subset: & < > become entities, nothing else changes."""
    return html.escape(s, quote=False)


def display_char(ch: str) -> str:
    """What a character looks like in the grid (escaped for Plotly's HTML subset)."""
    if ch == "\n":
        return "↵"
    if ch == " ":
        return ""
    if ch not in corpus.VOCAB or ch == corpus.UNK:
        return corpus.UNK
    return esc(ch)


def _quoted(ch: str) -> str:
    return {"\n": "↵ newline", " ": "␣ space", corpus.UNK: "� unknown"}.get(ch, esc(ch))


def hover_texts(text: str, values: np.ndarray, top_ids: np.ndarray | None, top_p: np.ndarray | None,
                unknown: np.ndarray | None, label: str) -> list[str]:
    """(T,) hover strings: character, position, value, the likeliest next characters."""
    line = np.cumsum([ch == "\n" for ch in text]) - [ch == "\n" for ch in text] + 1  # (T,) 1-based line of each char
    out = []
    for i, ch in enumerate(text):
        s = f"<b>{_quoted(ch)}</b>  char {i}, line {line[i]}<br>{esc(label)}: {values[i]:+.4f}"
        if unknown is not None and unknown[i]:
            s += "<br><i>not in the vocabulary: read as the unknown symbol</i>"
        if top_ids is not None:
            preds = " · ".join(f"{_quoted(corpus.VOCAB[k])} {p:.0%}" for k, p in zip(top_ids[i], top_p[i], strict=True))
            s += f"<br>next: {preds}"
        out.append(s)
    return out


def text_figure(text: str, values: np.ndarray, signal: str, title: str = "", hover: list[str] | None = None,
                unknown: np.ndarray | None = None, wrap: int = WRAP, zrange: tuple[float, float] | None = None) -> go.Figure:
    """The text drawn as a grid of characters, each cell coloured by ``values`` (T,).

    ``values[i]`` is the unit's value right after reading character i (the
    Trace's row i). Non-finite values are left uncoloured.
    """
    values = np.asarray(values, dtype=np.float64)
    T = len(text)
    if values.shape != (T,):
        raise ValueError(f"need one value per character: text has {T}, values have shape {values.shape}")
    if T == 0:
        raise ValueError("the text is empty: nothing to draw")
    rows, cols, ncol = layout_text(text, wrap)
    nrow = int(rows.max()) + 1
    z = np.full((nrow, ncol), np.nan)  # (rows, columns) colour grid
    labels = np.full((nrow, ncol), "", dtype=object)
    custom = np.full((nrow, ncol), "", dtype=object)
    z[rows, cols] = np.where(np.isfinite(values), values, np.nan)
    labels[rows, cols] = [display_char(ch) for ch in text]
    if hover is not None:
        custom[rows, cols] = hover
    lo, hi = zrange or signal_range(signal, values)
    scale = GATE_COLORSCALE if signal in GATE_SIGNALS else STATE_COLORSCALE
    bar_title = SIGNAL_LABELS.get(signal, signal) + (f" (range ±{hi:.1f})" if signal == "c" else "")
    font = int(np.clip(560 / max(ncol, 1) * 1.5, 10, 22))  # monospace glyph ~0.6 em wide
    fig = go.Figure(
        go.Heatmap(
            z=z, text=labels.tolist(), texttemplate="%{text}", customdata=custom.tolist(),
            hovertemplate="%{customdata}<extra></extra>" if hover is not None else "%{z:+.3f}<extra></extra>",
            textfont=dict(family="DejaVu Sans Mono, Menlo, Consolas, monospace", size=font),
            colorscale=scale, zmin=lo, zmax=hi, xgap=0, ygap=1, hoverongaps=False,
            colorbar=dict(title=dict(text=bar_title, side="top"), orientation="h", thickness=12, len=0.6, lenmode="fraction",
                          x=1.0, xanchor="right", y=1.0, yanchor="bottom", ypad=4,
                          tickfont=dict(size=13)),
        )
    )
    if unknown is not None and unknown.any():
        fig.add_trace(go.Scatter(x=cols[unknown], y=rows[unknown], mode="markers", hoverinfo="skip", showlegend=False,
                                 marker=dict(symbol="square-open", size=font + 4, color="#D55E00", line=dict(width=2))))
    # The shared look (figures.base_layout) set directly: its template walk costs seconds on a
    # figure holding thousands of labels, and this figure has no axes for a template to style.
    fig.update_layout(
        template="none", font=dict(size=FONT_SIZE, family=FONT_FAMILY, color="#222"), height=int(nrow * font * 1.55) + 150,
        title=dict(text=title, font=dict(size=FONT_SIZE + 4), x=0.0, xanchor="left") if title else None,
        hoverlabel=dict(font=dict(size=FONT_SIZE - 2, family="DejaVu Sans Mono, Menlo, Consolas, monospace")),
        margin=dict(l=10, r=10, t=140, b=10), plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
        xaxis=dict(visible=False, range=[-0.5, max(ncol, 20) - 0.5], constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed"),
    )
    return fig


def ranking_figure(ranked: dict[str, list[dict]], pattern_label: str, top: int = 10) -> go.Figure:
    """Top units per model for one pattern: bar = score (|AUC − 0.5|·2 or |r|), hover = AUC and r."""
    kinds = list(ranked)
    fig = make_subplots(rows=1, cols=len(kinds), subplot_titles=[f"{k}: best units" for k in kinds], shared_yaxes=True)
    for j, kind in enumerate(kinds, start=1):
        entries = ranked[kind][:top]
        names = [f"{e.get('signal', 'h')}[{e['unit']}]" for e in entries]
        hover = [
            (f"AUC {e['auc']:.3f}, " if e["auc"] is not None else "") + f"r {e['corr']:+.3f}"
            + (" (higher inside)" if e["sign"] > 0 else " (lower inside)")
            for e in entries
        ]
        fig.add_trace(go.Bar(x=names, y=[e["score"] for e in entries], marker_color=CELL_COLORS.get(kind, "#555"), name=kind,
                             customdata=hover, hovertemplate="%{x}: score %{y:.3f}<br>%{customdata}<extra></extra>"), 1, j)
    base_layout(fig, title=f"which units track “{esc(pattern_label)}”", height=360)
    fig.update_yaxes(range=[0, 1], title_text="score", row=1, col=1)
    fig.update_layout(showlegend=False)
    return fig


def saturation_figure(stats: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]) -> go.Figure:
    """Karpathy et al. (2015) Fig. 3: per gate unit, fraction of time < 0.1 (x) vs > 0.9 (y); one panel per model."""
    kinds = list(stats)
    fig = make_subplots(rows=1, cols=len(kinds), subplot_titles=[f"{k} gates" for k in kinds], shared_yaxes=True)
    for j, kind in enumerate(kinds, start=1):
        for gate, (lo, hi) in stats[kind].items():
            fig.add_trace(go.Scatter(
                x=lo, y=hi, mode="markers", name=f"{kind} {gate}", legendgroup=kind,
                marker=dict(color=GATE_COLORS.get(gate, "#555"), size=9, opacity=0.75, line=dict(width=0.5, color="white")),
                customdata=np.arange(len(lo)),
                hovertemplate=f"{gate} unit %{{customdata}}<br>< 0.1: %{{x:.0%}} of the time<br>> 0.9: %{{y:.0%}}<extra></extra>",
            ), 1, j)
        fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines", line=dict(color="#999", dash="dot", width=1),
                                 hoverinfo="skip", showlegend=False), 1, j)
    base_layout(fig, title="gate saturation: how often each unit is nearly shut (< 0.1) or wide open (> 0.9)", height=480)
    fig.update_xaxes(range=[-0.02, 1.02], title_text="fraction of time < 0.1 (left-saturated)", tickformat=".0%")
    fig.update_yaxes(range=[-0.02, 1.02], title_text="fraction of time > 0.9 (right-saturated)", tickformat=".0%", row=1, col=1)
    return fig
