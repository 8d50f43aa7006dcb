"""Builders for lesson figures: plain lesson parameters in, a Plotly figure out (no streamlit).

Every builder takes the keyword arguments of one figure kind in
gru_viz.lessons.FIGURE_KINDS (the scenario: cell, seed, input, ... plus the
kind's own fields) and returns a ``go.Figure``, or a LaTeX string for the
equations. The pictures come from the app's shared builders wherever one exists
(gru_viz.figures: heatmaps, trace, decay; gru_viz.figures_gradients:
eigenvalues, influence, per-step vectors, equations) so a lesson looks like the
rest of the app; this module only adds what the lessons need and nobody else
draws: the network unrolled in time, hidden-state lines, the one-step Jacobian,
parameter counts and the gate activation curves.

Scenario conventions:
    * inputs are sequences from gru_viz.tasks (pulse, sine, noise, text), plus
      optional seeded Gaussian noise on top;
    * ``radius`` rescales every recurrent block to that spectral radius
      (gru_viz.weights.scale_recurrent); ``update_bias`` / ``reset_bias`` /
      ``forget_bias`` set the *total* bias of that gate (gru_viz.weights.set_gate_bias);
    * settings that name a gate the cell does not have (update_bias on an RNN)
      are ignored, so a decay plot can share one set of settings across cells.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from gru_viz import equations, figures, figures_gradients, tasks, variants, weights
from gru_viz.cells import GATE_ACTIVATIONS, GRU, LSTM, VanillaRNN
from gru_viz.gradients import decay_from_jacobians, gradient_decay, influence, jacobians

KIND_NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM", "mgu": "MGU", "mingru": "minGRU", "cifg": "CIFG"}
VARIANT_CLASSES = {"mgu": variants.MGU, "mingru": variants.MinGRU, "cifg": variants.CIFG}  # gru_viz.variants

# ----------------------------------------------------------------------------
# the scenario: plain values -> (model, x, run kwargs, channel names)


def make_input(input="pulse", T=40, input_size=1, pulse_at=None, amplitude=1.0, noise=0.0, period=20.0,
               text="hello world", seed=0, **_) -> tuple[np.ndarray, list[str]]:
    """(x (T, D), channel names) for a lesson's input settings; pulse_at is 1-based."""
    if input == "text":
        x, alphabet, _ = tasks.one_hot_text(text)  # (T, V)
        names = [repr(ch) for ch in alphabet] + ["unknown"]
    elif input == "pulse":
        at = None if pulse_at is None else pulse_at - 1
        if at is not None and at >= T:
            raise ValueError(f"pulse_at = {pulse_at} is after the end of the sequence (T = {T})")
        x = tasks.pulse(T, at=at, amplitude=amplitude, D=input_size)
        names = ["pulse"] if input_size == 1 else [f"x[{j + 1}]" for j in range(input_size)]
    elif input == "sine":
        x, names = tasks.sine(T, period=period, amplitude=amplitude, D=input_size), [f"x[{j + 1}]" for j in range(input_size)]
    elif input == "noise":
        x, names = tasks.noise(T, D=input_size, scale=abs(amplitude), seed=seed), [f"x[{j + 1}]" for j in range(input_size)]
    elif input == "zeros":
        x, names = np.zeros((T, input_size)), [f"x[{j + 1}]" for j in range(input_size)]
    else:
        raise ValueError(f"unknown input {input!r}")
    if noise > 0:
        x = x + noise * np.random.default_rng(seed + 1).standard_normal(x.shape)  # (T, D)
    if input_size == 1 and input != "text":
        names = ["x"]
    return x, names


