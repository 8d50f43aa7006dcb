"""Train the character-level GRU and LSTM on the standard-library corpus.

    python -m gru_viz.text_training                 # both models, then the manifest
    python -m gru_viz.text_training --cell gru      # one model only
    python -m gru_viz.text_training --finish        # baselines + held-out scores -> manifest.json

Writes checkpoints/text/{gru,lstm}.npz (float32 weights), test_split.txt
(the exact held-out text) and manifest.json (vocabulary, sizes, steps, seed,
wall time, held-out bits per character of the NumPy models, and two baselines
computed on the same text: a unigram model and an add-k n-gram model whose
order and k are chosen on the validation split).

Training (min-char-rnn / char-rnn style): the training text is cut into B
parallel streams; each step reads the next L characters of every stream, the
hidden state is carried from one chunk to the next (truncated BPTT, detached),
loss = mean cross-entropy of the next character. Adam with a cosine learning
rate decay over the step budget, gradient norm clipped at 1. The run stops at
the step budget or the wall-time limit, whichever comes first, and keeps the
weights with the best validation bpc. Seeded: with the same number of steps
and threads, the same weights.

torch is imported inside the functions that need it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import time
from collections import Counter
from pathlib import Path

import numpy as np

from gru_viz import corpus, text_models

LOG2 = math.log(2.0)


# ----------------------------------------------------------------------------
# baselines


class NGram:
    """Add-k smoothed character n-gram: p(c | ctx) = (C(ctx c) + k) / (C(ctx) + k V).

    ctx = the previous n-1 characters (fewer at the very start of a text).
    Order 1 is the unigram model.
    """

    def __init__(self, train_text: str, order: int, k: float):
        self.order, self.k = order, k
        self.counts = [Counter(train_text[i : i + m] for i in range(len(train_text) - m + 1)) for m in range(order + 1)]
        self.counts[0] = Counter({"": len(train_text)})
        # context counts: C(ctx) as the prefix of an m-gram = sum over the next char
        self.ctx = [Counter() for _ in range(order + 1)]
        for m in range(1, order + 1):
            for gram, n in self.counts[m].items():
                self.ctx[m][gram[:-1]] += n

    def bits(self, text: str) -> np.ndarray:
        """(N-1,) -log2 p(text[t] | text[t-n+1:t]) for t = 1..N-1 (characters outside VOCAB count as UNK)."""
        ids, _ = corpus.encode(text)
        text = corpus.decode(ids)  # unknown characters -> UNK, as the models see them
        out = np.empty(len(text) - 1)
        for t in range(1, len(text)):
            m = min(self.order, t + 1)
            ctx = text[t - m + 1 : t]
            num = self.counts[m].get(ctx + text[t], 0) + self.k
            out[t - 1] = -math.log2(num / (self.ctx[m].get(ctx, 0) + self.k * corpus.V))
        return out


def baselines(train_text: str, val_text: str, test_text: str, orders=(2, 3, 4, 5), ks=(0.01, 0.03, 0.1, 0.3, 1.0)) -> dict:
    """Unigram (add-1) and the best add-k n-gram (order, k picked on validation), scored on test_text."""
    train_text = corpus.decode(corpus.encode(train_text)[0])
    uni = NGram(train_text, 1, 1.0)
    best = None
    for n in orders:
        model = NGram(train_text, n, 1.0)
        for k in ks:
            model.k = k
            v = float(model.bits(val_text).mean())
            if best is None or v < best[0]:
                best = (v, n, k)
    v, n, k = best
    ng = NGram(train_text, n, k)
    return {
        "unigram": {"test_bpc": float(uni.bits(test_text).mean()), "k": 1.0},
        "ngram": {"test_bpc": float(ng.bits(test_text).mean()), "order": n, "k": k, "val_bpc": v,
                  "orders_tried": list(orders), "ks_tried": list(ks)},
    }


# ----------------------------------------------------------------------------
# training


def train(kind: str, hidden: int = 128, steps: int = 2500, max_minutes: float = 60.0, max_cpu_minutes: float = 6.0,
          seed: int = 0, threads: int = 1, batch: int = 32, seq_len: int = 128, lr: float = 3e-3, eval_every: int = 250,
          val_chars: int = 20_000, init: Path | None = None, stop_after: int | None = None, log=print):
    """Train one model; returns a text_models.CharModel (float64 weights) whose meta records the run.

    Stops at ``steps``, or when the process has used ``max_cpu_minutes`` of CPU
    time, or after ``max_minutes`` of wall time, whichever comes first.
    ``stop_after``: stop after that many steps with the learning-rate schedule
    still set by ``steps`` (replays a run that a time limit stopped, on any
    machine). ``init``: continue from the weights of a saved checkpoint (a
    second stage; its meta is kept under "previous_stages").
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    data = corpus.load()
    train_ids = torch.from_numpy(corpus.encode(data.text("train"))[0])
    val_ids = torch.from_numpy(corpus.encode(data.text("val")[:val_chars])[0])
    V = corpus.V

    rnn = {"GRU": nn.GRU, "LSTM": nn.LSTM}[kind](V, hidden, batch_first=True)
    head = nn.Linear(hidden, V)
    prev = None
    if init is not None:  # continue from a saved checkpoint
        prev = text_models.load(init)
        if prev.kind != kind or prev.hidden_size != hidden:
            raise ValueError(f"{init} holds a {prev.kind} with H={prev.hidden_size}, not a {kind} with H={hidden}")
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(rnn, name + "_l0").copy_(torch.from_numpy(getattr(prev.cell, name)))
            head.weight.copy_(torch.from_numpy(prev.readout_weight))
            head.bias.copy_(torch.from_numpy(prev.readout_bias))
    elif kind == "LSTM":  # forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015): remember by default
        with torch.no_grad():
            rnn.bias_ih_l0[hidden : 2 * hidden] += 1.0
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))

    # B parallel streams of the training text, read L characters at a time
    n_per = (len(train_ids) - 1) // batch
    chunks = n_per // seq_len
    streams = train_ids[: batch * n_per + 1]
    starts = torch.arange(batch) * n_per  # (B,)

    def val_bpc() -> float:
        with torch.no_grad():
            out, _ = rnn(F.one_hot(val_ids[:-1], V).float()[None])  # (1, N-1, H)
            return float(F.cross_entropy(head(out[0]), val_ids[1:])) / LOG2

    best = (float("inf"), None, 0)
    if prev is not None:  # the starting weights are a candidate too: a second stage never makes things worse
        best = (val_bpc(), [p.detach().clone() for p in params], 0)
        log(f"{kind} continuing from {init}: val {best[0]:.3f} bpc")
    state, t0, c0, step, history = None, time.perf_counter(), time.process_time(), 0, []
    last = steps if stop_after is None else min(steps, stop_after)  # the schedule still runs over ``steps``
    stopped_by = "steps" if last == steps else "stop_after"
    while step < last:
        if time.perf_counter() - t0 > max_minutes * 60:
            stopped_by = "wall time"
            break
        if time.process_time() - c0 > max_cpu_minutes * 60:
            stopped_by = "cpu time"
            break
        j = step % chunks
        if j == 0:
            state = None  # a new pass over the text: start the streams from zero
        idx = starts[:, None] + j * seq_len + torch.arange(seq_len + 1)[None]  # (B, L+1)
        xy = streams[idx]
        out, state = rnn(F.one_hot(xy[:, :-1], V).float(), state)  # (B, L, H)
        loss = F.cross_entropy(head(out).reshape(-1, V), xy[:, 1:].reshape(-1))
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)  # clip to tame the occasional exploding gradient
        opt.step()
        sched.step()
        step += 1
        if step % eval_every == 0 or step == steps:
            v = val_bpc()
            tb = float(loss.detach()) / LOG2
            history.append({"step": step, "train_bpc": tb, "val_bpc": v, "seconds": round(time.perf_counter() - t0, 1),
                            "cpu_seconds": round(time.process_time() - c0, 1)})
            log(f"{kind} step {step}/{steps} train {tb:.3f} val {v:.3f} bpc  {time.perf_counter() - t0:.0f}s wall "
                f"{time.process_time() - c0:.0f}s cpu")
            if v < best[0]:
                best = (v, [p.detach().clone() for p in params], step)
    if best[1] is None or (history and history[-1]["step"] != step):
        v = val_bpc()
        history.append({"step": step, "val_bpc": v, "seconds": time.perf_counter() - t0})
        if v < best[0]:
            best = (v, [p.detach().clone() for p in params], step)
    with torch.no_grad():
        for p, b in zip(params, best[1], strict=True):
            p.copy_(b)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0

    cls = text_models.CELLS[kind]
    cell = cls.from_torch(rnn)
    meta = {
        "kind": kind, "hidden_size": hidden, "vocab_size": V, "seed": seed, "threads": threads, "batch": batch,
        "seq_len": seq_len, "lr": lr, "steps_budget": steps, "steps_done": step, "best_step": best[2],
        "max_minutes": max_minutes, "max_cpu_minutes": max_cpu_minutes, "stop_after": stop_after, "stopped_by": stopped_by,
        "wall_time_s": round(wall, 1), "cpu_time_s": round(cpu, 1), "val_bpc": best[0],
        "val_chars": int(len(val_ids)), "history": history, "torch": torch.__version__, "python": platform.python_version(),
    }
    if prev is not None:
        stages = prev.meta.pop("previous_stages", [])
        meta["previous_stages"] = [*stages, prev.meta]
        meta["init_from"] = str(init)
    return text_models.CharModel(cell, head.weight.detach().double().numpy(), head.bias.detach().double().numpy(), meta)


