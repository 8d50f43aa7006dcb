"""The classic result: on the adding problem a GRU learns, a tanh RNN of the same size does not.

Trains a GRU and a tanh RNN (same hidden size, same seed, the very same batches)
on the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015) at T = 100
and T = 200, and prints the test MSE over training (fresh seeded test set of
1000 sequences), wall and CPU time, and a final summary. Predicting the
constant 1 scores MSE 1/6 ~ 0.167: a model near that number has learned nothing.

Target: the GRU reaches test MSE < 0.01 while the RNN stays > 0.1, within 2
minutes of training for the GRU at T = 100.

    .venv/bin/python bench/bench_adding.py                 # T = 100 and 200, 2000 steps each
    .venv/bin/python bench/bench_adding.py --T 100 --steps 1000

Times are measured on this (possibly shared) machine; CPU seconds are what
the training itself consumed, wall seconds include waiting for the CPU.
"""

from __future__ import annotations

import argparse
import time

import torch

from gru_viz.training import TrainConfig, Trainer

TARGET = 0.01  # the GRU must get below this test MSE
STUCK = 0.1  # the RNN must stay above this


def run(cell: str, T: int, args) -> dict:
    """Train one cell; return its test curve [(step, wall s, cpu s, test MSE)] and summary."""
    cfg = TrainConfig(task="adding", task_params={"T": T}, cell=cell, hidden_size=args.hidden, steps=args.steps,
                      batch_size=args.batch, lr=args.lr, clip=1.0, seed=args.seed, eval_every=args.eval_every,
                      test_n=1000, test_seed=99_999)
    tr = Trainer(cfg)
    curve, first_below = [], None
    wall = cpu = 0.0
    tr.record_test()
    curve.append((0, 0.0, 0.0, tr.test["loss"][-1]))
    while not tr.done:
        w0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(cfg.eval_every):
            tr.train_step()
        wall += time.perf_counter() - w0  # training time only, evaluation excluded
        cpu += time.thread_time() - c0
        loss = tr.record_test()
        curve.append((tr.step, wall, cpu, loss))
        if first_below is None and loss < TARGET:
            first_below = (tr.step, wall, cpu)
    return {"cell": cell, "T": T, "curve": curve, "first_below": first_below, "wall": wall, "cpu": cpu,
            "final": curve[-1][3], "params": sum(p.numel() for p in tr.params)}


def table(gru: dict, rnn: dict) -> str:
    rows = ["| step | GRU test MSE | GRU wall s | GRU CPU s | RNN test MSE | RNN wall s | RNN CPU s |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for (s, gw, gc, gl), (_, rw, rc, rl) in zip(gru["curve"], rnn["curve"], strict=True):
        rows.append(f"| {s} | {gl:.4f} | {gw:.1f} | {gc:.1f} | {rl:.4f} | {rw:.1f} | {rc:.1f} |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--T", type=int, nargs="+", default=[100, 200])
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=1, help="torch threads (the machine has 2 cores)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"adding problem; H={args.hidden}, batch {args.batch}, Adam lr {args.lr}, clip 1, seed {args.seed}, "
          f"{args.steps} steps, torch {torch.__version__}, {torch.get_num_threads()} thread(s); baseline MSE 1/6 = 0.1667\n")
    summary = []
    for T in args.T:
        gru, rnn = run("GRU", T, args), run("RNN", T, args)
        print(f"### T = {T}\n\n{table(gru, rnn)}\n", flush=True)
        for r in (gru, rnn):
            fb = r["first_below"]
            reach = f"step {fb[0]} ({fb[1]:.0f} s wall, {fb[2]:.0f} s CPU)" if fb else "never"
            summary.append(f"| {T} | {r['cell']} | {r['params']} | {r['final']:.4f} | {reach} | {r['wall']:.0f} "
                           f"| {r['cpu']:.0f} |")
        ok = gru["final"] < TARGET and rnn["final"] > STUCK
        fb = gru["first_below"]
        in_time = fb is not None and fb[2] <= 120
        print(f"T={T}: GRU final {gru['final']:.4f} (< {TARGET}: {gru['final'] < TARGET}), RNN final {rnn['final']:.4f} "
              f"(> {STUCK}: {rnn['final'] > STUCK}); target {'MET' if ok else 'NOT met'}; GRU below {TARGET} within "
              f"120 CPU s: {in_time}\n", flush=True)
    print("### Summary\n")
    print("| T | cell | parameters | final test MSE | first test MSE < 0.01 | train wall s | train CPU s |")
    print("|---:|---|---:|---:|---|---:|---:|")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
