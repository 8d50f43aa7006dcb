"""Per-step cost of every cell, and minGRU's parallel scan against its time loop, measured side by side.

    .venv/bin/python bench/bench_variants.py [--H 32] [--T 1000]

Prints, for every registry cell, parameters, FLOPs per step and the measured
NumPy time per step as a ratio to the GRU's (measured in the same rounds);
then minGRU's sequential run vs both scans (same input, same machine, best
of several rounds) and the largest difference between their states.
"""

import argparse
import time

import numpy as np

from gru_viz import registry
from gru_viz.variants import MinGRU


def best_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--D", type=int, default=4)
    ap.add_argument("--H", type=int, default=32)
    ap.add_argument("--T", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()

    keys = list(registry.CELLS)
    secs = registry.times_per_step([registry.build(k, a.D, a.H) for k in keys], T=200, repeats=a.repeats)
    gru = secs[keys.index("gru")]
    print(f"per-step cost, D={a.D} H={a.H} (CPU time: best of {a.repeats} interleaved rounds of 200 steps)")
    print(f"{'cell':22s} {'params':>8s} {'FLOPs':>8s} {'us/step':>8s} {'time / GRU':>10s}")
    for k, s in zip(keys, secs, strict=True):
        c = registry.cost(k, a.D, a.H)
        print(f"{c['label']:22s} {c['params']:8d} {c['flops']:8d} {1e6 * s:8.1f} {s / gru:10.2f}")

    m = MinGRU(a.D, a.H, seed=0)
    x = np.random.default_rng(0).standard_normal((a.T, a.D))
    seq = m.run(x)
    print(f"\nminGRU, T={a.T}: sequential run vs parallel evaluation (same input, CPU time, best of {a.repeats})")
    t_seq = best_time(lambda: m.run(x), a.repeats)
    for method in ("scan", "log"):
        t_par = best_time(lambda method=method: m.run_parallel(x, method=method), a.repeats)
        err = np.abs(m.run_parallel(x, method=method).h - seq.h).max()
        print(f"  {method:4s}: {1e3 * t_par:7.2f} ms vs sequential {1e3 * t_seq:7.2f} ms -> {t_seq / t_par:6.1f}x faster,"
              f" max |difference| {err:.1e}")


if __name__ == "__main__":
    main()
