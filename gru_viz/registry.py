"""Every recurrent cell in gru-viz by name, with its size and its cost per step.

The registry is what the UI offers: a name maps to a constructor, a one-line
description, the reference, and the parameter-count formula both as text and
as a function of (D, H). ``cost`` adds the floating-point operations of one
step and ``time_per_step`` measures the seconds one step takes in this NumPy
core (interpreter overhead included, so small cells are not proportionally
faster).

FLOPs per step, counted the usual way: 2 per weight (a multiply and an add in
the matrix-vector products, input side included since it runs every step),
1 per bias, and each cell's element-wise operations (adds, products, 1 - z,
and every sigmoid/tanh counted as 1) times H.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gru_viz import limits
from gru_viz.cells import GRU, LSTM, VanillaRNN
from gru_viz.variants import CIFG, MGU, DeySalemGRU, MinGRU


@dataclass(frozen=True)
class CellSpec:
    """One entry of the registry."""

    key: str  # URL-safe identifier, e.g. "mingru"
    label: str  # shown in the UI, e.g. "minGRU"
    build: Callable  # build(input_size, hidden_size, seed=0, init_scale=1.0) -> cell
    description: str  # one sentence: what is different about this cell
    reference: str  # paper it comes from
    params_formula: str  # the count as text, with D input size and H hidden size
    params: Callable[[int, int], int]  # the count as a function of (D, H)
    elementwise_ops: int  # element-wise operations per unit per step (see module docstring)
    gate_activation: str  # "sigmoid", "hard_sigmoid" or "none" (no gates)


def _gated(D, H):
    return H * D + H * H + 2 * H  # one torch-style block: W_i (H, D), W_h (H, H), b_i, b_h


CELLS: dict[str, CellSpec] = {
    s.key: s
    for s in [
        CellSpec("rnn", "RNN (tanh)", lambda D, H, **kw: VanillaRNN(D, H, **kw),
                 "No gates: the state is rewritten by tanh(W x + U h + b) at every step.",
                 "Elman 1990", "H·D + H·H + 2H", _gated, 2, "none"),
        CellSpec("gru", "GRU", lambda D, H, **kw: GRU(D, H, **kw),
                 "Reset and update gates; z = 1 keeps the old state (torch.nn.GRU equations).",
                 "Cho et al. 2014", "3·(H·D + H·H + 2H)", lambda D, H: 3 * _gated(D, H), 11, "sigmoid"),
        CellSpec("gru_hard", "GRU (hard sigmoid)", lambda D, H, **kw: GRU(D, H, gate_activation="hard_sigmoid", **kw),
                 "The GRU with torch's Hardsigmoid clip(x/6 + 1/2, 0, 1) for r and z: gates can shut exactly.",
                 "Cho et al. 2014; Hardsigmoid as torch.nn", "3·(H·D + H·H + 2H)", lambda D, H: 3 * _gated(D, H), 11,
                 "hard_sigmoid"),
        CellSpec("gru_cho", "GRU (Cho 2014 reset)", lambda D, H, **kw: GRU(D, H, variant="cho2014", **kw),
                 "The paper's GRU: the reset gate multiplies h before W_hn rather than after.",
                 "Cho et al. 2014", "3·(H·D + H·H + 2H)", lambda D, H: 3 * _gated(D, H), 11, "sigmoid"),
        CellSpec("lstm", "LSTM", lambda D, H, **kw: LSTM(D, H, **kw),
                 "Input, forget and output gates and a separate cell state c (torch.nn.LSTM).",
                 "Hochreiter & Schmidhuber 1997; Gers et al. 2000", "4·(H·D + H·H + 2H)",
                 lambda D, H: 4 * _gated(D, H), 13, "sigmoid"),
        CellSpec("lstm_hard", "LSTM (hard sigmoid)", lambda D, H, **kw: LSTM(D, H, gate_activation="hard_sigmoid", **kw),
                 "The LSTM with torch's Hardsigmoid clip(x/6 + 1/2, 0, 1) for i, f and o.",
                 "Hochreiter & Schmidhuber 1997; Hardsigmoid as torch.nn", "4·(H·D + H·H + 2H)",
                 lambda D, H: 4 * _gated(D, H), 13, "hard_sigmoid"),
        CellSpec("cifg", "CIFG LSTM", lambda D, H, **kw: CIFG(D, H, **kw),
                 "LSTM with the input gate tied to the forget gate: i = 1 - f.",
                 "Greff et al. 2015", "3·(H·D + H·H + 2H)", lambda D, H: 3 * _gated(D, H), 12, "sigmoid"),
        CellSpec("mgu", "MGU", lambda D, H, **kw: MGU(D, H, **kw),
                 "One forget gate does the GRU's reset and update jobs; f = 1 forgets (replaces the state).",
                 "Zhou et al. 2016", "2·(H·D + H·H + 2H)", lambda D, H: 2 * _gated(D, H), 9, "sigmoid"),
        CellSpec("gru1", "GRU1 (Dey & Salem)", lambda D, H, **kw: DeySalemGRU(D, H, version=1, **kw),
                 "GRU whose gates read the hidden state and a bias, not the input.",
                 "Dey & Salem 2017", "H·D + 3·H·H + 4H", lambda D, H: H * D + 3 * H * H + 4 * H, 9, "sigmoid"),
        CellSpec("gru2", "GRU2 (Dey & Salem)", lambda D, H, **kw: DeySalemGRU(D, H, version=2, **kw),
                 "GRU whose gates read the hidden state only (no input, no bias).",
                 "Dey & Salem 2017", "H·D + 3·H·H + 2H", lambda D, H: H * D + 3 * H * H + 2 * H, 9, "sigmoid"),
        CellSpec("gru3", "GRU3 (Dey & Salem)", lambda D, H, **kw: DeySalemGRU(D, H, version=3, **kw),
                 "GRU whose gates are a learned bias only: constant over time.",
                 "Dey & Salem 2017", "H·D + H·H + 4H", lambda D, H: H * D + H * H + 4 * H, 9, "sigmoid"),
        CellSpec("mingru", "minGRU", lambda D, H, **kw: MinGRU(D, H, **kw),
                 "Update gate and linear candidate from the input only, so the whole sequence is one parallel scan.",
                 "Feng et al. 2024", "2·(H·D + H)", lambda D, H: 2 * (H * D + H), 5, "sigmoid"),
    ]
}


def get(key: str) -> CellSpec:
    """The registry entry for ``key``, or a ValueError listing the valid keys."""
    if key not in CELLS:
        raise ValueError(f"unknown cell {key!r}; choose from {list(CELLS)}")
    return CELLS[key]


def build(key: str, input_size: int, hidden_size: int, seed: int = 0, init_scale: float = 1.0):
    """A fresh cell by registry key, seeded."""
    return get(key).build(input_size, hidden_size, seed=seed, init_scale=init_scale)


def n_weights_and_biases(model) -> tuple[int, int]:
    """(number of weights, number of biases) actually stored in ``model``."""
    w = sum(a.size for a in (model.weight_ih, model.weight_hh) if a is not None)
    b = sum(a.size for a in (model.bias_ih, model.bias_hh) if a is not None)
    return int(w), int(b)


def flops_per_step(key: str, input_size: int, hidden_size: int) -> int:
    """Floating-point operations of one step: 2 per weight + 1 per bias + element-wise ops x H."""
    spec = get(key)
    w, b = n_weights_and_biases(build(key, input_size, hidden_size))
    return 2 * w + b + spec.elementwise_ops * limits.HIDDEN_SIZE.check(hidden_size)


def cost(key: str, input_size: int, hidden_size: int) -> dict:
    """Parameter count (from the formula) and FLOPs per step for one cell."""
    spec = get(key)
    D, H = limits.INPUT_SIZE.check(input_size), limits.HIDDEN_SIZE.check(hidden_size)
    return {"key": key, "label": spec.label, "params": spec.params(D, H), "formula": spec.params_formula,
            "flops": flops_per_step(key, D, H), "gate_activation": spec.gate_activation}


def cost_table(keys, input_size: int, hidden_size: int) -> list[dict]:
    """``cost`` for several cells, in the given order (rows for a comparison table)."""
    return [cost(k, input_size, hidden_size) for k in keys]


def time_per_step(model, T: int = 200, repeats: int = 5, seed: int = 0) -> float:
    """CPU seconds per timestep of ``model.run`` on T steps of seeded noise (best of ``repeats``).

    A measurement on this machine: it includes Python overhead per
    step, so compare cells measured in the same call, never across machines.
    """
    return times_per_step([model], T, repeats, seed)[0]


def times_per_step(models, T: int = 200, repeats: int = 5, seed: int = 0) -> list[float]:
    """Seconds per timestep for several models, measured side by side.

    One warm-up run each, then ``repeats`` rounds that time every model in turn
    (so a busy moment of the machine hits all of them alike); best round kept.
    Time is this thread's CPU time (time.thread_time), so waiting for a
    core on a shared machine is not counted.
    """
    T = limits.SEQ_LEN.check(T)
    best = [np.inf] * len(models)
    xs = [np.random.default_rng(seed).standard_normal((T, m.input_size)) for m in models]  # (T, D) each
    for m, x in zip(models, xs, strict=True):
        m.run(x[:2])  # warm-up
    for _ in range(max(1, int(repeats))):
        for i, (m, x) in enumerate(zip(models, xs, strict=True)):
            t0 = time.thread_time()
            m.run(x)
            best[i] = min(best[i], time.thread_time() - t0)
    return [b / T for b in best]


def compare_run(key: str, x, hidden_size: int, seed: int = 0, init_scale: float = 1.0) -> dict:
    """Run one cell of a comparison: key, label, kind, trace, decay ((T+1,) gradient decay
    ||d state_T / d state_{T-k}||) and grad_T (decay[T], the gradient reaching step 0).

    Args:
        key: a registry key.
        x: (T, D) input.
    """
    from gru_viz.gradients import decay_from_trace

    x = np.asarray(x, dtype=np.float64)
    model = build(key, x.shape[1] if x.ndim == 2 else 0, hidden_size, seed=seed, init_scale=init_scale)
    trace = model.run(x)
    decay = decay_from_trace(model, trace)  # (T+1,)
    return {"key": key, "label": get(key).label, "kind": model.kind, "trace": trace, "decay": decay,
            "grad_T": float(decay[-1])}


def check_compare_keys(keys) -> list[str]:
    """The keys of a comparison as a list: 1 to 4 distinct cells, or ValueError."""
    keys = list(keys)
    if not 1 <= len(keys) <= 4 or len(set(keys)) != len(keys):
        raise ValueError(f"compare 1 to 4 distinct cells, got {keys}")
    return keys


def compare_runs(keys, x, hidden_size: int, seed: int = 0, init_scale: float = 1.0) -> list[dict]:
    """Run several cells on the same input with the same hidden size and seed (``compare_run`` for each).

    Args:
        keys: registry keys, 1 to 4 distinct cells.
        x: (T, D) input shared by all cells.
    Returns:
        one dict per cell, in the order of ``keys`` (see ``compare_run``).
    """
    return [compare_run(key, x, hidden_size, seed=seed, init_scale=init_scale) for key in check_compare_keys(keys)]
