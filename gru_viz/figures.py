"""Plotly figure builders: Trace or arrays in, ``go.Figure`` out (no streamlit here).

The conventions every page shares live at the top of this module, so pictures
from different pages can be compared at a glance:

    * heatmaps: x = timestep (1..T), y = hidden unit (1..H); both numbered from 1
      in every figure (h_1 is the state after the first input, as in the Trace);
    * gates (sigmoid outputs) on a fixed [0, 1] sequential scale, GATE_COLORSCALE;
    * hidden states, LSTM cell states, GRU candidates and LSTM cell inputs (tanh
      outputs) on a fixed [-1, 1] diverging scale centred on 0, STATE_COLORSCALE;
    * one colour per cell kind (CELL_COLORS) and per gate (GATE_COLORS) in line plots;
    * gradient decay on a log y axis;
    * large fonts (base_layout) because the figures are projected in class.

Non-finite numbers (an exploding run) never crash a builder: they are left
blank in the heatmap, marked with a cross, and the title says how many.

Payload: numbers go to the browser as float32 (Plotly sends NumPy arrays as
binary), and a heatmap with more than MAX_CELLS cells shows every k-th
timestep (exact values at the steps shown; the title says so).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import plotly.io as pio

# ----------------------------------------------------------------------------
# shared conventions

# Sequential, colour-blind safe, monotone in lightness (reads on a washed-out projector):
# dark = closed (0), bright yellow = open (1).
GATE_COLORSCALE = plotly.colors.get_colorscale("Viridis")  # [[position, colour], ...]
# Diverging, zero-centred: blue = negative, white = 0, red = positive (colour-blind safe pair).
STATE_COLORSCALE = plotly.colors.get_colorscale("RdBu_r")
GATE_RANGE = (0.0, 1.0)
STATE_RANGE = (-1.0, 1.0)

# Okabe-Ito palette (colour-blind safe).
CELL_COLORS = {"RNN": "#D55E00", "GRU": "#0072B2", "LSTM": "#009E73",  # and the variants, as figures_compare has them
               "MGU": "#CC79A7", "minGRU": "#E69F00", "CIFG": "#56B4E9"}
GATE_COLORS = {
    "update": "#0072B2",  # blue
    "reset": "#E69F00",  # orange
    "candidate": "#CC79A7",  # pink
    "forget": "#0072B2",
    "input": "#E69F00",
    "cell": "#CC79A7",
    "output": "#009E73",
    "h": "#000000",
}
# Darker shades for text on white (WCAG AA asks 4.5:1 of text): as text, the orange, pink and green of the lines
# and fills above are 2.3:1, 3.1:1 and 3.4:1; these are 5.3:1, 5.5:1 and 5.3:1, the same hues.
GATE_TEXT_COLORS = {**GATE_COLORS, "reset": "#8F6400", "input": "#8F6400", "candidate": "#A8467F", "cell": "#A8467F",
                    "output": "#007A5A"}
# Gates whose values are tanh outputs in [-1, 1] (drawn on the state scale).
TANH_GATES = ("candidate", "cell")
GATE_SYMBOLS = {
    "update": "z",
    "reset": "r",
    "candidate": "n",
    "input": "i",
    "forget": "f",
    "cell": "g",
    "output": "o",
}
GATE_TITLES = {
    "update": "update gate z  (z = 1 keeps the old state)",
    "reset": "reset gate r  (r = 0 ignores the old state in the candidate)",
    "candidate": "candidate n  (the proposed new state)",
    "input": "input gate i  (i = 1 writes the new input)",
    "forget": "forget gate f  (f = 1 keeps the old cell state)",
    "cell": "cell input g  (what would be written)",
    "output": "output gate o  (o = 1 shows the cell state)",
}
# Cells whose gate of the same name reads differently (gate_title): the MGU's single gate forgets at 1.
GATE_TITLES_BY_KIND = {
    "MGU": {"forget": "forget gate f  (f = 1 REPLACES the state: f plays 1 − z)"},
    "CIFG": {"input": "input gate i = 1 − f  (coupled to the forget gate)"},
}


def gate_title(gate: str, kind: str | None = None) -> str:
    """How a gate's panel is titled: GATE_TITLES, unless the cell ``kind`` (e.g. "MGU") reads it differently."""
    return GATE_TITLES_BY_KIND.get(kind or "", {}).get(gate) or GATE_TITLES.get(gate, gate)

FONT_SIZE = 18  # base font for classroom projection
FONT_FAMILY = "Inter, Source Sans Pro, Helvetica, Arial, sans-serif"
MAX_CELLS = 20_000  # largest heatmap sent to the browser (cells); more -> show every k-th step
NONFINITE_COLOR = "#ff00ff"  # magenta crosses where a value is NaN or infinite