def make_model(cell="gru", input_size=1, hidden=8, seed=0, variant="torch", gate_activation="sigmoid", nonlinearity="tanh",
               init_scale=1.0, radius=None, update_bias=None, reset_bias=None, forget_bias=None, biases="zero",
               update_input_weight=None, input_gate_bias=None, input_gate_weight=None, **_):
    """A seeded core model with the lesson's weight surgery applied.

    biases="zero" (the lessons' default) zeroes every bias, so h = 0 is a resting
    state: with zero input the state stays at 0, and whatever the network holds
    later came from the input. "random" keeps torch's random initial biases.
    update_input_weight sets every entry of the GRU's W_iz: with a large bias and a
    negative input weight, an input opens the gate to write (z -> 0) and silence
    closes it to hold (z -> 1), by hand, the way training makes a GRU do.
    input_gate_bias / input_gate_weight do the same for the LSTM's input gate i
    (bias and every entry of W_ii): shut (i -> 0) except when an input arrives.
    """
    if cell == "rnn":
        model = VanillaRNN(input_size, hidden, nonlinearity=nonlinearity, seed=seed, init_scale=init_scale)
    elif cell == "gru":
        model = GRU(input_size, hidden, variant=variant, gate_activation=gate_activation, seed=seed, init_scale=init_scale)
    elif cell == "lstm":
        model = LSTM(input_size, hidden, gate_activation=gate_activation, seed=seed, init_scale=init_scale)
    elif cell in VARIANT_CLASSES:  # the simplified cells take no weight surgery beyond zero biases
        model = VARIANT_CLASSES[cell](input_size, hidden, gate_activation=gate_activation, seed=seed, init_scale=init_scale)
        for b in (model.bias_ih, model.bias_hh):
            if biases == "zero" and b is not None:
                b[:] = 0.0
        return model
    else:
        raise ValueError(f"unknown cell {cell!r}")
    if biases == "zero" and model.bias:
        model.bias_ih[:] = 0.0
        model.bias_hh[:] = 0.0
    if radius is not None:
        model = weights.scale_recurrent(model, radius)
    if update_input_weight is not None and model.kind == "GRU":
        model.block("update", "ih")[:] = update_input_weight  # (H, D) view into weight_ih
    if input_gate_weight is not None and model.kind == "LSTM":
        model.block("input", "ih")[:] = input_gate_weight  # (H, D) view into weight_ih
    if input_gate_bias is not None and model.kind == "LSTM":
        model = weights.set_gate_bias(model, "input", input_gate_bias)
    for gate, value in (("update", update_bias), ("reset", reset_bias), ("forget", forget_bias)):
        if value is not None and gate in model.gate_names:
            model = weights.set_gate_bias(model, gate, value)
    return model


def clamps(model, clamp_update=None, clamp_reset=None, clamp_forget=None, **_) -> dict:
    """The clamp dict for model.run from the lesson's clamp_* settings (gates the cell lacks are ignored)."""
    wanted = {"update": clamp_update, "reset": clamp_reset, "forget": clamp_forget}
    return {g: v for g, v in wanted.items() if v is not None and g in model.gate_names}


def initial_state(model, h0=None, **_):
    """(H,) h_0: every unit at the lesson's h0 value, or None (zeros)."""
    return None if h0 is None else np.full(model.hidden_size, float(h0))


def run(**p):
    """(model, trace, channel names) for a full set of scenario settings."""
    x, names = make_input(**p)  # (T, D)
    model = make_model(**{**p, "input_size": x.shape[1]})
    return model, model.run(x, initial_state(model, **p), clamp=clamps(model, **p)), names


