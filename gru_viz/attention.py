"""Attention over a GRU encoder: a small encoder-decoder in pure NumPy.

A bidirectional GRU *encoder* reads a string of symbols; a GRU *decoder*
writes the answer one symbol at a time. With **additive attention** (Bahdanau,
Cho & Bengio 2015) the decoder looks back at every encoder position at every
step and records where it looked: the attention weights alpha (decoder step i
x encoder step j). Without attention the decoder sees only a summary of the
encoder's final states, so the whole string must squeeze through one H-vector,
and long strings do not fit.

Notation (letters used for shapes):

    T  input length (encoder steps j = 1..T)
    U  output length (decoder steps i = 1..U; U = T for reversal)
    V  number of symbols (the vocabulary)
    H  hidden size of each encoder direction and of the decoder
    A  attention size (width of the additive score's hidden layer)

Equations (x_j, y_i one-hot; y_0 = BOS, a start symbol of its own):

    fh_j    = GRU_fwd(x_j, fh_{j-1}),  j = 1..T,  fh_0 = 0           forward encoder
    bh_j    = GRU_bwd(x_j, bh_{j+1}),  j = T..1,  bh_{T+1} = 0       backward encoder
    a_j     = [fh_j; bh_j]                                          annotation of position j, (2H,)
    s_0     = tanh(W_s bh_1 + b_s)                                  decoder start (Bahdanau et al.)
    e_ij    = v_a . tanh(W_a s_{i-1} + U_a a_j + b_a)               additive score
    alpha_ij = exp(e_ij) / sum_k exp(e_ik)                          attention weights, rows sum to 1
    c_i     = sum_j alpha_ij a_j                                    context vector, (2H,)
    s_i     = GRU_dec([y_{i-1}; c_i], s_{i-1})                      decoder
    p_i     = softmax(W_o [s_i; c_i] + b_o)                         next-symbol probabilities

Without attention (the baseline: the same encoder) c_i is absent:
``s_i = GRU_dec(y_{i-1}, s_{i-1})`` and ``p_i = softmax(W_o s_i + b_o)``, and
the decoder starts from both final states, ``s_0 = tanh(W_s [fh_T; bh_1] + b_s)``:
the most a decoder without attention can be told, and for reversal the
forward final state fh_T holds the first symbols to write freshest. With
attention the start is Bahdanau's, from bh_1 alone, so even the first output
has to be looked up (``init_from`` selects "backward" or "both").

Why bidirectional, as in Bahdanau et al.: a forward state fh_{j+1} still
remembers x_j (its update gate keeps it), so with a forward-only encoder the
decoder may read x_j from position j + 1 and the alignment comes out shifted
by one; with both directions a_j holds x_j freshest, and bh_j knows how far
position j is from the end, which is what reversal needs.

Where we differ from the papers: Bahdanau et al. use a maxout output layer;
we read the output from [s_i; c_i] as Luong et al. (2015) do, and add a bias
b_a inside the score's tanh. Luong et al. also give multiplicative scores (dot: s . a_j;
general: s . W a_j); the additive score is the original one.

All three GRUs are the core's :class:`gru_viz.GRU` with torch.nn.GRU's equations
(z = 1 KEEPS the old state), so their gates are recorded in Traces and a model
trained in torch (``gru_viz.attention_training``) runs here exactly.

Decoding is greedy (y_i = argmax p_i) unless ``teacher`` targets are given
(teacher forcing: y_{i-1} is the true previous symbol, as in training).

References:
    Bahdanau, Cho & Bengio 2015, "Neural machine translation by jointly learning
        to align and translate" (additive attention, bidirectional encoder).
    Luong, Pham & Manning 2015, "Effective approaches to attention-based neural
        machine translation" (dot/general scores, output from [s_i; c_i]).
    Cho et al. 2014; Sutskever et al. 2014 (encoder-decoders without attention).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gru_viz import limits
from gru_viz.cells import GRU
from gru_viz.trace import Trace

SYMBOLS = "abcdefgh"  # default vocabulary of the toy task (V = 8)
MAX_LEN = limits.ATTENTION_SEQ_LEN.hi  # longest string the page and the library accept

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "attention"  # shipped models + manifest.json
FILES = {True: "with_attention.npz", False: "without_attention.npz"}  # attention? -> file name
_GRU_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_ATTN_PARAMS = ("W_a", "U_a", "b_a", "v_a")
_SETTINGS = ("symbols", "attention", "init_from")  # non-weight entries of a state dict


# ----------------------------------------------------------------------------
# the task: reverse a random string of symbols


def encode(text: str, symbols: str = SYMBOLS) -> np.ndarray:
    """'abc' -> array([0, 1, 2]): (T,) symbol indices; ValueError on bad input."""
    if not isinstance(text, str):
        raise ValueError(f"the sequence must be a string of symbols, got {type(text).__name__}")
    text = "".join(text.split())  # spaces are only separators
    if not text:
        raise ValueError(f"the sequence is empty; type 1 to {MAX_LEN} of the symbols {symbols!r}")
    unknown = sorted(set(text) - set(symbols))
    if unknown:
        raise ValueError(f"unknown symbol(s) {''.join(unknown)!r}; use only {symbols!r}")
    limits.ATTENTION_SEQ_LEN.check(len(text))
    return np.array([symbols.index(ch) for ch in text], dtype=np.int64)


def decode(tokens, symbols: str = SYMBOLS) -> str:
    """array([0, 1, 2]) -> 'abc'."""
    return "".join(symbols[int(t)] for t in tokens)


def random_tokens(length: int, seed: int = 0, n_symbols: int = len(SYMBOLS)) -> np.ndarray:
    """(length,) uniformly random symbol indices, seeded."""
    length = limits.ATTENTION_SEQ_LEN.check(length)
    return np.random.default_rng(seed).integers(0, n_symbols, length)


def reversal_batch(n: int, length: int, seed: int = 0, n_symbols: int = len(SYMBOLS)) -> tuple[np.ndarray, np.ndarray]:
    """n random strings and their reversals: x, y both (n, length) int."""
    if int(n) != n or n < 1:
        raise ValueError(f"batch size n must be a positive whole number, got {n!r}")
    length = limits.ATTENTION_SEQ_LEN.check(length)
    x = np.random.default_rng(seed).integers(0, n_symbols, (int(n), length))  # (n, T)
    return x, x[:, ::-1].copy()


def one_hot(tokens: np.ndarray, size: int) -> np.ndarray:
    """(T,) ints -> (T, size) float64 one-hot rows."""
    return np.eye(size)[np.asarray(tokens)]


# ----------------------------------------------------------------------------
# the model


@dataclass
class Seq2SeqTrace:
    """Everything one run of the encoder-decoder computed."""

    tokens: np.ndarray  # (T,) input symbol indices
    encoder: Trace  # forward encoder: h = fh_1..fh_T (T, H), gates["reset"|"update"|"candidate"] (T, H)
    encoder_bwd: Trace  # backward encoder in ITS reading order: row t read x_{T-t} (use .backward(...) for input order)
    decoder: Trace  # decoder: h = s_1..s_U (U, H), gates (U, H); decoder.h0 = s_0
    logits: np.ndarray  # (U, V) scores before the softmax
    probs: np.ndarray  # (U, V) next-symbol probabilities p_i
    output: np.ndarray  # (U,) greedy choice argmax p_i
    decoder_inputs: np.ndarray  # (U,) y_{i-1} fed at each step (V = BOS)
    attention: np.ndarray | None = None  # (U, T) alpha[i, j]; None without attention
    context: np.ndarray | None = field(default=None, repr=False)  # (U, 2H) c_i

    @property
    def annotations(self) -> np.ndarray:
        """(T, 2H) a_j = [fh_j; bh_j], both in input order."""
        return np.hstack([self.encoder.h, self.encoder_bwd.h[::-1]])

    def backward(self, gate: str) -> np.ndarray:
        """(T, H) a backward-encoder gate in input order: row j is the step that read x_j."""
        return self.encoder_bwd.gates[gate][::-1]


class Seq2Seq:
    """Bidirectional GRU encoder -> (additive attention) -> GRU decoder, in float64 NumPy.

    Parameters (torch layouts; see the module docstring for the equations):

        encoder, encoder_bwd   gru_viz.GRU(V, H) each       weight_ih (3H, V), weight_hh (3H, H)
        W_s (H, H) or (H, 2H), b_s (H,)                     s_0 from bh_1, or from [fh_T; bh_1]
        decoder                gru_viz.GRU(V + 1 [+ 2H], H) input [y_{i-1} (V+1, with BOS); c_i (2H)]
        W_a (A, H), U_a (A, 2H), b_a (A,), v_a (A,)         additive score (attention only)
        W_o (V, 3H or H), b_o (V,)                          output layer on [s_i; c_i] or s_i
    """

    def __init__(self, symbols: str = SYMBOLS, hidden_size: int = 48, attention_size: int = 48,
                 attention: bool = True, seed: int = 0, init_from: str | None = None):
        if len(symbols) < 2 or len(set(symbols)) != len(symbols) or any(ch.isspace() for ch in symbols):
            raise ValueError(f"symbols must be at least 2 distinct non-space characters, got {symbols!r}")
        self.symbols = symbols
        self.attention = bool(attention)
        self.init_from = init_from or ("backward" if attention else "both")  # what s_0 is computed from
        if self.init_from not in ("backward", "both"):
            raise ValueError(f"init_from must be 'backward' (bh_1) or 'both' ([fh_T; bh_1]), got {init_from!r}")
        V, H = len(symbols), limits.HIDDEN_SIZE.check(hidden_size)
        A = limits.HIDDEN_SIZE.check(attention_size)
        self.encoder = GRU(V, H, seed=seed)
        self.encoder_bwd = GRU(V, H, seed=seed + 1)
        self.decoder = GRU(V + 1 + (2 * H if attention else 0), H, seed=seed + 2)
        rng = np.random.default_rng([seed, 3])

        def init(fan_in, shape):  # torch.nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in)), seeded
            return rng.uniform(-1 / np.sqrt(fan_in), 1 / np.sqrt(fan_in), shape)

        n_in = H if self.init_from == "backward" else 2 * H
        self.W_s, self.b_s = init(n_in, (H, n_in)), init(n_in, H)  # (H, H | 2H), (H,)
        if attention:
            self.W_a = init(H, (A, H))  # (A, H) query projection
            self.U_a, self.b_a = init(2 * H, (A, 2 * H)), init(2 * H, A)  # (A, 2H) key projection, (A,)
            self.v_a = init(A, A)  # (A,)
        n_out = 3 * H if attention else H
        self.W_o, self.b_o = init(n_out, (V, n_out)), init(n_out, V)  # (V, 3H | H), (V,)

    # -- sizes ---------------------------------------------------------------
    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def hidden_size(self) -> int:
        return self.encoder.hidden_size

    @property
    def attention_size(self) -> int:
        return self.W_a.shape[0] if self.attention else 0

    @property
    def bos(self) -> int:
        """Index of the start symbol in the decoder's one-hot input (after the V symbols)."""
        return self.n_symbols

    @property
    def n_params(self) -> int:
        return int(sum(v.size for k, v in self.state_dict().items() if k not in _SETTINGS))

    def __repr__(self) -> str:
        return (f"Seq2Seq(symbols={self.symbols!r}, hidden_size={self.hidden_size}, "
                f"attention_size={self.attention_size}, attention={self.attention})")

    # -- running -------------------------------------------------------------
    def run(self, tokens, teacher=None, n_steps: int | None = None) -> Seq2SeqTrace:
        """Encode ``tokens`` and decode ``n_steps`` symbols (default: as many as the input).

        Args:
            tokens: (T,) symbol indices in [0, V), or a string of symbols.
            teacher: (U,) true outputs for teacher forcing, or None for greedy decoding.
            n_steps: U, the number of output symbols (default T, or len(teacher)).
        Returns:
            Seq2SeqTrace with attention (U, T) (None without attention).
        """
        tokens = self._check_tokens(tokens)
        T, V, H = len(tokens), self.n_symbols, self.hidden_size
        if teacher is not None:
            teacher = self._check_tokens(teacher, "teacher")
            n_steps = len(teacher) if n_steps is None else n_steps
            if n_steps != len(teacher):
                raise ValueError(f"n_steps={n_steps} but teacher has {len(teacher)} symbols")
        U = limits.ATTENTION_SEQ_LEN.check(T if n_steps is None else n_steps)

        x = one_hot(tokens, V)  # (T, V)
        fwd = self.encoder.run(x)  # fwd.h: (T, H) fh_1..fh_T
        bwd = self.encoder_bwd.run(x[::-1])  # bwd.h: (T, H) bh_T..bh_1 (its own reading order)
        ann = np.hstack([fwd.h, bwd.h[::-1]])  # (T, 2H) a_j = [fh_j; bh_j]
        summary = bwd.h[-1] if self.init_from == "backward" else np.concatenate([fwd.h[-1], bwd.h[-1]])  # (H,) | (2H,)
        s = np.tanh(self.W_s @ summary + self.b_s)  # (H,) s_0
        keys = ann @ self.U_a.T + self.b_a if self.attention else None  # (T, A), the same for every step
        dec = Trace(x=np.empty((U, self.decoder.input_size)), h0=s.copy(), h=np.empty((U, H)))
        dec.gates = {g: np.empty((U, H)) for g in self.decoder.gate_names}
        logits = np.empty((U, V))
        alpha = np.empty((U, T)) if self.attention else None
        context = np.empty((U, 2 * H)) if self.attention else None
        inputs = np.empty(U, dtype=np.int64)
        y_prev = self.bos
        for i in range(U):
            inputs[i] = y_prev
            x_i = one_hot(y_prev, V + 1)  # (V+1,)
            if self.attention:
                e = np.tanh(self.W_a @ s + keys) @ self.v_a  # (A,) + (T, A) -> (T, A) -> (T,)
                a = np.exp(e - e.max())
                alpha[i] = a / a.sum()  # (T,) softmax over encoder positions
                context[i] = alpha[i] @ ann  # (T,) @ (T, 2H) -> (2H,)
                x_i = np.concatenate([x_i, context[i]])  # (V+1+2H,)
            step = self.decoder.run(x_i[None], h0=s)  # one decoder step, gates recorded
            s = step.h[0]  # (H,) s_i
            dec.x[i], dec.h[i] = x_i, s
            for g in dec.gates:
                dec.gates[g][i] = step.gates[g][0]
            out_in = np.concatenate([s, context[i]]) if self.attention else s  # (3H,) or (H,)
            logits[i] = self.W_o @ out_in + self.b_o  # (V,)
            y_prev = int(teacher[i]) if teacher is not None else int(np.argmax(logits[i]))
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = p / p.sum(axis=1, keepdims=True)  # (U, V)
        return Seq2SeqTrace(tokens=tokens, encoder=fwd, encoder_bwd=bwd, decoder=dec, logits=logits, probs=probs,
                            output=logits.argmax(axis=1), decoder_inputs=inputs, attention=alpha, context=context)

    def reverse(self, text: str) -> str:
        """Greedy answer for a string: 'abc' -> the model's guess at 'cba'."""
        return decode(self.run(encode(text, self.symbols)).output, self.symbols)

    def _check_tokens(self, tokens, name: str = "tokens") -> np.ndarray:
        if isinstance(tokens, str):
            return encode(tokens, self.symbols)
        t = np.asarray(tokens)
        if t.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of symbol indices, got shape {t.shape}")
        if t.size == 0:
            raise ValueError(f"{name} is empty; give 1 to {MAX_LEN} symbols")
        if not np.issubdtype(t.dtype, np.integer) or t.min() < 0 or t.max() >= self.n_symbols:
            raise ValueError(f"{name} must be whole numbers in [0, {self.n_symbols - 1}] (indices into {self.symbols!r})")
        limits.ATTENTION_SEQ_LEN.check(t.size)
        return t.astype(np.int64)

    # -- checkpoints ---------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat name -> array dict (torch names for the GRUs), plus the settings."""
        d = {}
        for name in ("encoder", "encoder_bwd", "decoder"):
            d |= {f"{name}.{p}": getattr(getattr(self, name), p) for p in _GRU_PARAMS}
        d |= {"W_s": self.W_s, "b_s": self.b_s}
        if self.attention:
            d |= {p: getattr(self, p) for p in _ATTN_PARAMS}
        d |= {"W_o": self.W_o, "b_o": self.b_o}
        d |= {"symbols": np.array(self.symbols), "attention": np.array(self.attention), "init_from": np.array(self.init_from)}
        return d

    def save(self, path, dtype=np.float32) -> None:
        """Write an NPZ (no pickle). Weights are stored in ``dtype`` (float32: the training precision)."""
        arrays = {k: (v.astype(dtype) if v.dtype.kind == "f" else v) for k, v in self.state_dict().items()}
        np.savez_compressed(path, **arrays)

    @classmethod
    def from_state_dict(cls, d: dict) -> Seq2Seq:
        """Rebuild a model from ``state_dict()`` arrays (read as float64); ValueError if they do not fit."""
        try:
            symbols, attention, init_from = str(d["symbols"]), bool(d["attention"]), str(d["init_from"])
            H = d["encoder.weight_hh"].shape[1]
            A = d["W_a"].shape[0] if attention else H
        except (KeyError, IndexError, AttributeError) as e:
            raise ValueError(f"not an attention checkpoint: missing or malformed {e}") from None
        model = cls(symbols, hidden_size=H, attention_size=A, attention=attention, init_from=init_from)
        expected = model.state_dict()
        for name, ref in expected.items():
            if name in _SETTINGS:
                continue
            if name not in d:
                raise ValueError(f"checkpoint is missing {name!r}")
            value = np.asarray(d[name], dtype=np.float64)
            if value.shape != ref.shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {ref.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{name} contains NaN or infinity")
            owner, _, attr = name.rpartition(".")
            setattr(getattr(model, owner) if owner else model, attr, value)
        return model

    @classmethod
    def load(cls, path) -> Seq2Seq:
        """Read a checkpoint written by :meth:`save` (NPZ, pickle refused)."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no checkpoint at {path}; run `python -m gru_viz.attention_training` to make one")
        with np.load(path, allow_pickle=False) as f:
            return cls.from_state_dict({k: f[k] for k in f.files})


def file_sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_manifest(directory=None) -> dict:
    """The training manifest (sizes, steps, seed, accuracy per length) of the shipped models."""
    path = Path(directory or CHECKPOINT_DIR) / "manifest.json"
    if not path.is_file():
        raise ValueError(f"no manifest at {path}; run `python -m gru_viz.attention_training` to make one")
    return json.loads(path.read_text())


def load_shipped(attention: bool = True, directory=None) -> Seq2Seq:
    """A shipped model (with or without attention), checked against the sha256 in manifest.json."""
    directory = Path(directory or CHECKPOINT_DIR)
    path = directory / FILES[bool(attention)]
    entry = load_manifest(directory)["models"]["with_attention" if attention else "without_attention"]
    if "sha256" in entry and path.is_file() and file_sha256(path) != entry["sha256"]:
        raise ValueError(f"{path.name} does not match the sha256 in manifest.json; re-create it with "
                         "`python -m gru_viz.attention_training`")
    return Seq2Seq.load(path)


# ----------------------------------------------------------------------------
# evaluation


def mirror_weight(alpha: np.ndarray) -> float:
    """Mean attention on the mirror position, for reversal: mean_i alpha[i, T - 1 - i] (0-based).

    alpha: (T, T). 1.0 means a perfect anti-diagonal: while writing output i
    the decoder looked only at the input symbol it has to copy.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.ndim != 2 or alpha.shape[0] != alpha.shape[1]:
        raise ValueError(f"alpha must be square (T, T) for reversal, got shape {alpha.shape}")
    return float(np.fliplr(alpha).diagonal().mean())


def accuracy(model: Seq2Seq, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Greedy accuracy on a batch x, y: (N, T) ints.

    Returns {"symbol": fraction of output symbols right, "sequence": fraction of
    strings entirely right}.
    """
    right = np.array([model.run(xi, n_steps=len(yi)).output == yi for xi, yi in zip(x, y, strict=True)])  # (N, T)
    return {"symbol": float(right.mean()), "sequence": float(right.all(axis=1).mean())}