# Margins that already hold what Plotly puts in them. A margin too small for its tick labels, axis title, colour
# bar or legend is grown by Plotly (layout.margin.autoexpand) by drawing the whole chart a second time: nearly
# every chart of the app was drawn twice on its first showing (the Gradient Lab's six charts took 222 ms instead
# of 114 in Chromium). Needs measured in Chromium at FONT_SIZE, plus a few px for fonts that run wider;
# tests/test_e2e_every_chart.py checks every page and lesson step.
MARGIN_LEFT = 80  # tick labels up to "−0.5" or "128", and an axis title
MARGIN_LEFT_LOG = 100  # a log axis labelled in powers of ten, down to "10⁻¹²"
MARGIN_BOTTOM = 68  # tick labels and an axis title under the plot
MARGIN_COLORBAR = 110  # a colour bar (thickness 18) and its tick labels ("−0.5", "0.125"), right of the plot
DECAY_HEIGHT = 460  # px, decay_figure's
LEGEND_ROW = 30  # px per row of legend entries at FONT_SIZE (27-29 measured)


def gate_range(name: str) -> tuple[float, float]:
    """The fixed colour range of a gate: [-1, 1] for tanh outputs, else [0, 1]."""
    return STATE_RANGE if name in TANH_GATES else GATE_RANGE


def gate_colorscale(name: str) -> list:
    """The colour scale of a gate: STATE_COLORSCALE for tanh outputs, else GATE_COLORSCALE."""
    return STATE_COLORSCALE if name in TANH_GATES else GATE_COLORSCALE


def base_layout_dict(title: str | None = None, height: int | None = None) -> dict:
    """The shared look as a plain layout dict: white background, large fonts, consistent margins."""
    layout = dict(
        template=_white_template(),
        font=dict(size=FONT_SIZE, family=FONT_FAMILY, color="#222"),
        title=dict(text=title, font=dict(size=FONT_SIZE + 4), x=0.0, xanchor="left") if title else None,
        margin=dict(l=MARGIN_LEFT, r=30, t=60 if title else 30, b=MARGIN_BOTTOM),
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        legend=dict(font=dict(size=FONT_SIZE)),
    )
    if height is not None:
        layout["height"] = height
    return layout


def legend_below(layout: dict, rows: int, gap: int = MARGIN_BOTTOM) -> dict:
    """Put the legend ``gap`` px under the plot (below its tick labels and axis title) and make the bottom margin
    as tall as ``rows`` rows of entries need, so that Plotly need not grow it (see MARGIN_LEFT).

    layout: a plain layout dict with height and margin (changed in place and returned).
    """
    bottom = gap + LEGEND_ROW * rows + 25
    plot_h = layout["height"] - layout["margin"]["t"] - bottom  # px
    layout["margin"]["b"] = bottom
    layout["legend"] = {**layout.get("legend", {}), "x": 0.0, "xanchor": "left", "y": -gap / plot_h, "yanchor": "top"}
    return layout


def base_layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """Apply the shared look to a figure: white background, large fonts, consistent margins."""
    layout = base_layout_dict(title, height)
    layout["template"] = TEMPLATE_NAME  # by name: Plotly resolves it (validating the dict would be slow and noisy)
    fig.update_layout(**layout)
    return fig


TEMPLATE_NAME = "gru_viz"  # plotly_white, with tick labels that skip Plotly's overflow check (below)
_TEMPLATE: dict | None = None
TRACE_TYPES = ("bar", "heatmap", "scatter")  # every trace type gru-viz draws (a test checks the builders)
_UNUSED_SUBPLOTS = ("geo", "mapbox", "polar", "scene", "ternary")  # kinds of subplot no gru-viz figure has


def _register_template() -> None:
    """pio.templates["gru_viz"]: plotly_white, except that tick labels are always drawn ("allow").

    Plotly's default ("hide past div") measures every tick label of an axis again
    after drawing each one of them, to hide any that stick out of the chart: about
    a tenth of a redraw of the Gate Explorer in Chromium. gru-viz figures leave
    margins for their labels, so nothing sticks out and nothing needs hiding.
    """
    if TEMPLATE_NAME in pio.templates:
        return
    template = go.layout.Template(pio.templates["plotly_white"])
    allow = dict(ticklabeloverflow="allow")
    template.layout.update(xaxis=allow, yaxis=allow, coloraxis=dict(colorbar=allow))
    for trace in template.data.heatmap:
        trace.update(colorbar=allow)
    pio.templates[TEMPLATE_NAME] = template


_register_template()


def _white_template() -> dict:
    """The gru_viz template as a plain dict (so figures built without validation still carry it); a fresh copy each call.

    Only the parts that can apply to a gru-viz figure: the trace defaults of TRACE_TYPES
    and the layout without the subplot kinds we never draw. It looks the same and is
    a third of the size, and every figure carries its template through each copy,
    check and serialisation on the way to the browser.
    """
    global _TEMPLATE
    if _TEMPLATE is None:
        full = pio.templates[TEMPLATE_NAME].to_plotly_json()
        _TEMPLATE = {"data": {k: v for k, v in full["data"].items() if k in TRACE_TYPES},
                     "layout": {k: v for k, v in full["layout"].items() if k not in _UNUSED_SUBPLOTS}}
    return copy.deepcopy(_TEMPLATE)


