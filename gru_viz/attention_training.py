"""Train the attention encoder-decoder (and its no-attention twin) in torch.

The same architecture as :mod:`gru_viz.attention`, written with torch.nn.GRU
(the two encoder directions), torch.nn.GRUCell (decoder) and a few Linear layers, so trained
weights load into the NumPy model exactly (``to_numpy``/``to_torch``; the
forward passes agree to ~1e-15 in float64, see tests/test_attention.py).

Task: **reverse a random string** of symbols ('abcd' -> 'dcba'), lengths drawn
uniformly from [min_len, max_len] per batch, teacher forcing, cross-entropy,
Adam. Without attention the whole string must pass through the decoder's
start state; with attention the decoder reads the matching encoder position
directly, and the weights alpha form an anti-diagonal. With attention the loss
adds a small penalty on the entropy of each row of alpha (Config.entropy),
which makes the alignment crisp; the anti-diagonal appears without it too,
only blurred over neighbouring positions.

Run (a few CPU-minutes per model on an idle core):

    python -m gru_viz.attention_training            # writes checkpoints/attention/
    python -m gru_viz.attention_training --steps 200 --out /tmp/att   # a quick smoke run

Outputs: ``with_attention.npz``, ``without_attention.npz`` (float32 weights,
no pickle) and ``manifest.json`` (sizes, steps, seed, timings and greedy
accuracy with vs without attention at increasing lengths, measured on fresh
seeded test strings that the training stream did not draw).

torch is imported inside the functions, so importing this module is light.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gru_viz.attention import CHECKPOINT_DIR, FILES, SYMBOLS, Seq2Seq, file_sha256, reversal_batch

EVAL_SEED = 20150101  # test strings come from default_rng((EVAL_SEED, length)), never from the training stream


@dataclass
class Config:
    symbols: str = SYMBOLS  # vocabulary V
    hidden_size: int = 48  # H, encoder and decoder
    attention_size: int = 48  # A, width of the additive score
    min_len: int = 2  # training lengths are uniform in [min_len, max_len]
    max_len: int = 20
    steps: int = 3000  # Adam steps per model
    batch: int = 64  # strings per step
    lr: float = 3e-3  # Adam learning rate (cosine-decayed to lr/20)
    clip: float = 1.0  # gradient-norm clip, mitigates exploding gradients
    entropy: float = 0.01  # weight of the attention-entropy penalty (sharpens the alignment; 0 = off)
    seed: int = 0  # torch init and the training data stream
    eval_lengths: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40)  # 25+ are beyond the training range
    eval_n: int = 500  # test strings per length
    eval_seed: int = EVAL_SEED
    threads: int = 1  # torch CPU threads (the machine is shared)
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------
# the torch model


def torch_model(n_symbols: int, hidden_size: int, attention_size: int, attention: bool, dtype=None,
                init_from: str | None = None):
    """A torch.nn.Module computing the Seq2Seq forward of gru_viz.attention.

    forward(x, y_in) with x: (B, T) input indices and y_in: (B, U) decoder
    inputs (BOS = n_symbols, then the previous targets) returns logits
    (B, U, V) and attention weights (B, U, T) (None without attention).
    ``greedy(x, U)`` decodes by feeding back its own argmax.
    """
    import torch
    from torch import nn

    V, H, A = n_symbols, hidden_size, attention_size
    init_from = init_from or ("backward" if attention else "both")

    class TorchSeq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention, self.init_from = attention, init_from
            self.encoder = nn.GRU(V, H, batch_first=True)  # forward direction
            self.encoder_bwd = nn.GRU(V, H, batch_first=True)  # run on the flipped string
            self.init = nn.Linear(H if init_from == "backward" else 2 * H, H)  # W_s, b_s
            self.decoder = nn.GRUCell(V + 1 + (2 * H if attention else 0), H)
            if attention:
                self.W_a = nn.Linear(H, A, bias=False)  # query projection
                self.U_a = nn.Linear(2 * H, A, bias=True)  # key projection, its bias is b_a
                self.v_a = nn.Linear(A, 1, bias=False)
            self.out = nn.Linear(3 * H if attention else H, V)  # W_o, b_o

        def _step(self, y_prev, s, enc, keys):
            """One decoder step. y_prev: (B,) ints, s: (B, H) -> logits (B, V), s (B, H), alpha (B, T)."""
            x = nn.functional.one_hot(y_prev, V + 1).to(s.dtype)  # (B, V+1)
            alpha = None
            if self.attention:
                e = self.v_a(torch.tanh(self.W_a(s)[:, None] + keys))[..., 0]  # (B, T)
                alpha = torch.softmax(e, dim=-1)  # (B, T)
                c = (alpha[..., None] * enc).sum(1)  # (B, T, 1) * (B, T, 2H) -> (B, 2H)
                x = torch.cat([x, c], dim=-1)  # (B, V+1+2H)
            s = self.decoder(x, s)  # (B, H)
            logits = self.out(torch.cat([s, c], -1) if self.attention else s)  # (B, V)
            return logits, s, alpha

        def encode(self, x):
            xo = nn.functional.one_hot(x, V).to(self.out.weight.dtype)  # (B, T, V)
            fwd, f_T = self.encoder(xo)  # (B, T, H), (1, B, H)
            bwd, b_1 = self.encoder_bwd(torch.flip(xo, dims=[1]))  # (B, T, H) in its reading order, (1, B, H)
            enc = torch.cat([fwd, torch.flip(bwd, dims=[1])], -1)  # (B, T, 2H) annotations a_j
            summary = b_1[0] if self.init_from == "backward" else torch.cat([f_T[0], b_1[0]], -1)  # (B, H) | (B, 2H)
            s0 = torch.tanh(self.init(summary))  # (B, H)
            keys = self.U_a(enc) if self.attention else None  # (B, T, A)
            return enc, s0, keys

        def forward(self, x, y_in):
            enc, s, keys = self.encode(x)
            logits, alphas = [], []
            for i in range(y_in.shape[1]):
                lo, s, a = self._step(y_in[:, i], s, enc, keys)
                logits.append(lo)
                alphas.append(a)
            return torch.stack(logits, 1), (torch.stack(alphas, 1) if self.attention else None)

        @torch.no_grad()
        def greedy(self, x, n_steps):
            enc, s, keys = self.encode(x)
            y = torch.full((x.shape[0],), V, dtype=torch.long)  # BOS
            out = []
            for _ in range(n_steps):
                lo, s, _ = self._step(y, s, enc, keys)
                y = lo.argmax(-1)
                out.append(y)
            return torch.stack(out, 1)  # (B, U)

    module = TorchSeq2Seq()
    return module.to(dtype) if dtype is not None else module


_TORCH_TO_NUMPY = {"init.weight": "W_s", "init.bias": "b_s",
                   "W_a.weight": "W_a", "U_a.weight": "U_a", "U_a.bias": "b_a", "v_a.weight": "v_a",
                   "out.weight": "W_o", "out.bias": "b_o"}


def _numpy_name(torch_name: str) -> str:
    """'encoder.weight_ih_l0' -> 'encoder.weight_ih', 'out.weight' -> 'W_o', ..."""
    return _TORCH_TO_NUMPY.get(torch_name, torch_name.removesuffix("_l0"))


def to_numpy(module, symbols: str) -> Seq2Seq:
    """The NumPy Seq2Seq holding ``module``'s weights as float64 (exact copy)."""
    d = {_numpy_name(k): p.detach().cpu().double().numpy().reshape(-1) if k == "v_a.weight" else p.detach().cpu().double().numpy()
         for k, p in module.state_dict().items()}  # v_a: (1, A) -> (A,)
    settings = {"symbols": np.array(symbols), "attention": np.array(module.attention), "init_from": np.array(module.init_from)}
    return Seq2Seq.from_state_dict(d | settings)


