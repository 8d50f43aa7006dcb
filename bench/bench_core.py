"""Benchmark of the NumPy core against torch, measured side by side in one run.

    .venv/bin/python bench/bench_core.py            # full run (a few minutes on a busy 2-core machine)
    .venv/bin/python bench/bench_core.py --quick    # fewer repeats

For "before" numbers, run this same file against an older checkout with
OPENBLAS_NUM_THREADS=1 (older versions do not pin BLAS threads themselves).

Every comparison alternates the two contenders (A B A B ...) so both see the
same machine load, and reports medians. Times are CPU times of this process
(time.process_time) next to wall-clock times: on a shared machine the wall
clock mostly measures the neighbours, CPU time measures the work. Both sides
run on one thread: gru-viz pins NumPy's BLAS to one thread for its core calls
(gru_viz/_blas.py) and torch.set_num_threads(1) is set here.

Rows:
  run           model.run (every gate recorded) vs torch.nn.GRU forward
                (float64, batch 1, torch.no_grad).                      target <= 0.5x
  decay/autograd  gv.gradient_decay vs the autograd route: a per-step
                torch.autograd.functional.jacobian loop over nn.GRUCell,
                the products d h_T / d h_{T-k} and torch.linalg.matrix_norm(ord=2).
                                                                        target >= 100x faster
  decay/naive   gv.gradient_decay vs the straightforward NumPy route (all (T, S, S)
                Jacobians at once, every product kept, eigvalsh of every Gram
                matrix): what the core did before it was made fast.
  floor         T matrix-vector products W_hh h alone, one NumPy call each: what
                any per-step NumPy loop must at least spend (no gates at all).
  decay         absolute gv.gradient_decay times at T=500, H=128 (the Gradient
                Lab's largest setting; its slider budget is 300 ms).
  decay+influence  the decay curve and the per-unit influence heatmap from one
                pass (gradients.decay_and_influence): what the Gradient Lab
                computes per cell (for the LSTM it measures h alone, "h only":
                hidden_only=True, H of the 2H rows of each product).
  Gradient Lab  what one move of the page's T slider costs per cell: lab.build (the
                weights, cached per setting) and lab.analyse (run, decay, influence,
                eigenvalues) on the page's own models at T=500, H=128 (a new T each
                time): every block at spectral radius 1 and the update/forget-gate
                bias at 3, which keeps many directions alive, so the spectral norms
                take more work than for a default-init model.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import itertools
import os
import platform
import statistics
import time

import numpy as np
import torch

import gru_viz as gv
from gru_viz import lab, presets
from gru_viz.gradients import decay_and_influence

try:
    from gru_viz._blas import single_thread
except ImportError:  # an older gru-viz (e.g. commit b7afd40, for "before" numbers): pin BLAS via the environment
    from contextlib import nullcontext as single_thread

torch.set_num_threads(1)


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def side_by_side(a, b, repeats):
    """Median (wall, cpu) seconds of a and of b, alternating a and b."""
    a(), b()  # warm up (imports, allocations, caches)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(timed(a))
        tb.append(timed(b))
    med = lambda ts: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))  # noqa: E731
    return med(ta), med(tb)


def alone(a, repeats):
    a()
    ts = [timed(a) for _ in range(repeats)]
    return statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)


# ----------------------------------------------------------------------------
# the references


def torch_forward(model, x):
    module, xt = model.to_torch(), torch.from_numpy(x)[:, None, :]  # (T, 1, D): batch 1

    def f():
        with torch.no_grad():
            module(xt)

    return f


def autograd_decay(model, x):
    """The autograd route: per-step Jacobians of nn.GRUCell, products, spectral norms."""
    cell, xt = model.to_torch(cell=True), torch.from_numpy(x)
    with torch.no_grad():
        h, hs = torch.zeros(model.hidden_size, dtype=torch.float64), []
        for x_t in xt:
            hs.append(h)
            h = cell(x_t[None], h[None])[0]
    J = [torch.autograd.functional.jacobian(lambda h, x_t=x_t: cell(x_t[None], h[None])[0], h_prev)
         for x_t, h_prev in zip(xt, hs, strict=True)]  # T x (H, H)
    acc, products = torch.eye(model.hidden_size, dtype=torch.float64), []
    for J_t in reversed(J):
        acc = acc @ J_t  # d h_T / d h_{T-k}
        products.append(acc)
    norms = torch.linalg.matrix_norm(torch.stack(products), ord=2)  # (T,)
    return np.concatenate([[1.0], norms.numpy()])


def matvecs_only(model, T):
    """The floor under any NumPy loop: T matrix-vector products W_hh h, one NumPy call each (no gates).

    As the core's loops compute them: h @ W_hh^T with W_hh^T stored C-contiguous (cells._step_matrix)."""
    Wt, h, out = np.ascontiguousarray(model.weight_hh.T), np.zeros(model.hidden_size), np.empty((T, model.weight_hh.shape[0]))

    def f():
        with single_thread():
            for o in out:
                np.dot(h, Wt, out=o)

    return f


def naive_decay(model, x):
    """The straightforward NumPy route: every (T, S, S) array materialised, eigvalsh of every Gram."""
    with single_thread(), np.errstate(all="ignore"):
        J = model.jacobians(model.run(x))  # (T, S, S)
        T, S, _ = J.shape
        P, log_scale, acc, log_acc = np.empty((T, S, S)), np.zeros(T), np.eye(S), 0.0
        for k in range(1, T + 1):
            acc = acc @ J[T - k]
            m = np.abs(acc).max()
            acc, log_acc = acc / m, log_acc + np.log(m)
            P[k - 1], log_scale[k - 1] = acc, log_acc
        G = P @ P.transpose(0, 2, 1)  # (T, S, S)
        return np.concatenate([[1.0], np.sqrt(np.linalg.eigvalsh(G)[:, -1]) * np.exp(log_scale)])