# ----------------------------------------------------------------------------
# manifest


def cached_baselines(data: corpus.Corpus, out: Path, log=print) -> dict:
    """baselines() on this corpus, reusing out/baselines.json when it was computed on the same texts."""
    test_text = data.test_excerpt()
    key = hashlib.sha256("\0".join([data.text("train"), data.text("val")[:40_000], test_text]).encode()).hexdigest()
    path = out / "baselines.json"
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached.get("sha256") == key:
            return cached["baselines"]
    t0 = time.perf_counter()
    base = baselines(data.text("train"), data.text("val")[:40_000], test_text)
    log(f"baselines ({time.perf_counter() - t0:.0f}s): {base}")
    path.write_text(json.dumps({"sha256": key, "baselines": base}, indent=1))
    return base


def finish(out: Path = text_models.CHECKPOINT_DIR, log=print) -> dict:
    """Write test_split.txt, compute the baselines, score each saved model with NumPy -> manifest.json."""
    data = corpus.load()
    test_text = data.test_excerpt()
    pieces, a = [], 0
    for name, t in data.test_pieces():
        pieces.append({"file": name, "start": a, "end": a + len(t)})
        a += len(t) + 1  # the joining newline
    (out / "test_split.txt").write_text(test_text, encoding="utf-8")
    log(f"held-out text: {len(test_text)} characters from {len(data.test)} test files")
    base = cached_baselines(data, out, log)
    models = {}
    for kind in text_models.CELLS:
        path = out / f"{kind.lower()}.npz"
        if not path.is_file():
            continue
        m = text_models.load(path)
        bpc = m.bpc(test_text)
        log(f"{kind}: held-out {bpc:.4f} bpc (NumPy, float32 weights as float64)")
        meta = {k: v for k, v in m.meta.items() if k != "history"}
        stages = [*m.meta.get("previous_stages", []), m.meta]
        for key in ("steps_done", "wall_time_s", "cpu_time_s"):  # totals over all training stages
            meta[key + "_total"] = round(sum(s.get(key, 0) for s in stages), 1)
        models[kind] = {**meta, "file": path.name, "n_params": m.n_params, "bytes": path.stat().st_size, "test_bpc": bpc,
                        "history": m.meta.get("history", [])}
    manifest = {
        "corpus": {
            "source": "Python standard library source files (PSF License), see docs/text.md",
            "python": platform.python_version(),
            "train_files": [n for n, _ in data.train], "val_files": [n for n, _ in data.val],
            "test_files": [n for n, _ in data.test],
            "missing_files": data.missing,
            "train_chars": len(data.text("train")), "val_chars": len(data.text("val")),
            "test_text": "test_split.txt", "test_chars": len(test_text),
            "test_chars_per_file": corpus.TEST_CHARS_PER_FILE, "test_pieces": pieces,
        },
        "vocab": corpus.VOCAB, "vocab_size": corpus.V, "unknown_symbol": corpus.UNK,
        "bpc_definition": "mean -log2 p(c_{t+1} | c_1..c_t), t = 1..N-1, test_split.txt read as one stream from a zero state",
        "baselines": base,
        "models": models,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", choices=["gru", "lstm", "all"], default="all")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--steps", type=int, default=11000, help="step budget (also sets the learning-rate schedule)")
    p.add_argument("--max-cpu-minutes", type=float, default=30.0, help="CPU-time limit per model (all threads)")
    p.add_argument("--max-minutes", type=float, default=15.0, help="wall-time limit per model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--finish", action="store_true", help="only compute baselines and scores, write manifest.json")
    p.add_argument("--baselines", action="store_true", help="only compute the baselines (cached in baselines.json)")
    p.add_argument("--no-finish", action="store_true", help="train only; do not write the manifest")
    p.add_argument("--out", type=Path, default=text_models.CHECKPOINT_DIR)
    p.add_argument("--init", action="store_true", help="continue from the checkpoint already in --out (a second stage)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--stop-after", type=int, default=None,
                   help="stop after this many steps, the schedule still set by --steps (replays a run a time limit stopped)")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.baselines:
        print(cached_baselines(corpus.load(), a.out))
        return
    if not a.finish:
        for kind in (["GRU", "LSTM"] if a.cell == "all" else [a.cell.upper()]):
            init = a.out / f"{kind.lower()}.npz" if a.init else None
            m = train(kind, a.hidden, a.steps, a.max_minutes, a.max_cpu_minutes, a.seed, a.threads, lr=a.lr, init=init,
                      stop_after=a.stop_after)
            text_models.save(m, a.out / f"{kind.lower()}.npz")
            print(f"saved {a.out / (kind.lower() + '.npz')}: {m.meta['steps_done']} steps, val {m.meta['val_bpc']:.3f} bpc")
    if not a.no_finish:
        finish(a.out)


if __name__ == "__main__":
    main()