def _settings(p, gates=("update", "reset", "forget", "input")) -> str:
    """The scenario settings worth naming in a subtitle, e.g. 'H = 8, update bias 3, z clamped at 1, seed 0'."""
    bits = [f"H = {p.get('hidden', 8)}"]
    if p.get("gate_activation", "sigmoid") != "sigmoid":
        bits.append(p["gate_activation"].replace("_", " ") + " gates")
    if p.get("biases", "zero") != "zero":
        bits.append(f"{p['biases']} biases")
    if p.get("init_scale", 1.0) != 1.0:
        bits.append(f"weights ×{p['init_scale']:g}")
    if p.get("radius") is not None:
        bits.append(f"spectral radius {p['radius']:g}")
    if p.get("update_input_weight") is not None and "update" in gates:
        bits.append(f"W<sub>iz</sub> = {p['update_input_weight']:g}")
    if p.get("input_gate_weight") is not None and "input" in gates:
        bits.append(f"W<sub>ii</sub> = {p['input_gate_weight']:g}")
    if p.get("input_gate_bias") is not None and "input" in gates:
        bits.append(f"input bias {p['input_gate_bias']:g}")
    for gate in gates:
        if p.get(f"{gate}_bias") is not None:
            bits.append(f"{gate} bias {p[gate + '_bias']:g}")
        if p.get(f"clamp_{gate}") is not None:
            bits.append(f"{figures.GATE_SYMBOLS[gate]} clamped at {p['clamp_' + gate]:g}")
    bits.append(f"seed {p.get('seed', 0)}")
    return ", ".join(bits)


VARIANT_NAMES = {"torch": "PyTorch's form, reset after W<sub>hn</sub>",
                 "cho2014": "Cho et al. 2014, reset before W<sub>hn</sub>"}


def _title(model, p) -> str:
    """A short line naming the scenario, e.g. 'GRU, H = 8, update bias 3, z clamped at 1, seed 0'; the GRU's
    form is named only when it is not PyTorch's, the app's GRU everywhere (lesson 5 introduces the other)."""
    variant = getattr(model, "variant", None)
    kind = model.kind + (f" ({VARIANT_NAMES[variant]})" if variant == "cho2014" else "")
    return f"{kind}, {_settings(p, model.gate_names)}"


def _style(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """The app's shared look (gru_viz.figures.base_layout_dict), with the template passed by name.

    Same template, same fonts and margins; naming the template instead of passing it
    as a dict saves ~0.4 s of Plotly validation per figure.
    """
    layout = figures.base_layout_dict(title, height)
    layout["template"] = figures.TEMPLATE_NAME
    fig.update_layout(**layout)
    return fig


# ----------------------------------------------------------------------------
# figures from the shared builders


def input_figure(**p) -> go.Figure:
    x, names = make_input(**p)
    return figures.input_figure(x, names, title="input x<sub>t</sub>")


def trace_figure(**p) -> go.Figure:
    model, trace, names = run(**p)
    return figures.trace_figure(trace, names, title=_title(model, p), kind=model.kind)


def heatmap_figure(what="hidden", **p) -> go.Figure:
    model, trace, _ = run(**p)
    if what == "hidden":
        fig = figures.state_heatmap(trace, "h")
    elif what == "cell_state":
        fig = figures.state_heatmap(trace, "c")
    else:
        fig = figures.gate_heatmap(trace, what, kind=model.kind)
    fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{_title(model, p)}</sup>",
                      margin_t=(fig.layout.margin.t or 60) + 22,  # room for the added line
                      height=max(fig.layout.height or 0, 380) + 22)  # taller than the explorer's: one chart per step
    return fig


def decay_figure(cells=("rnn", "gru"), **p) -> go.Figure:
    curves = {}
    for cell in cells:
        x, _ = make_input(**p)
        model = make_model(**{**p, "cell": cell, "input_size": x.shape[1]})
        name = KIND_NAMES[cell] + (f" ({model.nonlinearity})" if cell == "rnn" else "")
        curves[name] = gradient_decay(model, x, initial_state(model, **p), clamp=clamps(model, **p))
    fig = figures.decay_figure(curves)
    fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{_settings(p)}</sup>",
                      legend=dict(orientation="h", x=0.0, y=-0.2, xanchor="left", yanchor="top"), margin=dict(b=110))
    return fig


def _gru_step(step, p):
    model, trace, _ = run(**p)
    if "update" not in trace.gates or "reset" not in trace.gates:
        raise ValueError("this figure shows a GRU step: set cell = \"gru\"")
    if step > trace.T:
        raise ValueError(f"step {step} is after the end of the sequence (T = {trace.T})")
    return model, trace