def to_torch(model: Seq2Seq):
    """The float64 torch module computing exactly what the NumPy ``model`` computes."""
    import torch

    module = torch_model(model.n_symbols, model.hidden_size, model.attention_size, model.attention, dtype=torch.float64,
                         init_from=model.init_from)
    sd = model.state_dict()
    module.load_state_dict({k: torch.from_numpy(np.asarray(sd[_numpy_name(k)], dtype=np.float64).reshape(p.shape))
                            for k, p in module.state_dict().items()})
    return module


# ----------------------------------------------------------------------------
# training and evaluation


def train(cfg: Config, attention: bool, log=print):
    """Train one model; returns (module float32, history dict)."""
    import torch

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    V = len(cfg.symbols)
    module = torch_model(V, cfg.hidden_size, cfg.attention_size, attention)
    opt = torch.optim.Adam(module.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps, eta_min=cfg.lr / 20)
    rng = np.random.default_rng([cfg.seed, int(attention)])  # the training stream
    losses, t0 = [], time.perf_counter()
    for step in range(1, cfg.steps + 1):
        T = int(rng.integers(cfg.min_len, cfg.max_len + 1))
        x = torch.from_numpy(rng.integers(0, V, (cfg.batch, T)))  # (B, T)
        y = torch.flip(x, dims=[1])  # (B, T) the reversal
        y_in = torch.cat([torch.full((cfg.batch, 1), V), y[:, :-1]], 1)  # BOS, then the previous targets
        logits, alpha = module(x, y_in)  # (B, T, V), (B, T, T)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        if alpha is not None and cfg.entropy > 0:  # mean entropy of a row of alpha: 0 for a one-hot row
            loss = loss + cfg.entropy * -(alpha * torch.log(alpha + 1e-12)).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.clip)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 250 == 0 or step == cfg.steps:
            log(f"[{'attention' if attention else 'no attention'}] step {step}/{cfg.steps} "
                f"loss {np.mean(losses[-250:]):.4f} ({time.perf_counter() - t0:.0f}s)")
    return module, {"final_loss": float(np.mean(losses[-100:])), "seconds": time.perf_counter() - t0}


