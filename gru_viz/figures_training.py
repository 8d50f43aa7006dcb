"""Figures of the Training Lab: loss curves of several cells on shared log axes, with the task's trivial baseline.

Plotly only (no streamlit). Colours per cell come from gru_viz.figures.CELL_COLORS,
so a GRU is the same blue here as on every other page.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from gru_viz.figures import CELL_COLORS, base_layout

LOSS_NAMES = {"mse_last": "test MSE", "ce_seq": "test cross-entropy per step", "mse_seq": "test MSE per step"}
BASELINE_NOTES = {
    "adding": "predict 1 every time",
    "copy": "blank, then a random symbol",
    "delayed_recall": "predict 0 every time",
}
MAX_POINTS = 400  # training-loss points drawn per cell (more steps are averaged into bins)


def smooth(steps, losses, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Average the noisy per-step training loss in equal bins: at most ``max_points`` (step, mean loss) pairs."""
    steps, losses = np.asarray(steps, dtype=float), np.asarray(losses, dtype=float)  # (n,)
    n = len(steps)
    if n == 0:
        return steps, losses
    k = max(1, int(np.ceil(n / max_points)))
    m = (n // k) * k
    s, v = steps[:m].reshape(-1, k).mean(1), losses[:m].reshape(-1, k).mean(1)  # (n//k,)
    if m < n:
        s, v = np.append(s, steps[m:].mean()), np.append(v, losses[m:].mean())
    return s, v


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis spanning 10**lo .. 10**hi: one per decade (0.001, 0.01, ...), or 1-2-5 (or
    every digit) in each decade when fewer than three decade ticks fall inside, so a narrow range has numbers too."""
    for mantissas in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [m * 10.0**k for k in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) for m in mantissas]
        inside = [t for t in ticks if lo <= np.log10(t) <= hi]
        if len(inside) >= 3:
            return inside
    return inside


def loss_figure(curves: list[dict], baseline: float, loss: str = "mse_last", task: str = "adding",
                steps: int | None = None, title: str | None = None) -> go.Figure:
    """Test loss (bold, with markers) and binned training loss (faint) of each cell, log y, baseline dashed.

    Args:
        curves: one dict per cell: "cell" ("RNN"/"GRU"/"LSTM"), "train_step", "train_loss",
            "test_step", "test_loss" (lists of equal length in pairs).
        baseline: the task's trivial loss (what a model that remembers nothing scores).
        loss: the loss kind ("mse_last", "ce_seq", "mse_seq"), names the y axis.
        task: the task name, explains the baseline.
        steps: where the x axis ends: the run's total steps while it trains (so the axis stays put while
            training fills it), the steps actually run once it has stopped (so the curves fill the width).
    """
    fig = go.Figure()
    if not (np.isfinite(baseline) and baseline > 0):  # it sets the log axis range
        raise ValueError(f"the baseline loss must be a positive number, got {baseline}")
    ys = [baseline]
    for c in curves:
        color = CELL_COLORS.get(c["cell"], "#444")
        s, v = smooth(c["train_step"], c["train_loss"])
        fig.add_trace(go.Scatter(x=s, y=v, mode="lines", name=f"{c['cell']} train", line=dict(color=color, width=1.5),
                                 opacity=0.35, legendgroup=c["cell"], showlegend=False,
                                 hovertemplate=c["cell"] + " train loss %{y:.4g} at step %{x:.0f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=c["test_step"], y=c["test_loss"], mode="lines+markers", name=c["cell"],
                                 line=dict(color=color, width=4), marker=dict(size=7), legendgroup=c["cell"],
                                 cliponaxis=False,  # the last marker sits on the axis's end: draw all of it
                                 hovertemplate=c["cell"] + " test loss %{y:.4g} at step %{x}<extra></extra>"))
        ys += [y for y in list(v) + list(c["test_loss"]) if np.isfinite(y) and y > 0]
    note = BASELINE_NOTES.get(task, "no memory")
    fig.add_hline(y=baseline, line=dict(color="#555", dash="dash", width=2))
    # its label just above the line's right end: on a log axis an annotation's y is in axis units, log10 of the value
    # (add_hline's own annotation takes the value itself and would sit at 10**baseline)
    fig.add_annotation(text=f"trivial baseline ({note}): {baseline:.3g}", font=dict(size=15, color="#444"), showarrow=False,
                       bgcolor="rgba(255,255,255,0.75)",  # readable over the faint training curves
                       x=1, xref="x domain", xanchor="right", y=np.log10(baseline), yref="y", yanchor="bottom")
    lo, hi = np.log10(max(min(ys), 1e-6)) - 0.15, np.log10(max(ys)) + 0.25
    ticks = log_ticks(lo, hi)
    fig.update_yaxes(type="log", title=LOSS_NAMES.get(loss, "test loss") + " (log scale)", range=[lo, hi],
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_xaxes(title="training step", range=[0, steps] if steps else None)
    base_layout(fig, title=title, height=460)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0), hovermode="closest")
    if title:
        fig.update_layout(margin=dict(t=110))
    return fig