def cell_diagram_figure(step=1, **p) -> go.Figure:
    """The GRU cell at one step, each path as wide as its gate is open (gru_viz.figures_gradients)."""
    model, trace = _gru_step(step, p)
    fig = figures_gradients.cell_diagram(trace, step)
    top = (fig.layout.margin.t or 60) + 30  # room for one more subtitle line above the diagram
    fig.update_layout(title_text=f"{fig.layout.title.text or ''}<br><sup>{_title(model, p)}</sup>", margin=dict(t=top),
                      height=(fig.layout.height or 430) + 30)
    return fig


def step_bars_figure(step=1, **p) -> go.Figure:
    """h_{t-1}, r_t, z_t, n_t, h_t of one GRU step as bar charts (gru_viz.figures_gradients)."""
    model, trace = _gru_step(step, p)
    return figures_gradients.step_bars(trace, step)


def eigenvalue_figure(cells=("rnn",), **p) -> go.Figure:
    """Eigenvalues of each cell's main recurrent block against the unit circle (gru_viz.weights, figures_gradients)."""
    eigs = {}
    for cell in cells:
        model = make_model(**{**p, "cell": cell})
        block = weights.MAIN_BLOCK.get(model.kind)
        if block is None:
            raise ValueError(f"no recurrent block to show for {model.kind}")
        eigs[f"{model.kind} W<sub>h{'h' if block == 'h' else block[0]}</sub>"] = weights.eigenvalues(model, block)
    fig = figures_gradients.eigen_figure(eigs)
    fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{_settings(p)}</sup>",
                      margin=dict(t=(fig.layout.margin.t or 60) + 30))
    return fig


def influence_panels_figure(cells=("rnn", "gru"), **p) -> go.Figure:
    """Per-unit gradient magnitude ||d state_T / d h_t[j]|| over time, one heatmap per cell (figures_gradients)."""
    panels = {}
    for cell in cells:
        x, _ = make_input(**p)
        model = make_model(**{**p, "cell": cell, "input_size": x.shape[1]})
        trace = model.run(x, initial_state(model, **p), clamp=clamps(model, **p))
        panels[KIND_NAMES[cell]] = influence(model, trace)[:, : model.hidden_size]  # (T+1, H) h columns
    # one picture to read on its own: colours fitted to its magnitudes (the Gradient Lab keeps a fixed range)
    fig = figures_gradients.influence_figure(panels, log_range=figures_gradients.influence_log_range(panels))
    fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{_settings(p)}</sup>",
                      margin=dict(t=(fig.layout.margin.t or 60) + 30))
    return fig


# ----------------------------------------------------------------------------
# figures only the lessons draw


