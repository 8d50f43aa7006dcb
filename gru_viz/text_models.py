"""Character-level language models in NumPy: a GRU or LSTM cell plus a linear readout.

Notation (shapes use T timesteps, V vocabulary size, H hidden units):

    x_t = onehot(c_t)                 (V,)  the character read at step t
    h_t = cell(x_t, h_{t-1})          (H,)  gru_viz.GRU or gru_viz.LSTM, unchanged
    y_t = W_y h_t + b_y               (V,)  logits for the NEXT character c_{t+1}
    p(c_{t+1} | c_1..c_t) = softmax(y_t)

A one-hot input times weight_ih is an embedding lookup: column k of weight_ih
is the (stacked gate) embedding of character k, so no separate embedding
matrix is needed and the cell is exactly torch.nn.GRU / nn.LSTM fed
one-hot vectors.

Bits per character (bpc) of a text c_1..c_N: -1/(N-1) sum_{t=1}^{N-1}
log2 p(c_{t+1} | c_1..c_t) -- the first character is not scored.

Checkpoints are NPZ files read with ``allow_pickle=False`` and checked
shape by shape; weights may be stored as float32 and are converted to
float64 here (the core computes in float64).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gru_viz import corpus, limits
from gru_viz._blas import single_thread
from gru_viz.cells import GRU, LSTM
from gru_viz.trace import Trace

CELLS = {"GRU": GRU, "LSTM": LSTM}
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "text"
ARRAYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "readout_weight", "readout_bias")


@dataclass
class TextRun:
    """One model read over one text: the Trace plus the next-character predictions."""

    text: str  # the text as given (after line-ending normalisation)
    ids: np.ndarray  # (T,) character ids fed to the model
    unknown: np.ndarray  # (T,) True where the character is not in the vocabulary (fed as UNK)
    trace: Trace  # h (T, H), gates[name] (T, H); row t = after reading character t
    logp: np.ndarray  # (T, V) natural-log probabilities of the character after position t

    def top_k(self, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(T, k) ids and (T, k) probabilities of the k likeliest next characters, best first."""
        idx = np.argsort(-self.logp, axis=1, kind="stable")[:, :k]  # (T, k)
        return idx, np.exp(np.take_along_axis(self.logp, idx, axis=1))

    def bits(self) -> np.ndarray:
        """(T-1,) surprise -log2 p(c_{t+1} | c_1..c_t) of each actual next character."""
        return -self.logp[np.arange(len(self.ids) - 1), self.ids[1:]] / np.log(2.0)