def stacked_axes(n: int, vertical_spacing: float, row_heights=None, titles=None) -> dict:
    """Layout entries for n panels stacked on one shared x axis, placed exactly as
    ``make_subplots(rows=n, cols=1, shared_xaxes=True, ...)`` places them, without its cost.

    Returns {"xaxis": ..., "yaxis": ..., "xaxis2": ..., ..., "annotations": [panel titles]};
    panel i (1 = top) uses axes x{i}/y{i}; every x axis but the bottom one follows it
    ('matches') and hides its tick labels. row_heights: relative heights, top first.
    """
    fracs = np.ones(n) if row_heights is None else np.asarray(row_heights, dtype=np.float64)
    heights = (1.0 - vertical_spacing * (n - 1)) * fracs / fracs.sum()
    out, annotations, y1 = {}, [], 1.0
    for i in range(1, n + 1):
        ax = "" if i == 1 else str(i)
        y0 = y1 - heights[i - 1]
        out[f"xaxis{ax}"] = dict(anchor=f"y{ax}", domain=[0.0, 1.0])
        if i < n:
            out[f"xaxis{ax}"].update(matches=f"x{n}", showticklabels=False)
        out[f"yaxis{ax}"] = dict(anchor=f"x{ax}", domain=[max(y0, 0.0), y1])
        if titles is not None and titles[i - 1]:
            annotations.append(dict(text=titles[i - 1], x=0.5, xanchor="center", xref="paper", y=y1, yanchor="bottom",
                                    yref="paper", showarrow=False, font=dict(size=16)))
        y1 = y0 - vertical_spacing
    out["annotations"] = annotations
    return out


def _figure(data: list, layout: dict) -> go.Figure:
    """A Figure from plain dicts without Plotly's per-property validation (~100x faster);
    the builders below only write properties Plotly knows, and tests check the result."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


# ----------------------------------------------------------------------------
# helpers


def _as_2d(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2:
        raise ValueError(f"expected a (T, H) array, got shape {v.shape}")
    return v


def payload(a) -> np.ndarray:
    """``a`` as float32 for the browser, or float64 if a finite value would overflow float32 (1e300 stays 1e300, not inf)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return a if (np.abs(a) > np.finfo(np.float32).max).any() else a.astype(np.float32)


def time_stride(T: int, H: int, max_cells: int = MAX_CELLS) -> int:
    """Show every k-th timestep so that a (T, H) heatmap has at most max_cells cells."""
    return max(1, math.ceil(T * H / max_cells))


def nonfinite_note(values) -> str:
    """'' if all finite, else e.g. '3 cells NaN, 2 infinite (marked ✕)'."""
    v = np.asarray(values, dtype=np.float64)
    n_nan, n_inf = int(np.isnan(v).sum()), int(np.isinf(v).sum())
    if n_nan == 0 and n_inf == 0:
        return ""
    parts = ([f"{n_nan} NaN"] if n_nan else []) + ([f"{n_inf} infinite"] if n_inf else [])
    return "⚠ " + " and ".join(parts) + " (marked ✕): the run exploded"


def ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, ..."""
    k = int(k)
    suffix = "th" if 11 <= k % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def stride_note(k: int) -> str:
    """What a heatmap that shows every k-th step says about it, e.g. 'every 3rd step shown'."""
    return f"every {ordinal(k)} step shown"


def panel_notes(notes: dict) -> str:
    """One line for a figure's title from its panels' notes, {panel name: 'note; note' or ''}.

    A note every panel has (the same time stride, say) is said once; the others are
    named after their panel: 'every 4th step shown; GRU h: ⚠ 3 NaN (marked ✕): the run exploded'.
    """
    parts = {name: [p for p in str(note).split("; ") if p] for name, note in notes.items()}
    every = [p for p in dict.fromkeys(p for ps in parts.values() for p in ps) if all(p in ps for ps in parts.values())]
    return "; ".join([*every, *(f"{name}: {p}" for name, ps in parts.items() for p in ps if p not in every)])


def heatmap_dicts(
    values,
    zrange=GATE_RANGE,
    colorscale=GATE_COLORSCALE,
    name: str = "value",
    coloraxis: str | None = None,
    max_cells: int = MAX_CELLS,
) -> tuple[list[dict], str]:
    """Trace dicts for one (T, H) heatmap (x = step 1..T, y = unit 1..H).

    Returns ([heatmap, optional scatter of ✕ at non-finite cells], note), where
    note says what was changed for display ('' if nothing): non-finite cells
    and any time striding. With ``coloraxis`` the colours come from that shared
    layout axis, else from ``zrange`` and ``colorscale``.
    """
    v = _as_2d(values)  # (T, H)
    T, H = v.shape
    k = time_stride(T, H, max_cells)
    steps = np.arange(1, T + 1)[::k].astype(np.int32)  # (T/k,) 1-based steps shown
    shown = v[::k]  # (T/k, H)
    finite = np.isfinite(shown)
    z = payload(np.where(finite, shown, np.nan).T)  # (H, T/k): rows = units
    units = np.arange(1, H + 1, dtype=np.int32)
    heat = dict(
        type="heatmap",
        z=z,
        x=steps,
        y=units,
        name=name,
        hovertemplate=f"step %{{x}}, unit %{{y}}: {name} = %{{z:.4f}}<extra></extra>",
        hoverongaps=False,
        # no gaps between units: Plotly then draws the heatmap as one image; a 1-px gap made it
        # draw every brick separately, a visible cost on each redraw
    )
    if coloraxis:
        heat["coloraxis"] = coloraxis
    else:
        heat.update(zmin=zrange[0], zmax=zrange[1], colorscale=colorscale, colorbar=dict(thickness=18, len=0.9))
    traces = [heat]
    notes = []
    if not finite.all():
        ti, ui = np.nonzero(~finite)  # indices into shown
        bad = shown[ti, ui]
        words = np.where(np.isnan(bad), "NaN", np.where(bad > 0, "+inf", "-inf"))
        traces.append(
            dict(
                type="scatter",
                x=steps[ti],
                y=units[ui],
                mode="markers",
                marker=dict(symbol="x-thin", size=10, line=dict(width=2, color=NONFINITE_COLOR)),
                customdata=words.tolist(),
                hovertemplate=f"step %{{x}}, unit %{{y}}: {name} = %{{customdata}}<extra></extra>",
                showlegend=False,
                name=f"{name} non-finite",
            )
        )
    if not np.isfinite(v).all():  # count over the whole run, even the steps striding leaves out
        notes.append(nonfinite_note(v))
    if k > 1:
        notes.append(stride_note(k))
    return traces, "; ".join(notes)


def heatmap(values, zrange=GATE_RANGE, colorscale=GATE_COLORSCALE, title: str = "", name: str = "value") -> go.Figure:
    """A (T, H) heatmap: x = timestep 1..T, y = unit 1..H, fixed colour range.

    Hover shows the exact value, e.g. 'step 12, unit 3: update = 0.9312'.
    Non-finite cells are blank, marked ✕ and counted in the title.
    """
    traces, note = heatmap_dicts(values, zrange, colorscale, name)
    T, H = _as_2d(values).shape
    head, _, explained = title.partition("  (")  # "update gate z  (z = 1 keeps ...)": the reading on a line of its own
    lines = [head] + [f"<sup>({explained}</sup>"] * bool(explained) + [f"<sup>{note}</sup>"] * bool(note)
    full = "<br>".join(lines)
    layout = base_layout_dict(full or None, height=_heat_height(H) + 100 + 22 * (len(lines) - 1))
    layout["margin"]["t"] += 22 * (len(lines) - 1)  # room for the title's second and third lines
    layout["margin"]["r"] = MARGIN_COLORBAR
    layout["xaxis"] = dict(title=dict(text="timestep"), range=[0.5, T + 0.5])
    layout["yaxis"] = dict(title=dict(text="unit"), autorange="reversed")
    return _figure(traces, layout)


def _heat_height(H: int) -> int:
    return int(np.clip(14 * H, 140, 300))


# ----------------------------------------------------------------------------
# single panels


def input_figure(x, channel_names: list[str] | None = None, title: str = "input x") -> go.Figure:
    """The input sequence x (T, D): one line per channel for D <= 4, else a heatmap (e.g. one-hot text)."""
    x = _as_2d(x)  # (T, D)
    layout = base_layout_dict(title, height=260 if x.shape[1] <= 4 else _heat_height(x.shape[1]) + 100)
    layout["xaxis"] = dict(title=dict(text="timestep"), range=[0.5, x.shape[0] + 0.5])
    layout["yaxis"] = dict(autorange="reversed") if x.shape[1] > 4 else dict(title=dict(text="x"))
    return _figure(_input_traces(x, channel_names), layout)


INPUT_LINE_COLORS = ["#333333", "#882255", "#56B4E9", "#999999"]  # none of GATE_COLORS: they share a legend


def _input_traces(x: np.ndarray, channel_names: list[str] | None) -> list:
    T, D = x.shape
    names = list(channel_names) if channel_names is not None else [f"x[{j + 1}]" for j in range(D)]
    if len(names) != D:
        raise ValueError(f"got {len(names)} channel names for {D} input channels")
    steps = np.arange(1, T + 1, dtype=np.int32)
    if D <= 4:
        return [
            dict(
                type="scatter",
                x=steps,
                y=payload(x[:, j]),
                mode="lines",
                name=names[j],
                # "hvh": each value spans step-0.5..step+0.5, exactly under its heatmap column
                line=dict(width=3, color=INPUT_LINE_COLORS[j], shape="hvh" if D > 1 or _is_steppy(x[:, j]) else "linear"),
                hovertemplate=f"step %{{x}}: {names[j]} = %{{y:.4f}}<extra></extra>",
                showlegend=D > 1,
            )
            for j in range(D)
        ]
    z = payload(x.T)  # (D, T)
    return [
        dict(
            type="heatmap",
            z=z,
            x=steps,
            y=names,
            colorscale=[[0, "#ffffff"], [1, "#333333"]],
            zmin=0,
            zmax=max(1.0, float(np.nanmax(np.abs(z))) if z.size else 1.0),
            showscale=False,
            hovertemplate="step %{x}: %{y} = %{z:.4f}<extra></extra>",
            name="input",
        )
    ]


def spread(positions, gap: float, lo: float, hi: float) -> list[float]:
    """Label positions at least ``gap`` apart, in the same order, each group of crowded labels centred on
    where its labels want to be and kept inside [lo, hi] when it fits (the bottom wins when it cannot):
    names at the ends of lines that end close together."""

    def place(wanted: list) -> float:  # the first (lowest) position of a gap-spaced group
        centred = sum(wanted) / len(wanted) - (len(wanted) - 1) * gap / 2
        return max(min(centred, hi - (len(wanted) - 1) * gap), lo)

    order = sorted(range(len(positions)), key=lambda i: positions[i])
    groups = []  # [first position, [wanted positions]] from the bottom up
    for i in order:
        groups.append([place([float(positions[i])]), [float(positions[i])]])
        while len(groups) > 1 and groups[-2][0] + len(groups[-2][1]) * gap > groups[-1][0]:  # they overlap: merge
            wanted = groups[-2][1] + groups.pop()[1]
            groups[-1] = [place(wanted), wanted]
    placed = [first + k * gap for first, wanted in groups for k in range(len(wanted))]
    out = [0.0] * len(positions)
    for i, p in zip(order, placed, strict=True):
        out[i] = p
    return out


def _is_steppy(v: np.ndarray) -> bool:
    """True for piecewise-constant signals (pulses), drawn as steps."""
    return len(np.unique(v)) <= 3


def gate_heatmap(trace, gate: str, kind: str | None = None) -> go.Figure:
    """Heatmap of one gate of a Trace on its fixed range (gates [0, 1]; candidate/cell input [-1, 1]);
    ``kind`` (the cell's, e.g. "MGU") titles a gate whose meaning differs from the GRU's/LSTM's."""
    if gate not in trace.gates:
        raise ValueError(f"this trace has no gate {gate!r}; it has {list(trace.gates) or 'no gates (plain RNN)'}")
    return heatmap(trace.gates[gate], gate_range(gate), gate_colorscale(gate), gate_title(gate, kind), name=gate)


def state_heatmap(trace, which: str = "h") -> go.Figure:
    """Heatmap of the hidden state h (or the LSTM cell state, which='c') on [-1, 1]."""
    values = _state(trace, which)
    title = "hidden state h" if which == "h" else "cell state c (colours saturate beyond ±1; hover for exact)"
    return heatmap(values, STATE_RANGE, STATE_COLORSCALE, title, name=which)


def _state(trace, which: str) -> np.ndarray:
    if which == "h":
        return trace.h
    if which == "c":
        if trace.c is None:
            raise ValueError("only an LSTM trace has a cell state c")
        return trace.c
    raise ValueError(f"which must be 'h' or 'c', got {which!r}")


def summary_gates(trace) -> list[str]:
    """The gates whose mean over units makes sense on [0, 1] (not the tanh ones)."""
    return [g for g in trace.gates if g not in TANH_GATES]


def gate_means(trace) -> dict[str, np.ndarray]:
    """gate -> (T,) mean over units of that gate, ignoring non-finite units (NaN if none finite)."""
    out = {}
    for g in summary_gates(trace):
        v = trace.gates[g]  # (T, H)
        finite = np.isfinite(v)
        with np.errstate(invalid="ignore", divide="ignore"):  # a row with no finite unit: 0 / 0 = NaN
            out[g] = np.where(finite, v, 0.0).sum(axis=1) / finite.sum(axis=1)
    return out


def _summary_traces(trace) -> list:
    steps = np.arange(1, trace.T + 1, dtype=np.int32)
    return [
        dict(
            type="scatter",
            x=steps,
            y=payload(m),  # float32, unless a (fuzzed) mean is beyond its range
            mode="lines",
            name=f"{g} {GATE_SYMBOLS.get(g, '')}".strip(),
            line=dict(width=4, color=GATE_COLORS.get(g, "#444")),
            hovertemplate=f"step %{{x}}: mean {g} = %{{y:.4f}}<extra></extra>",
        )
        for g, m in gate_means(trace).items()
    ]


def gate_summary(trace, title: str = "gate mean over units") -> go.Figure:
    """Mean over units of each gate against time: one thick line per gate on [0, 1]."""
    layout = base_layout_dict(title, height=320)
    layout["xaxis"] = dict(title=dict(text="timestep"), range=[0.5, trace.T + 0.5])
    layout["yaxis"] = dict(title=dict(text="mean"), range=[-0.02, 1.02])
    if not trace.gates:
        layout["annotations"] = [dict(text="a plain RNN has no gates", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                      font=dict(size=FONT_SIZE + 2))]
    return _figure(_summary_traces(trace), layout)


# ----------------------------------------------------------------------------
# everything at once, aligned on the time axis


TRACE_PANELS = ("x", *GATE_TITLES, "h", "c", "mean")  # every panel name trace_figure knows, for any cell


def trace_panels(trace) -> list[str]:
    """The panels trace_figure can draw for this trace, top to bottom: "x" (the input), each gate's name,
    "h", "c" (LSTM), "mean" (the gates' means over units)."""
    order = [g for g in trace.gates if g not in TANH_GATES] + [g for g in trace.gates if g in TANH_GATES]
    return ["x", *order, "h", *(["c"] if trace.c is not None else []), *(["mean"] if summary_gates(trace) else [])]


def trace_figure(
    trace, channel_names: list[str] | None = None, title: str | None = None, max_cells: int = MAX_CELLS,
    step_labels: list[str] | None = None, kind: str | None = None, hide=(),
) -> go.Figure:
    """Input, every gate, the hidden state (and LSTM cell state) and the gate means,
    stacked with one shared time axis so a column of pixels is one timestep.

    Gates share one colour axis on [0, 1] ('coloraxis'), states and tanh outputs
    another on [-1, 1] ('coloraxis2'), so equal colours mean equal numbers.
    Panel i uses axes x{i}/y{i}; every x axis 'matches' the bottom one, so
    zooming in time zooms all panels together. Panels run: input, the [0, 1]
    gates, then the [-1, 1] panels (candidate / cell input, h, c), so each
    colour bar sits beside the panels it colours. ``step_labels`` (T,), e.g. the
    characters of a text, label the time axis when T <= 100. ``kind`` (the cell's,
    e.g. "MGU") titles a gate whose meaning differs from the GRU's/LSTM's (gate_title). ``hide``: panels
    (names from trace_panels) left out, e.g. ("reset", "candidate") to tell "z holds a memory" on a projector;
    hiding every panel shows them all.
    """
    T, H = trace.T, trace.hidden_size
    fixed = {"x": ("input", "input x"), "h": ("state:h", "hidden state h"),
             "c": ("state:c", "cell state c  (colour saturates beyond ±1; hover for exact)"),
             "mean": ("summary", "gate mean over units")}
    names = [n for n in trace_panels(trace) if n not in hide] or trace_panels(trace)
    panels = [fixed.get(n) or (f"gate:{n}", gate_title(n, kind)) for n in names]  # (key, panel title), top to bottom

    hh = _heat_height(H)
    heights = []  # px per panel
    for key, _ in panels:
        if key == "input":
            heights.append(150 if trace.x.shape[1] <= 4 else min(hh, 220))
        else:
            heights.append(230 if key == "summary" else hh)
    gap, top, bottom = 75, 60 if title else 45, 75 + LEGEND_ROW + 30  # px: between panels (titles + tick labels),
    # margins (at the bottom: tick labels and the axis title, then a row of legend entries)
    plot_h = sum(heights) + gap * (len(panels) - 1)
    n = len(panels)

    data, notes, annotations = [], {}, []  # notes: heatmap name -> its note ('' if none)
    spans = {"coloraxis": [], "coloraxis2": []}  # (y0, y1) of the panels drawn on each colour axis
    layout = base_layout_dict(None, height=plot_h + top + bottom)
    y1 = 1.0
    for i, ((key, panel_title), h) in enumerate(zip(panels, heights, strict=True), start=1):
        y0 = y1 - h / plot_h
        xa, ya = ("x", "y") if i == 1 else (f"x{i}", f"y{i}")
        xaxis = dict(anchor=ya, domain=[0.0, 1.0], range=[0.5, T + 0.5], showticklabels=True)
        if step_labels is not None and len(step_labels) == T and T <= 100:
            xaxis.update(tickvals=list(range(1, T + 1)), ticktext=[c if c.strip() else "␣" for c in step_labels], tickangle=0,
                         tickfont=dict(size=FONT_SIZE - 2 if T <= 50 else FONT_SIZE - 6, family="monospace"))
        if i < n:
            xaxis["matches"] = f"x{n}"
        else:
            xaxis["title"] = dict(text="timestep")
        yaxis = dict(anchor=xa, domain=[max(y0, 0.0), y1])
        if key == "input":
            traces = _input_traces(trace.x, channel_names)
            yaxis.update(autorange="reversed") if trace.x.shape[1] > 4 else yaxis.update(title=dict(text="x"))
        elif key == "summary":
            traces = _summary_traces(trace)
            yaxis.update(range=[-0.03, 1.03], title=dict(text="mean"), tickvals=[0, 0.5, 1])
            # name each line at its right end, in its colour, for the back of the room; names of lines that end
            # close together are moved apart (a label is ~0.1 of this 230 px panel high)
            ends = [(next((float(v) for v in tr["y"][::-1] if np.isfinite(v)), None), tr) for tr in traces]
            ends = [(y, tr) for y, tr in ends if y is not None]
            for y, (_, tr) in zip(spread([y for y, _ in ends], gap=0.11, lo=0.0, hi=1.0), ends, strict=True):
                annotations.append(dict(text=f"<b>{tr['name']}</b>", x=T + 0.5, y=y, xref=xa, yref=ya, xanchor="left",
                                        showarrow=False, font=dict(size=FONT_SIZE, color=tr["line"]["color"])))
        else:
            what, name = key.split(":")
            if what == "gate":
                values, axis = trace.gates[name], "coloraxis2" if name in TANH_GATES else "coloraxis"
            else:
                values, axis = _state(trace, name), "coloraxis2"
            traces, notes[name] = heatmap_dicts(values, name=name, coloraxis=axis, max_cells=max_cells)
            spans[axis].append((max(y0, 0.0), y1))
            yaxis.update(title=dict(text="unit"), autorange="reversed")
        for tr in traces:
            tr.update(xaxis=xa, yaxis=ya)
            data.append(tr)
        layout["xaxis" if i == 1 else f"xaxis{i}"] = xaxis
        layout["yaxis" if i == 1 else f"yaxis{i}"] = yaxis
        annotations.append(dict(text=panel_title, x=0.0, xref="paper", xanchor="left", y=y1, yref="paper", yanchor="bottom",
                                showarrow=False, font=dict(size=FONT_SIZE)))
        y1 = y0 - gap / plot_h

    head, note = title or "", panel_notes(notes)
    if note:
        head += ("<br>" if head else "") + "<sup>" + note + "</sup>"
    if head:
        layout["title"] = dict(text=head, font=dict(size=FONT_SIZE + 4), x=0.0, xanchor="left")
    layout.update(
        annotations=annotations,
        margin=dict(l=MARGIN_LEFT, r=150, t=top + (30 if note else 0), b=bottom),
        legend=dict(orientation="h", x=0.0, y=-75 / plot_h, yanchor="top", font=dict(size=FONT_SIZE)),
        hovermode="closest",
        # colour bars: gates on the right of the upper half, states below them; the title's empty second line
        # keeps it clear of the top tick label (which sits half above the bar)
        coloraxis=dict(
            colorscale=GATE_COLORSCALE, cmin=0, cmax=1,
            colorbar=dict(title=dict(text="gate<br>&nbsp;", side="top"), x=1.03, thickness=20,
                          tickvals=[0, 0.5, 1], ticktext=["0 closed", "0.5", "1 open"], **_bar_place(spans["coloraxis"], 1.0)),
        ),
        coloraxis2=dict(
            colorscale=STATE_COLORSCALE, cmin=-1, cmax=1, cmid=0,
            colorbar=dict(title=dict(text="state<br>&nbsp;", side="top"), x=1.03, thickness=20,
                          tickvals=[-1, -0.5, 0, 0.5, 1], **_bar_place(spans["coloraxis2"], 0.5)),
        ),
    )
    return _figure(data, layout)


def _bar_place(spans: list, default_top: float) -> dict:
    """Colour bar position covering the panels it colours (paper coordinates), leaving room for its title."""
    if not spans:
        return dict(y=default_top, yanchor="top", len=0.4)
    top, bottom = max(b for _, b in spans), min(a for a, _ in spans)
    length = max(top - bottom, 0.08)
    return dict(y=top, yanchor="top", len=length * 0.9, lenmode="fraction")


# ----------------------------------------------------------------------------
# gradients


def decay_figure(curves: dict, title: str = "how fast the gradient dies: ‖∂state<sub>T</sub>/∂state<sub>T−k</sub>‖",
                 height: int = DECAY_HEIGHT, legend_rows: int | None = None) -> go.Figure:
    """Overlay gradient-decay curves (each (T+1,), entry k = lag k) on one log y axis.

    Names starting with a cell kind ('GRU', 'RNN (tanh)', ...) get that kind's
    colour. Non-finite entries (overflow) and exact zeros (underflow: cannot be
    drawn on a log axis) are left out and named in a note under the title.
    The legend sits in the upper right corner, or under the plot in room for
    ``legend_rows`` rows (long names, or many).
    """
    data, notes = [], []
    spare = iter(["#882255", "#999999", "#000000", "#56B4E9", "#CC79A7"])  # no yellow: it vanishes on a projector
    for name, curve in curves.items():
        d = np.asarray(curve, dtype=np.float64).ravel()  # (T+1,)
        lags = np.arange(d.size)
        ok = np.isfinite(d) & (d > 0)
        bad = ~np.isfinite(d)
        if bad.any():
            notes.append(f"{name}: overflow (inf/NaN) from lag {int(lags[bad][0])}")
        zero = np.isfinite(d) & (d <= 0)
        if zero.any():
            notes.append(f"{name}: exactly 0 from lag {int(lags[zero][0])} (underflow)")
        color = next((c for kind, c in CELL_COLORS.items() if str(name).startswith(kind)), None) or next(spare, "#444")
        data.append(dict(type="scatter", x=lags, y=np.where(ok, d, np.nan), mode="lines", name=str(name),
                         line=dict(width=4, color=color), connectgaps=False,
                         hovertemplate=f"{name}<br>lag k = %{{x}}: %{{y:.3e}}<extra></extra>"))
    full = title + ("<br><sup>⚠ " + "; ".join(notes) + "</sup>" if notes else "")
    # plain dicts, not validated graph objects: the same JSON in ~2 ms instead of ~50 ms (a Gradient Lab rerun draws it)
    layout = base_layout_dict(full, height=height)
    layout["xaxis"] = dict(title=dict(text="steps back in time k"))
    layout["yaxis"] = dict(type="log", title=dict(text="gradient norm (log)"), exponentformat="power",
                           **log_ticks(*curves.values()))
    layout["margin"]["l"] = MARGIN_LEFT_LOG
    if legend_rows:
        layout["legend"]["orientation"] = "h"
        legend_below(layout, rows=legend_rows)
    else:
        layout["legend"].update(x=0.99, y=0.99, xanchor="right", yanchor="top", bgcolor="rgba(255,255,255,0.8)")
    return _figure(data, layout)


def log_ticks(*values) -> dict:
    """Tick settings for a log axis that shows ``values`` (their positive, finite numbers): readable from the back.

    Over at most three decades every label is a plain number (0.02, 0.05, 0.1, 0.2, ...); over more, only
    powers of ten, every 1st, 2nd, 5th, 10th, ... decade so there are at most ~8. (Plotly's default adds
    small "2" and "5" labels between the powers, which run into the exponents of 10⁻¹, 10⁻², ...)
    """
    v = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in values]) if values else np.empty(0)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return {}
    decades = float(np.log10(v.max()) - np.log10(v.min()))
    if decades <= 3:
        return dict(dtick="D2", tickformat="~g")
    return dict(dtick=next(n for n in (1, 2, 5, 10, 20, 50, 100) if n >= decades / 8))