def lines_figure(panels=("x", "hidden"), units=4, **p) -> go.Figure:
    """Stacked line plots sharing the time axis: the input, then h_t (or a gate) for the first `units` units.

    Panels: "x" (the input), "hidden", "cell_state" or a gate name (e.g. "update",
    or the LSTM's "input" gate). Lines instead of a heatmap when the point is one
    unit's value over time ("the update gate stays near 1, so h stays flat").
    """
    model, trace, names = run(**p)
    T, H = trace.T, trace.hidden_size
    units = min(units, H)
    for name in panels:
        if name not in ("x", "hidden", "cell_state") and name not in trace.gates:
            raise ValueError(f"a {model.kind} has no {name!r} to draw; it has {['x', 'hidden', *trace.gates]}")
        if name == "cell_state" and trace.c is None:
            raise ValueError("only an LSTM has a cell state")
    titles = {"x": "input x<sub>t</sub>", "hidden": "hidden state h<sub>t</sub>", "cell_state": "cell state c<sub>t</sub>"}
    n = len(panels)
    layout = figures.base_layout_dict(_title(model, p), height=170 + 230 * n)
    layout.update(figures.stacked_axes(n, 0.09 if n > 1 else 0.0,
                                       titles=[titles.get(name) or figures.gate_title(name, model.kind) for name in panels]))
    steps = np.arange(1, T + 1)
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255"]  # no yellow
    data = []
    for row, name in enumerate(panels, start=1):
        ax = "" if row == 1 else str(row)
        on = dict(xaxis=f"x{ax}", yaxis=f"y{ax}")
        layout[f"xaxis{ax}"]["range"] = [0.5, T + 0.5]
        if name == "x":
            for j in range(min(trace.x.shape[1], 4)):
                data.append(dict(type="scatter", x=steps, y=trace.x[:, j], mode="lines+markers" if T <= 80 else "lines",
                                 name=names[j], line=dict(color="#333", width=3), marker=dict(size=6), showlegend=False,
                                 hovertemplate=f"step %{{x}}: {names[j]} = %{{y:.4f}}<extra></extra>", **on))
            continue
        values = {"hidden": trace.h, "cell_state": trace.c}.get(name, trace.gates.get(name))
        for j in range(units):
            data.append(dict(type="scatter", x=steps, y=values[:, j], mode="lines", name=f"unit {j + 1}", legendgroup=f"u{j}",
                             showlegend=row == n, line=dict(color=palette[j % len(palette)], width=3),
                             hovertemplate=f"step %{{x}}, unit {j + 1}: %{{y:.4f}}<extra></extra>", **on))
        if name in trace.gates:
            lo, hi = figures.gate_range(name)
            layout[f"yaxis{ax}"]["range"] = [lo - 0.05, hi + 0.05]
        else:  # states: [-1, 1], unless they stay small (a fading pulse would look flat) or a cell state goes beyond
            shown = np.abs(values[:, :units])
            r = float(shown[np.isfinite(shown)].max(initial=0.0))
            bound = 1.0 if 0.5 <= r <= 1.0 or r == 0.0 else 1.1 * r
            layout[f"yaxis{ax}"]["range"] = [-bound - 0.05 * bound, bound + 0.05 * bound]
            if bound != 1.0:
                layout["annotations"][row - 1]["text"] += f"  (axis ±{bound:.2g}: {'zoomed in' if bound < 1 else 'beyond ±1'})"
    layout[f"xaxis{n if n > 1 else ''}"]["title"] = dict(text="timestep t")
    layout["legend"] = dict(orientation="h", font=dict(size=figures.FONT_SIZE))
    figures.legend_below(layout, rows=math.ceil(units / 4))  # four "unit j" entries fit a row of the narrowest chart
    for ann in layout["annotations"]:
        ann.update(x=0.0, xanchor="left")
    return figures._figure(data, layout)


