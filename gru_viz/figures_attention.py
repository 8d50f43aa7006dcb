"""Figures for the attention page: Seq2SeqTrace / manifest in, ``go.Figure`` out (no streamlit).

    alignment_figure   attention weights alpha (decoder step x encoder step), a
                       clean anti-diagonal when the model reverses its input
    alignment_with_gates_figure  alpha on top of the encoder's gates, one shared
                       x axis (input position): the page's main figure
    encoder_gates_figure  one gate of both encoder directions under the same
                       input positions (x = timestep, y = unit, fixed [0, 1] scale)
    output_figure      input, target and each model's output, symbol by symbol
    accuracy_figure    accuracy with vs without attention at increasing lengths

Colours follow gru_viz.figures: weights and gates in [0, 1] on GATE_COLORSCALE
(an attention weight is a probability, read like a gate: dark 0, yellow 1).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gru_viz.attention import decode
from gru_viz.figures import (
    FONT_SIZE,
    GATE_COLORSCALE,
    MARGIN_BOTTOM,
    MARGIN_COLORBAR,
    MARGIN_LEFT,
    _figure,
    base_layout,
    base_layout_dict,
    heatmap_dicts,
    stacked_axes,
)

WITH_COLOR = "#0072B2"  # blue: with attention (Okabe-Ito)
WITHOUT_COLOR = "#D55E00"  # vermillion: without attention
RIGHT_COLOR = "#56B4E9"  # sky blue cell: output symbol right
WRONG_COLOR = "#E69F00"  # orange cell: output symbol wrong
NEUTRAL_COLOR = "#EEEEEE"


def _step_labels(tokens, symbols: str) -> list[str]:
    """Two-line tick labels: the symbol in bold over its step number."""
    return [f"<b>{symbols[int(t)]}</b><br>{j + 1}" for j, t in enumerate(tokens)]


def _tick_step(n: int, most: int = 20) -> int:
    """Label every k-th step so that at most ``most`` labels share an axis."""
    return max(1, int(np.ceil(n / most)))


def _alignment_heatmap(trace, symbols: str, target=None) -> tuple[dict, list[str]]:
    """The Heatmap of alpha (U, T) with hover text, and the y labels ('3 c', '4 a ✗')."""
    alpha = trace.attention  # (U, T)
    U, T = alpha.shape
    out = decode(trace.output, symbols)
    wrong = np.zeros(U, bool) if target is None else np.asarray(target) != trace.output
    ylabels = [f"{i + 1} <b>{ch}</b>" + (" ✗" if w else "") for i, (ch, w) in enumerate(zip(out, wrong, strict=True))]
    plain_x = [f"{j + 1} {symbols[int(t)]}" for j, t in enumerate(trace.tokens)]
    hover = np.array([[f"output step {i + 1} wrote {out[i]}, looking at input {plain_x[j]}" for j in range(T)]
                      for i in range(U)])
    heat = dict(type="heatmap", z=alpha.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, U + 1), xgap=1, ygap=1,
                customdata=hover, hovertemplate="%{customdata}<br>α = %{z:.4f}<extra></extra>", name="attention")
    return heat, ylabels


def alignment_figure(trace, symbols: str, target=None, title: str | None = None) -> go.Figure:
    """Heatmap of alpha: (U, T), x = encoder step j (the symbol read), y = decoder step i (the symbol written).

    Row i shows where the decoder looked while writing its i-th symbol (each
    row sums to 1). y labels are the decoder's outputs, marked ✗ where they
    differ from ``target`` (U,). Square cells; hover gives the exact weight.
    """
    if trace.attention is None:
        raise ValueError("this model has no attention: its decoder sees only the encoder's final state")
    U, T = trace.attention.shape
    heat, ylabels = _alignment_heatmap(trace, symbols, target)
    heat.update(zmin=0, zmax=1, colorscale=GATE_COLORSCALE,
                colorbar=dict(title=dict(text="α", side="top"), thickness=20, tickvals=[0, 0.5, 1]))
    fig = go.Figure(go.Heatmap(heat))
    base_layout(fig, title or "where the decoder looks: attention weights α", height=int(np.clip(34 * max(U, T), 360, 720)) + 160)
    kx, ky = _tick_step(T), _tick_step(U)
    fig.update_xaxes(title_text="input position j (symbol read)", tickvals=np.arange(1, T + 1)[::kx],
                     ticktext=_step_labels(trace.tokens, symbols)[::kx], range=[0.5, T + 0.5], tickangle=0,
                     showgrid=False, constrain="domain")
    fig.update_yaxes(title_text="output step i (symbol written)", tickvals=np.arange(1, U + 1)[::ky],
                     ticktext=ylabels[::ky], autorange="reversed", showgrid=False, scaleanchor="x", constrain="domain")
    fig.update_layout(margin=dict(l=110, r=MARGIN_COLORBAR, b=100))
    return fig


def _gate_panels(trace, gate: str) -> list[tuple[str, np.ndarray]]:
    """[(title, (T, H) values)] for one gate of both encoder directions, both in input order."""
    if gate not in ("update", "reset"):
        raise ValueError(f"gate must be 'update' or 'reset', got {gate!r}")
    sym = {"update": "z (1 = keep)", "reset": "r"}[gate]
    # two lines: on one, the title ran under the colour bar when the chart was narrow (a 1024 px projector, 200 % zoom)
    return [(f"forward encoder → (left to right):<br>{gate} gate {sym}", trace.encoder.gates[gate]),
            (f"backward encoder ← (right to left):<br>{gate} gate {sym}", trace.backward(gate))]


def _gate_colorbar() -> dict:
    return dict(colorscale=GATE_COLORSCALE, cmin=0, cmax=1,
                colorbar=dict(title=dict(text="α or gate", side="right"), thickness=20, tickvals=[0, 0.5, 1],
                              ticktext=["0", "0.5", "1"], len=0.6, y=0.5, yanchor="middle"))


def encoder_gates_figure(trace, symbols: str, gate: str = "update") -> go.Figure:
    """One gate of both encoder directions, stacked on one x axis (input position, labelled by symbol).

    x = timestep in input order (the backward encoder reads right to left, so
    its row j is the step that read x_j), y = hidden unit, fixed [0, 1] colour
    scale. Update gate: z = 1 KEEPS the old state.
    """
    panels = _gate_panels(trace, gate)
    T = trace.encoder.T
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.2, subplot_titles=[t for t, _ in panels])
    for row, (_, values) in enumerate(panels, start=1):
        traces, _ = heatmap_dicts(values, name=gate, coloraxis="coloraxis")
        for tr in traces:
            fig.add_trace(tr, row=row, col=1)
        fig.update_yaxes(title_text="unit", autorange="reversed", row=row, col=1)
    k = _tick_step(T)
    fig.update_xaxes(tickvals=np.arange(1, T + 1)[::k], ticktext=_step_labels(trace.tokens, symbols)[::k],
                     range=[0.5, T + 0.5], tickangle=0, showticklabels=True, showgrid=False)
    fig.update_xaxes(title_text="input position (symbol read)", row=2, col=1)
    fig.update_layout(coloraxis=_gate_colorbar())
    base_layout(fig, "what the encoder's gates did", height=640)
    for ann in fig.layout.annotations:
        ann.update(x=0.0, xanchor="left", align="left", font=dict(size=FONT_SIZE - 2))
    return fig


def alignment_with_gates_figure(trace, symbols: str, target=None, gate: str = "update") -> go.Figure:
    """The attention weights on top and one gate of both encoder directions below, sharing the x axis.

    A column is one input position j: read down it to see which output steps
    looked at x_j and what the encoder's gates did while reading it. One colour
    axis: weights and gates are both on [0, 1].
    """
    if trace.attention is None:
        raise ValueError("this model has no attention: its decoder sees only the encoder's final state")
    alpha = trace.attention  # (U, T)
    U, T = alpha.shape
    panels = _gate_panels(trace, gate)
    h_att = int(np.clip(30 * U, 300, 620))
    heights = [h_att, 190, 190]  # px per panel, top to bottom
    gap = 110  # px between panels
    total = sum(heights) + 2 * gap
    titles = ["attention α: row i = output step,<br>bright = where it looked", *[t for t, _ in panels]]
    heat, ylabels = _alignment_heatmap(trace, symbols, target)
    ky, k = _tick_step(U), _tick_step(T, 30)
    data = [{**heat, "coloraxis": "coloraxis"}]
    for row, (_, values) in enumerate(panels, start=2):
        traces, _ = heatmap_dicts(values, name=gate, coloraxis="coloraxis")
        data += [{**tr, "xaxis": f"x{row}", "yaxis": f"y{row}"} for tr in traces]
    layout = base_layout_dict(None, height=total + 120)
    layout.update(stacked_axes(3, gap / total, row_heights=heights, titles=titles))  # one shared x axis: input position
    for ax in ("", "2", "3"):
        layout[f"xaxis{ax}"].update(tickvals=np.arange(1, T + 1)[::k], ticktext=_step_labels(trace.tokens, symbols)[::k],
                                    range=[0.5, T + 0.5], tickangle=0, showticklabels=True, showgrid=False)
        layout[f"yaxis{ax}"].update(autorange="reversed", title=dict(text="unit"))
    layout["xaxis3"]["title"] = dict(text="input position j (symbol read)")
    layout["yaxis"].update(title=dict(text="output step"), tickvals=np.arange(1, U + 1)[::ky], ticktext=ylabels[::ky],
                           showgrid=False)
    for ann in layout["annotations"]:  # panel titles at the left edge
        ann.update(x=0.0, xanchor="left", align="left", font=dict(size=FONT_SIZE))
    layout.update(coloraxis=_gate_colorbar(), margin=dict(l=110, r=MARGIN_COLORBAR + 20, t=50, b=110))
    return _figure(data, layout)


MARK_WRONG_UP_TO = 12  # strings up to this long mark a wrong output symbol with ✗ as well as orange


def output_figure(tokens, target, outputs: dict, symbols: str) -> go.Figure:
    """A symbol grid: rows 'input', 'target', then one row per model output.

    outputs: name -> (U,) predicted symbols. Output cells are blue where they
    match the target and orange (with ✗ up to MARK_WRONG_UP_TO symbols) where they do not.
    """
    T, U = len(tokens), len(target)
    width = max(T, U)
    rows = [("input", decode(tokens, symbols), None), ("target (reversed)", decode(target, symbols), None)]
    for name, out in outputs.items():
        out = np.asarray(out)
        rows.append((name, decode(out, symbols), out == np.asarray(target)))
    z = np.full((len(rows), width), np.nan)
    text = np.full((len(rows), width), "", dtype=object)
    for r, (_, s, ok) in enumerate(rows):
        for j, ch in enumerate(s):
            z[r, j] = 0 if ok is None else (1 if ok[j] else 2)
            # a small raised ✗ while it fits its cell (12 symbols on a 1024 px projector); past that, colour alone
            text[r, j] = ch if ok is None or ok[j] or width > MARK_WRONG_UP_TO else ch + "<sup>✗</sup>"
    scale = [[0, NEUTRAL_COLOR], [0.33, NEUTRAL_COLOR], [0.34, RIGHT_COLOR], [0.66, RIGHT_COLOR],
             [0.67, WRONG_COLOR], [1, WRONG_COLOR]]
    heat = dict(
        type="heatmap", z=z, x=np.arange(1, width + 1), y=[name for name, _, _ in rows], zmin=0, zmax=2, colorscale=scale,
        showscale=False, text=text, texttemplate="%{text}",
        textfont=dict(size=FONT_SIZE + 8 if width <= 16 else FONT_SIZE if width <= 24 else 13),
        xgap=2, ygap=2, hovertemplate="%{y}, position %{x}: %{text}<extra></extra>",
    )
    layout = base_layout_dict(None, height=60 * len(rows) + 90)
    layout.update(xaxis=dict(title=dict(text="position"), range=[0.5, width + 0.5], showgrid=False,
                             dtick=1 if width <= 20 else 5),
                  yaxis=dict(autorange="reversed", showgrid=False), margin=dict(l=230, r=30, t=20, b=MARGIN_BOTTOM))
    return _figure([heat], layout)


def accuracy_figure(manifest: dict, metric: str = "symbol", length: int | None = None) -> go.Figure:
    """Accuracy with vs without attention against string length, from the training manifest.

    metric "symbol" (fraction of symbols right) or "sequence" (whole string
    right). Lengths beyond the training range are shaded; the dotted line is
    chance (1/V) for symbols. ``length`` marks the currently shown length.
    """
    if metric not in ("symbol", "sequence"):
        raise ValueError(f"metric must be 'symbol' or 'sequence', got {metric!r}")
    cfg = manifest["config"]
    data, shapes, annotations = [], [], []
    lengths = []
    for key, name, color in (("with_attention", "with attention", WITH_COLOR),
                             ("without_attention", "without attention", WITHOUT_COLOR)):
        acc = manifest["models"][key]["accuracy"]
        lengths = sorted(int(L) for L in acc)
        y = [acc[str(L)][metric] for L in lengths]
        data.append(dict(type="scatter", x=lengths, y=y, mode="lines+markers", name=name, line=dict(width=4, color=color),
                         marker=dict(size=11), hovertemplate=f"{name}<br>length %{{x}}: %{{y:.1%}}<extra></extra>"))
    note = dict(showarrow=False, font=dict(size=FONT_SIZE - 4))
    if lengths and max(lengths) > cfg["max_len"]:  # shade the lengths beyond training
        x0, x1 = cfg["max_len"] + 0.5, max(lengths) + 1
        shapes.append(dict(type="rect", x0=x0, x1=x1, xref="x", y0=0, y1=1, yref="y domain", fillcolor="#999999",
                           opacity=0.15, line=dict(width=0)))
        annotations.append(dict(note, text="longer than any<br>training string", x=x1, xref="x", xanchor="right",
                                y=1, yref="y domain", yanchor="top"))
    if metric == "symbol":  # chance level
        chance = 1 / len(cfg["symbols"])
        shapes.append(dict(type="line", x0=0, x1=1, xref="x domain", y0=chance, y1=chance, yref="y",
                           line=dict(color="#777", dash="dot", width=2)))
        # at the left end, above its line: short strings score high there, and the right end has the other labels
        annotations.append(dict(note, text="chance", x=0, xref="x domain", xanchor="left", y=chance, yref="y",
                                yanchor="bottom"))
    if length is not None:  # the length shown above: a dashed line, labelled at its foot on the side facing the middle
        x_max = max(lengths) if lengths else 40
        shapes.append(dict(type="line", x0=length, x1=length, xref="x", y0=0, y1=1, yref="y domain",
                           line=dict(color="#222", width=1, dash="dash")))
        annotations.append(dict(note, text="shown above", font=dict(size=FONT_SIZE - 6), x=length, xref="x",
                                xanchor="left" if length <= x_max / 2 else "right", y=0, yref="y domain", yanchor="bottom"))
    what = "symbols right" if metric == "symbol" else "strings entirely right"
    layout = base_layout_dict(f"accuracy at increasing lengths ({what})", height=420)
    layout.update(
        shapes=shapes, annotations=annotations,
        xaxis=dict(title=dict(text="string length"), range=[0, (max(lengths) if lengths else 40) + 1]),
        yaxis=dict(title=dict(text=what), range=[-0.02, 1.04], tickformat=".0%"),
        # at the figure's foot, below the axis title however large presentation mode makes its font
        legend=dict(orientation="h", x=0.0, y=0, yref="container", yanchor="bottom", font=dict(size=FONT_SIZE)),
        margin=dict(l=MARGIN_LEFT + 15, r=30, t=60, b=120),  # l: percentages, "100%"
    )
    return _figure(data, layout)


def accuracy_rows(manifest: dict) -> list[dict]:
    """Table rows: one per test length, accuracy with and without attention (percent)."""
    m = manifest["models"]
    lengths = sorted(int(L) for L in m["with_attention"]["accuracy"])
    rows = []
    for L in lengths:
        w, wo = m["with_attention"]["accuracy"][str(L)], m["without_attention"]["accuracy"][str(L)]
        rows.append({"length": L, "trained on this length": L <= manifest["config"]["max_len"],
                     "with attention: symbols": f"{w['symbol']:.1%}", "without: symbols": f"{wo['symbol']:.1%}",
                     "with attention: strings": f"{w['sequence']:.1%}", "without: strings": f"{wo['sequence']:.1%}"})
    return rows