class CharModel:
    """A recurrent cell (gru_viz.GRU or LSTM, input size V) and a readout W_y (V, H), b_y (V,)."""

    def __init__(self, cell, readout_weight: np.ndarray, readout_bias: np.ndarray, meta: dict | None = None):
        V, H = corpus.V, cell.hidden_size
        if cell.input_size != V:
            raise ValueError(f"the cell's input size must be the vocabulary size {V}, got {cell.input_size}")
        self.cell = cell
        self.readout_weight = _checked(readout_weight, (V, H), "readout_weight")  # (V, H)
        self.readout_bias = _checked(readout_bias, (V,), "readout_bias")  # (V,)
        self.meta = dict(meta or {})

    @property
    def kind(self) -> str:
        return self.cell.kind

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    @property
    def n_params(self) -> int:
        return self.cell.n_params + self.readout_weight.size + self.readout_bias.size

    def __repr__(self) -> str:
        return f"CharModel({self.kind}, V={corpus.V}, H={self.hidden_size})"

    # -- running ---------------------------------------------------------
    def trace(self, ids: np.ndarray) -> Trace:
        """Run the cell over character ids (T,), any length: chunks of at most
        limits.SEQ_LEN.hi steps, the state carried across, glued into one Trace."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.ndim != 1 or len(ids) == 0:
            raise ValueError("need a non-empty 1-D array of character ids")
        if ids.min() < 0 or ids.max() >= corpus.V:
            raise ValueError(f"character ids must be in [0, {corpus.V - 1}]")
        step = limits.SEQ_LEN.hi
        parts, h, c = [], None, None
        for s in range(0, len(ids), step):
            kw = {"c0": c} if self.cell.has_cell_state else {}
            tr = self.cell.run(corpus.one_hot(ids[s : s + step]), h, **kw)  # (t, V) -> Trace
            parts.append(tr)
            h, c = tr.h[-1], tr.c[-1] if tr.c is not None else None
        if len(parts) == 1:
            return parts[0]
        out = Trace(x=np.vstack([p.x for p in parts]), h0=parts[0].h0, h=np.vstack([p.h for p in parts]))
        out.gates = {g: np.vstack([p.gates[g] for p in parts]) for g in parts[0].gates}
        out.cache = {k: np.vstack([p.cache[k] for p in parts]) for k in parts[0].cache}  # what jacobians need
        if parts[0].c is not None:
            out.c0, out.c = parts[0].c0, np.vstack([p.c for p in parts])
        return out

    def log_probs(self, h: np.ndarray) -> np.ndarray:
        """(T, H) hidden states -> (T, V) log-softmax of the readout (log p of the next character)."""
        y = h @ self.readout_weight.T + self.readout_bias  # (T, H) @ (H, V) -> (T, V) logits
        y = y - y.max(axis=1, keepdims=True)  # subtract the max so exp cannot overflow
        return y - np.log(np.exp(y).sum(axis=1, keepdims=True))

    def read(self, text: str) -> TextRun:
        """Read a text: ids, unknown-character flags, Trace and next-character log-probabilities."""
        text = corpus.normalise(text)
        if not text:
            raise ValueError("the text is empty: type or paste at least one character")
        ids, unknown = corpus.encode(text)
        trace = self.trace(ids)
        with single_thread():  # one (T, H) @ (H, V) product: threads spin-waiting on a busy machine cost 10-50x
            logp = self.log_probs(trace.h)
        return TextRun(text=text, ids=ids, unknown=unknown, trace=trace, logp=logp)

    def bpc(self, text: str) -> float:
        """Bits per character on ``text`` (first character unscored)."""
        if len(corpus.normalise(text)) < 2:
            raise ValueError("need at least two characters to score a next-character prediction")
        return float(self.read(text).bits().mean())


def _checked(a, shape: tuple, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"{name} must hold floating-point numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return a


# ----------------------------------------------------------------------------
# NPZ checkpoints


def save(model: CharModel, path, dtype=np.float32) -> None:
    """Write weights (as ``dtype``), the vocabulary and the metadata JSON to an NPZ file."""
    arrays = {
        "weight_ih": model.cell.weight_ih,
        "weight_hh": model.cell.weight_hh,
        "bias_ih": model.cell.bias_ih,
        "bias_hh": model.cell.bias_hh,
        "readout_weight": model.readout_weight,
        "readout_bias": model.readout_bias,
    }
    arrays = {k: np.asarray(v, dtype=dtype) for k, v in arrays.items()}
    meta = {**model.meta, "kind": model.kind, "hidden_size": model.hidden_size}
    np.savez_compressed(path, **arrays, vocab=np.array(corpus.VOCAB), meta=np.array(json.dumps(meta)))


def load(path) -> CharModel:
    """Read a checkpoint written by :func:`save` (no pickles; every shape checked)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError) as e:
        raise ValueError(f"cannot read text-model checkpoint {path}: {e}") from None
    missing = [k for k in (*ARRAYS, "vocab", "meta") if k not in data]
    if missing:
        raise ValueError(f"checkpoint {path} lacks {missing}")
    if str(data["vocab"]) != corpus.VOCAB:
        raise ValueError("checkpoint vocabulary differs from gru_viz.corpus.VOCAB")
    meta = json.loads(str(data["meta"]))
    kind = meta.get("kind")
    if kind not in CELLS:
        raise ValueError(f"checkpoint kind must be one of {list(CELLS)}, got {kind!r}")
    G = CELLS[kind].n_blocks
    H = data["weight_hh"].shape[1] if data["weight_hh"].ndim == 2 else -1
    limits.HIDDEN_SIZE.check(H)
    cell = CELLS[kind](corpus.V, H)
    shapes = {"weight_ih": (G * H, corpus.V), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    for name, shape in shapes.items():
        setattr(cell, name, _checked(data[name], shape, name))
    return CharModel(cell, data["readout_weight"], data["readout_bias"], meta)


def load_shipped(kind: str) -> CharModel:
    """The trained model shipped in checkpoints/text/: kind "GRU" or "LSTM" (any case, as the CLI's --cell)."""
    kind = kind.upper() if isinstance(kind, str) else kind
    if kind not in CELLS:
        raise ValueError(f"kind must be one of {list(CELLS)}, got {kind!r}")
    path = CHECKPOINT_DIR / f"{kind.lower()}.npz"
    if not path.is_file():
        raise ValueError(f"no trained {kind} at {path}; run `python -m gru_viz.text_training`")
    return load(path)


def manifest() -> dict:
    """checkpoints/text/manifest.json: sizes, steps, seed, held-out bpc, baselines."""
    return json.loads((CHECKPOINT_DIR / "manifest.json").read_text())


def held_out_text() -> str:
    """The stored held-out text the manifest's bits per character are measured on."""
    return (CHECKPOINT_DIR / "test_split.txt").read_text(encoding="utf-8")