def unrolled_figure(steps=6, **p) -> go.Figure:
    """The recurrence drawn unrolled: one copy of the cell per timestep, h_{t-1} -> [cell] -> h_t,
    with x_t entering from below and the live hidden vectors h_0 .. h_N as coloured columns above."""
    model, trace, _ = run(**p)
    N = min(steps, trace.T)
    H = trace.hidden_size
    title = f"one cell, reused at every step (orange arrows carry h<sub>t</sub> forward)<br><sup>{_title(model, p)}</sup>"
    layout = figures.base_layout_dict(title, height=560)
    layout.update(figures.stacked_axes(2, 0.04, row_heights=[0.55, 0.45]))
    h = trace.states[: N + 1, :H]  # (N+1, H) h_0 .. h_N
    data = [dict(type="heatmap", z=h.T, x=np.arange(N + 1), y=np.arange(1, H + 1), zmin=-1, zmax=1,
                 colorscale=figures.STATE_COLORSCALE, xgap=18, ygap=1,
                 colorbar=dict(title=dict(text="h"), thickness=16, len=0.5, y=1.0, yanchor="top"),
                 hovertemplate="h<sub>%{x}</sub>, unit %{y}: %{z:.4f}<extra></extra>")]
    layout["margin"]["r"] = figures.MARGIN_COLORBAR
    layout["yaxis"].update(title=dict(text="unit of h<sub>t</sub>"), autorange="reversed")
    # the chain of cells: boxes at t = 1..N on row 2 (y in [0, 3])
    xs, ys, labels, shapes, arrows = [], [], [], [], []
    arrow = dict(xref="x2", yref="y2", axref="x2", ayref="y2", showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2, text="")
    for t in range(1, N + 1):
        shapes.append(dict(type="rect", x0=t - 0.3, x1=t + 0.3, y0=1.4, y1=2.4, line=dict(color="#0072B2", width=3),
                           fillcolor="#E8F1FA", layer="below", xref="x2", yref="y2"))
        xs += [t, t]
        ys += [1.9, 0.25]
        labels += [model.kind, f"x<sub>{t}</sub><br>{trace.x[t - 1, 0]:.3g}" if trace.x.shape[1] == 1 else f"x<sub>{t}</sub>"]
        arrows += [dict(arrow, x=t, y=1.4, ax=t, ay=0.55, arrowcolor="#333"),
                   dict(arrow, x=t - 0.3, y=1.9, ax=t - 0.7, ay=1.9, arrowcolor="#D55E00"),
                   dict(arrow, x=t, y=2.4, ax=t, ay=2.95, arrowcolor="#333")]
    xs.append(0)
    ys.append(1.9)
    labels.append("h<sub>0</sub>")
    data.append(dict(type="scatter", x=xs, y=ys, text=labels, mode="text", textfont=dict(size=figures.FONT_SIZE),
                     showlegend=False, hoverinfo="skip", xaxis="x2", yaxis="y2"))
    layout["yaxis2"].update(range=[0, 3.0], visible=False)
    for ax in ("xaxis", "xaxis2"):
        layout[ax].update(tickvals=list(range(N + 1)), ticktext=[f"t = {t}" for t in range(N + 1)], range=[-0.5, N + 0.5])
    layout.update(shapes=shapes, annotations=arrows)
    return figures._figure(data, layout)


def jacobian_figure(step=1, **p) -> go.Figure:
    """The one-step Jacobian J_t = d h_t / d h_{t-1} (rows: unit of h_t, columns: unit of h_{t-1}) on [-1, 1]."""
    model, trace, _ = run(**p)
    if step > trace.T:
        raise ValueError(f"step {step} is after the end of the sequence (T = {trace.T})")
    J = jacobians(model, trace)[step - 1]  # (S, S)
    H = trace.hidden_size
    J = J[:H, :H]  # the h -> h block (for the LSTM the state is [h, c]; we show h only)
    norm = float(np.linalg.norm(J, 2)) if np.isfinite(J).all() else float("nan")
    units = np.arange(1, H + 1)
    fig = go.Figure(go.Heatmap(z=J, x=units, y=units, zmin=-1, zmax=1, zmid=0, colorscale=figures.STATE_COLORSCALE,
                               colorbar=dict(thickness=18), xgap=1, ygap=1,
                               hovertemplate="∂h<sub>t</sub>[%{y}] / ∂h<sub>t−1</sub>[%{x}] = %{z:.4f}<extra></extra>"))
    sub = f"step t = {step}, ‖J‖₂ = {norm:.3f}"
    if "update" in trace.gates:
        sub += f", mean z<sub>t</sub> = {trace.gates['update'][step - 1].mean():.3f}"
    _style(fig, f"one-step Jacobian ∂h<sub>t</sub>/∂h<sub>t−1</sub> — {sub}<br><sup>{_title(model, p)}</sup>", height=520)
    fig.update_xaxes(title_text="unit of h<sub>t−1</sub>", dtick=1 if H <= 16 else None, range=[0.5, H + 0.5], constrain="domain")
    fig.update_yaxes(title_text="unit of h<sub>t</sub>", autorange="reversed", dtick=1 if H <= 16 else None, scaleanchor="x")
    fig.update_layout(margin_r=figures.MARGIN_COLORBAR)
    return fig