# ----------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args()
    reps = 3 if args.quick else 9
    rng = np.random.default_rng(0)
    rows = []  # (case, ours (wall, cpu), reference (wall, cpu) or None, target, note)

    def x_for(T, D):
        return rng.standard_normal((T, D))

    for T, D, H in [(200, 8, 64), (1000, 8, 128)]:
        model, x = gv.GRU(D, H, seed=0), x_for(T, D)
        ours, ref = side_by_side(lambda m=model, x=x: m.run(x), torch_forward(model, x), 3 * reps)
        rows.append((f"run GRU T={T} D={D} H={H} vs nn.GRU", ours, ref, "<= 0.5x", ""))
        floor, ref = side_by_side(matvecs_only(model, T), torch_forward(model, x), 3 * reps)
        rows.append(("  floor: T products W_hh h alone", floor, ref, "", "no gates, no nonlinearity"))

    T, D, H = 200, 8, 64
    model, x = gv.GRU(D, H, seed=0), x_for(T, D)
    ours, reference = gv.gradient_decay(model, x), autograd_decay(model, x)
    agree = np.max(np.abs(ours - reference) / reference)
    a, b = side_by_side(lambda: gv.gradient_decay(model, x), lambda: autograd_decay(model, x), max(3, reps // 3))
    rows.append((f"decay GRU T={T} H={H} vs autograd", a, b, ">= 100x faster", f"max rel diff {agree:.1e}"))

    T, H = 500, 128
    for name, model in [("GRU", gv.GRU(8, H, seed=0)), ("RNN", gv.VanillaRNN(8, H, seed=0)), ("LSTM", gv.LSTM(8, H, seed=0))]:
        x = x_for(T, 8)
        if name == "GRU":
            agree = np.max(np.abs(gv.gradient_decay(model, x) - naive_decay(model, x)) / naive_decay(model, x))
            a, b = side_by_side(lambda m=model, x=x: gv.gradient_decay(m, x), lambda m=model, x=x: naive_decay(m, x), reps)
            rows.append((f"decay GRU T={T} H={H} vs naive NumPy", a, b, "", f"max rel diff {agree:.1e}"))
        a = alone(lambda m=model, x=x: gv.gradient_decay(m, x), reps)
        rows.append((f"decay {name} T={T} H={H} (S={model.state_size})", a, None, "well < 300 ms", "every lag"))
        a = alone(lambda m=model, x=x: decay_and_influence(m, m.run(x)), reps)
        rows.append((f"decay+influence {name} T={T} H={H}", a, None, "",
                     "the whole state [h, c]" if name == "LSTM" else "one pass: what the Gradient Lab runs"))
        if name == "LSTM" and "hidden_only" in inspect.signature(decay_and_influence).parameters:
            # the Gradient Lab measures h alone: H of the 2H rows of each product (older cores, run for an A/B, lack it)
            a = alone(lambda m=model, x=x: decay_and_influence(m, m.run(x), hidden_only=True), reps)
            rows.append((f"decay+influence {name} T={T} H={H}, h only", a, None, "",
                         "||dh_T/dh_{T-k}||: what the Gradient Lab runs"))
        if name == "GRU":
            lags = np.unique(np.r_[0, np.geomspace(1, T, 100).astype(int)])  # a log-x plot's worth
            a = alone(lambda m=model, x=x, ks=lags: gv.gradient_decay(m, x, lags=ks), reps)
            rows.append((f"decay {name} T={T} H={H}, {len(lags)} lags", a, None, "well < 300 ms", "log-spaced lags="))

    # what a Gradient Lab cell costs at its largest setting: its models (every recurrent block at spectral radius 1,
    # update/forget-gate bias 3) keep many directions alive, so fewer lags are settled by Lanczos alone
    # each repetition is a move of the page's T slider: a new input (T, T-1, ...), the same weights
    inputs = itertools.cycle([presets.build_input("noise", T - i, seed=0, text="")[0] for i in range(4)])
    for name in ("RNN", "GRU", "LSTM"):
        def move(name=name):
            x = next(inputs)
            m = lab.build(name, x.shape[1], H, seed=0, radius=lab.RADIUS_DEFAULT, update_bias=lab.BIAS_DEFAULT)
            return lab.analyse(m, x)

        rows.append((f"Gradient Lab {name} T={T} H={H}", alone(move, reps), None, "",
                     "a T move: lab.build + lab.analyse, the page's defaults ρ=1, b_z=3"))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"gru-viz core benchmark  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC  "
          f"python {platform.python_version()}  numpy {np.__version__}  torch {torch.__version__}  "
          f"cpus {os.cpu_count()}  load(1 min) {load:.1f}")
    print("times: median ms, CPU time (wall clock in brackets); ratio = ours / reference, by CPU time (wall)\n")
    head = f"{'case':<42} {'gru-viz':>18} {'reference':>20} {'ratio':>18} {'speed-up':>9}  {'target':<14} note"
    print(head)
    print("-" * len(head))
    for case, ours, ref, target, note in rows:
        ms = lambda t: f"{1e3 * t[1]:8.1f} ({1e3 * t[0]:7.1f})"  # noqa: E731
        if ref is None:
            print(f"{case:<42} {ms(ours):>18} {'':>20} {'':>18} {'':>9}  {target:<14} {note}")
        else:
            ratio = f"{ours[1] / ref[1]:7.3f} ({ours[0] / ref[0]:7.3f})"
            print(f"{case:<42} {ms(ours):>18} {ms(ref):>20} {ratio:>18} {ref[1] / ours[1]:8.1f}x  {target:<14} {note}")


if __name__ == "__main__":
    main()