def fresh_batch(length: int, n: int, seed: int = EVAL_SEED, n_symbols: int = len(SYMBOLS)):
    """Fresh test strings of one length: x, y (n, length), from default_rng((seed, length))."""
    return reversal_batch(n, length, seed=[seed, length], n_symbols=n_symbols)


def evaluate(model: Seq2Seq, lengths, n: int, seed: int = EVAL_SEED) -> dict[str, dict[str, float]]:
    """Greedy accuracy per length, batched in float64 torch (same numbers as the NumPy model)."""
    import torch

    module = to_torch(model)
    out = {}
    for L in lengths:
        x, y = fresh_batch(L, n, seed, model.n_symbols)
        pred = module.greedy(torch.from_numpy(x), L).numpy()  # (n, L)
        right = pred == y
        out[str(L)] = {"symbol": float(right.mean()), "sequence": float(right.all(axis=1).mean())}
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m gru_viz.attention_training", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", type=Path, default=CHECKPOINT_DIR, metavar="DIR",
                   help="folder for with_attention.npz, without_attention.npz and manifest.json")
    p.add_argument("--steps", type=int, default=Config.steps, help="Adam steps per model")
    p.add_argument("--hidden", type=int, default=Config.hidden_size, metavar="H",
                   help="hidden size of encoder and decoder (also the attention size)")
    p.add_argument("--max-len", type=int, default=Config.max_len, metavar="L",
                   help=f"longest training string (lengths are uniform in [{Config.min_len}, L])")
    p.add_argument("--seed", type=int, default=Config.seed, help="torch init and the training data stream")
    p.add_argument("--eval-n", type=int, default=Config.eval_n, metavar="N", help="test strings per length")
    p.add_argument("--entropy", type=float, default=Config.entropy, help="attention-entropy penalty weight (0 = off)")
    p.add_argument("--lengths", type=int, nargs="+", default=list(Config.eval_lengths), metavar="L",
                   help="test lengths (beyond --max-len: does it generalise?)")
    args = p.parse_args(argv)
    cfg = Config(steps=args.steps, hidden_size=args.hidden, attention_size=args.hidden, max_len=args.max_len,
                 seed=args.seed, eval_n=args.eval_n, entropy=args.entropy, eval_lengths=tuple(args.lengths))
    args.out.mkdir(parents=True, exist_ok=True)
    models = {}
    for attention in (True, False):
        module, hist = train(cfg, attention)
        path = args.out / FILES[attention]
        to_numpy(module, cfg.symbols).save(path)
        model = Seq2Seq.load(path)  # evaluate exactly what ships (float32 weights read as float64)
        acc = evaluate(model, cfg.eval_lengths, cfg.eval_n, cfg.eval_seed)
        models["with_attention" if attention else "without_attention"] = {
            "file": path.name, "attention": attention, "init_from": model.init_from, "n_params": model.n_params,
            "bytes": path.stat().st_size, "sha256": file_sha256(path), **hist, "accuracy": acc,
        }
        print(f"{path.name}: " + ", ".join(f"L={k}: {v['symbol']:.3f}" for k, v in acc.items()))
    manifest = {
        "task": "reverse a random string of symbols",
        "command": "python -m gru_viz.attention_training",
        "config": {k: v for k, v in asdict(cfg).items() if k != "extra"},
        "models": models,
        "accuracy_note": ("greedy decoding; 'symbol' = fraction of output symbols right, 'sequence' = fraction of "
                          f"strings entirely right; {cfg.eval_n} test strings per length from "
                          f"numpy default_rng(({cfg.eval_seed}, length))"),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


if __name__ == "__main__":
    main()