def params_figure(cells=("rnn", "gru", "lstm"), input_size=8, hidden=32) -> go.Figure:
    """Bar chart of the number of parameters of each cell for one (D, H), counted from the real models.

    A full gate block (two weight matrices, two biases) holds H(D + H + 2) numbers:
    RNN 1 block, GRU 3, LSTM 4; the simplified cells have fewer or thinner blocks.
    """
    models = [make_model(c, input_size=input_size, hidden=hidden) for c in cells]
    block = hidden * (input_size + hidden + 2)
    counts = [m.n_params for m in models]
    labels = [f"{c:,}<br>= {c / block:.3g} × block" for c in counts]
    fig = go.Figure(go.Bar(x=[m.kind for m in models], y=counts, text=labels, textposition="outside",
                           marker_color=[figures.CELL_COLORS.get(m.kind, "#999999") for m in models],
                           hovertemplate="%{x}: %{y:,} parameters<extra></extra>"))
    _style(fig, f"parameters for input size D = {input_size}, hidden size H = {hidden}"
                        f"<br><sup>one gate block = H(D + H + 2) = {block:,} numbers (two weight matrices, two biases)</sup>",
                        height=460)
    fig.update_yaxes(title_text="number of parameters", range=[0, max(counts) * 1.3])
    fig.update_layout(margin_l=figures.MARGIN_LEFT + 10)  # "12,000": wider tick labels than most
    return fig


def activation_figure(range=6.0) -> go.Figure:
    """The gate functions against their input: sigmoid, hard sigmoid (torch's Hardsigmoid) and tanh."""
    a = np.linspace(-range, range, 401)  # (401,)
    fig = go.Figure()
    styles = {"sigmoid": ("#0072B2", "solid"), "hard_sigmoid": ("#D55E00", "dash")}
    for name, (fun, _) in GATE_ACTIVATIONS.items():
        color, dash = styles.get(name, ("#444", "dot"))
        fig.add_trace(go.Scatter(x=a, y=fun(a), name=name.replace("_", " "), line=dict(color=color, width=4, dash=dash)))
    fig.add_trace(go.Scatter(x=a, y=np.tanh(a), name="tanh (candidate)", line=dict(color="#009E73", width=3, dash="dot")))
    _style(fig, "gate activations: a gate squashes its input a into [0, 1]", height=440)
    fig.update_xaxes(title_text="pre-activation a")
    fig.update_yaxes(title_text="output", range=[-1.05, 1.05])
    # the upper left is empty (every curve rises from its floor): the legend sits there, clear of the title
    fig.update_layout(legend=dict(orientation="v", x=0.01, y=0.99, xanchor="left", yanchor="top",
                                  bgcolor="rgba(255,255,255,0.85)"))
    return fig


def equations_latex(step=1, units=2, **p) -> list[str]:
    """The four GRU equations of one step with the live numbers of the first `units` units (gru_viz.equations)."""
    model, trace, _ = run(**p)
    if model.kind != "GRU":
        raise ValueError("the step equations are written for the GRU: set cell = \"gru\"")
    if step > trace.T:
        raise ValueError(f"step {step} is after the end of the sequence (T = {trace.T})")
    colors = {g: figures.GATE_TEXT_COLORS[g] for g in ("reset", "update", "candidate")}  # text: the darker shades
    eq = equations.gru_step_equations(model, trace, step, list(range(min(units, trace.hidden_size))), digits=3, colors=colors)
    return [eq.latex[k] for k in ("reset", "update", "candidate", "hidden")]


# ----------------------------------------------------------------------------
# attention over a GRU encoder: the shipped encoder-decoder (gru_viz.attention)

_SEQ2SEQ = {}  # attention: bool -> loaded Seq2Seq (read once per process)