# ----------------------------------------------------------------------------
# the one number to read off a trace figure


def best_window(mean: np.ndarray, width: int) -> tuple[int, int, float]:
    """The ``width``-step window with the highest average of a (T,) series: (first step, last step, average), 1-based.

    Non-finite entries are ignored; returns (1, T, nan) when nothing is finite.
    """
    m = np.asarray(mean, dtype=np.float64)
    T = m.size
    width = int(np.clip(width, 1, T))
    ok = np.isfinite(m)
    if not ok.any():
        return 1, T, math.nan
    s = np.concatenate([[0.0], np.cumsum(np.where(ok, m, 0.0))])  # (T+1,)
    n = np.concatenate([[0], np.cumsum(ok)])  # (T+1,)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = (s[width:] - s[:-width]) / (n[width:] - n[:-width])  # (T-width+1,)
    avg = np.where(np.isfinite(avg), avg, -np.inf)
    i = int(np.argmax(avg))
    return i + 1, i + width, float(avg[i])


def key_number(trace) -> str:
    """One sentence with the number to notice in trace_figure, for the caption under it.

    For a GRU: the stretch where the update gate is highest (the state is kept)
    and, if it dips well below that, the step where it is lowest (the state is
    rewritten). The same with the forget gate for an LSTM.
    """
    T = trace.T
    width = int(np.clip(T // 5, 3, 50))
    means = gate_means(trace)
    h_abs = np.abs(trace.h[np.isfinite(trace.h)])
    h_note = f"mean |h| = {h_abs.mean():.2f}" if h_abs.size else "h is not finite"
    if "update" in means:  # GRU
        gate, other, word = "update", "reset", "state"
    elif "forget" in means:  # LSTM
        gate, other, word = "forget", "input", "cell state"
    else:
        return ("A plain RNN has no gates: every step rewrites the whole state, "
                rf"$h_t = \tanh(W_{{ih}} x_t + W_{{hh}} h_{{t-1}} + b)$; {h_note}.")
    a, b, v = best_window(means[gate], width)
    v = round(v, 2)  # the bands below read the number as printed (0.7957 shows as 0.80: "being kept")
    if v >= 0.8:
        reading = f"the {word} is being kept" + (" ($z = 1$ copies $h_{t-1}$)" if gate == "update" else "")
    elif v >= 0.6:
        reading = f"the {word} mostly survives, partly overwritten"
    elif v >= 0.4:
        reading = f"about half of the {word} survives each step"
    else:
        reading = f"even here most of the {word} is overwritten every step"
    text = f"{gate.capitalize()} gate mean {v:.2f} at steps {a}-{b} (its highest): {reading}."
    m = means[gate]
    if np.isfinite(m).any():
        t = int(np.nanargmin(m))
        if m[t] < v - 0.2:
            text += f" It drops to {m[t]:.2f} at step {t + 1}: there the {word} is rewritten."
    o = means[other]
    o_mean = np.nanmean(o) if np.isfinite(o).any() else math.nan
    return text + f" {other.capitalize()} gate mean over the run {o_mean:.2f}; {h_note}."