def _seq2seq(with_attention: bool):
    from gru_viz import attention
    from gru_viz.attention_training import CHECKPOINT_DIR, FILES

    if with_attention not in _SEQ2SEQ:
        _SEQ2SEQ[with_attention] = attention.Seq2Seq.load(CHECKPOINT_DIR / FILES[with_attention])
    return _SEQ2SEQ[with_attention]


def attention_figure(length=10, seed=0) -> go.Figure:
    """Where the shipped attention model looks while it reverses a random string (figures_attention.alignment_figure)."""
    from gru_viz import attention, figures_attention

    model = _seq2seq(True)
    tokens = attention.random_tokens(length, seed=seed, n_symbols=model.n_symbols)  # (T,)
    trace = model.run(tokens)
    return figures_attention.alignment_figure(trace, model.symbols, target=tokens[::-1])


def attention_accuracy_figure() -> go.Figure:
    """Accuracy of the shipped models with and without attention against string length (from their manifest)."""
    import json

    from gru_viz import figures_attention
    from gru_viz.attention_training import CHECKPOINT_DIR

    manifest = json.loads((CHECKPOINT_DIR / "manifest.json").read_text())
    return figures_attention.accuracy_figure(manifest)


# ----------------------------------------------------------------------------
# live quiz answers


def compute_quantity(quantity="gate", gate="update", step=1, unit=0, lag=1, **p) -> float:
    """One number from the model, for a quiz: a gate value, a hidden-state value, or a gradient norm at a lag."""
    model, trace, _ = run(**p)
    if quantity == "decay":
        if lag > trace.T:
            raise ValueError(f"lag {lag} is longer than the sequence (T = {trace.T})")
        return float(decay_from_jacobians(jacobians(model, trace))[lag])
    if step > trace.T:
        raise ValueError(f"step {step} is after the end of the sequence (T = {trace.T})")
    if unit >= trace.hidden_size:
        raise ValueError(f"unit {unit} does not exist: units are 0..{trace.hidden_size - 1}")
    if quantity == "state":
        return float(trace.h[step - 1, unit])
    if gate not in trace.gates:
        raise ValueError(f"a {model.kind} has no gate {gate!r}; it has {list(trace.gates) or 'none'}")
    return float(trace.gates[gate][step - 1, unit])


# ----------------------------------------------------------------------------
# the shipped character models on a snippet


def text_unit_figure(cell="gru", signal="h", pattern="string", unit=None) -> go.Figure:
    """A shipped character model (checkpoints/text) reading the text view's sample snippet, each character
    coloured by one unit: the unit that best tracks ``pattern`` on this snippet (gru_viz.interpret.rank_units)
    unless ``unit`` is given. The pattern's characters are underlined."""
    from gru_viz import figures_text, interpret, text_models

    kind = cell.upper()
    text = interpret.SNIPPET
    signals = interpret.signals(text_models.load_shipped(kind).read(text).trace)  # name -> (T, H)
    if signal not in signals:
        raise ValueError(f"the {kind} has no signal {signal!r}; choose from {sorted(signals)}")
    label, binary = interpret.PATTERNS[pattern]
    if not binary:
        raise ValueError(f"pattern {pattern!r} is graded; a text_unit figure underlines a yes/no pattern")
    inside = interpret.patterns(text)[0][pattern]  # (T,) 1 inside, 0 outside, NaN not scored
    ranked = interpret.rank_units(signals[signal], inside, binary=True)
    entry = ranked[0] if unit is None else next((e for e in ranked if e["unit"] == unit), None)
    if entry is None:
        raise ValueError(f"unit must be in 0..{signals[signal].shape[1] - 1}, got {unit}")
    u = entry["unit"]
    where = f"best of {len(ranked)} units" if unit is None else f"rank {ranked.index(entry) + 1} of {len(ranked)}"
    title = f"{kind} {signal}[{u}], {label.split(' (')[0]}: {figures_text.score_text(entry)} ({where})"
    return figures_text.text_grid_figure(text, signals[signal][:, u], signal, title, label=f"{signal}[{u}]",
                                         marked=inside > 0.5)
