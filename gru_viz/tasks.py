"""Sequences to feed the cells: long-memory toy tasks and simple signals.

Everything random takes a ``seed`` (same seed, same sequence).

Tasks (batches for training, shapes N = batch, T = length, D = input size):
    adding_problem   Hochreiter & Schmidhuber 1997; Le et al. 2015. Sum the two
                     marked numbers; predicting 1 always gives MSE 1/6 ~ 0.167.
    copy_task        Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016.
                     Remember a short symbol string across a long blank delay.
    delayed_recall   Output the input seen ``delay`` steps ago (an n-back task).

Signals for exploration, each (T, D):
    pulse, sine, noise, one_hot_text
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_viz import limits


@dataclass
class TaskBatch:
    """A batch of a toy task, ready for training or for one trace."""

    name: str  # "adding", "copy" or "delayed_recall"
    x: np.ndarray  # (N, T, D) inputs
    y: np.ndarray  # targets: (N,) adding; (N, T) int classes for copy; (N, T) delayed_recall
    loss: str  # "mse_last" (last step regression), "ce_seq" (per-step classes), "mse_seq"
    baseline: float  # loss of the best memoryless guess (what "learned nothing" scores)
    mask: np.ndarray | None = None  # (N, T) 1 where the loss counts (sequence tasks)


def _check_n(n: int) -> int:
    return limits.TASK_BATCH_SIZE.check(n)


def _check_batch(n: int, T: int, D: int) -> None:
    """ValueError if a batch of n sequences of shape (T, D) would exceed limits.TASK_BATCH_NUMBERS."""
    if n * T * D > limits.TASK_BATCH_NUMBERS:
        raise ValueError(f"a batch of n={n} sequences of shape (T, D) = ({T}, {D}) holds {n * T * D:,} inputs, more than "
                         f"the limit of {limits.TASK_BATCH_NUMBERS:,}: ask for fewer or shorter sequences")


def _whole(value, name: str) -> int:
    """``value`` as an int; 3, 3.0 and np.int64(3) are whole numbers, 2.5 and "3" are refused (not truncated)."""
    if not limits.is_whole(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def adding_problem(T: int, n: int = 1, seed: int = 0) -> TaskBatch:
    """The adding problem: x[:, t] = (value ~ U(0, 1), marker in {0, 1}).

    Exactly two steps carry marker 1, one in each half of the sequence
    (Le et al. 2015); the target is the sum of their two values. Predicting the
    mean, 1, gives MSE Var(u1 + u2) = 2/12 = 1/6.

    Returns x: (n, T, 2), y: (n,).
    """
    T, n = limits.SEQ_LEN.check(T), _check_n(n)
    if T < 2:
        raise ValueError("the adding problem needs T >= 2 (one marker in each half)")
    _check_batch(n, T, 2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, (n, T))  # (n, T)
    half = T // 2
    first = rng.integers(0, half, n)  # (n,) marker in the first half
    second = rng.integers(half, T, n)  # (n,) marker in the second half
    markers = np.zeros((n, T))
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    x = np.stack([values, markers], axis=-1)  # (n, T, 2)
    y = values[np.arange(n), first] + values[np.arange(n), second]  # (n,)
    return TaskBatch("adding", x, y, "mse_last", baseline=1.0 / 6.0)


def copy_task(n_symbols: int = 8, length: int = 5, delay: int = 20, n: int = 1, seed: int = 0) -> TaskBatch:
    """The copy (memory) task of Arjovsky et al. 2016.

    Input: ``length`` random symbols from 1..K (K = n_symbols), then ``delay``
    blanks (0), then a go-marker (K+1) and ``length`` - 1 more blanks; as one-hot
    vectors of size K+2. Target: blank (0) everywhere except the last
    ``length`` steps, which must repeat the symbols in order. T = 2*length + delay.

    The memoryless baseline (always blank, then uniform over the K symbols)
    has cross-entropy length * log(K) / T per step.

    Returns x: (n, T, K+2), y: (n, T) int class indices.
    """
    n = _check_n(n)
    n_symbols, length, delay = _whole(n_symbols, "n_symbols"), _whole(length, "length"), _whole(delay, "delay")
    if n_symbols < 1 or length < 1 or delay < 0:
        raise ValueError("copy_task needs n_symbols >= 1, length >= 1 and delay >= 0")
    if n_symbols + 2 > limits.INPUT_SIZE.hi:
        raise ValueError(f"n_symbols must be at most {limits.INPUT_SIZE.hi - 2} (the input size is n_symbols + 2), "
                         f"got {n_symbols}")
    T = limits.SEQ_LEN.check(2 * length + delay)
    _check_batch(n, T, n_symbols + 2)
    rng = np.random.default_rng(seed)
    symbols = rng.integers(1, n_symbols + 1, (n, length))  # (n, L)
    tokens = np.zeros((n, T), dtype=int)
    tokens[:, :length] = symbols
    tokens[:, length + delay] = n_symbols + 1  # the go-marker
    y = np.zeros((n, T), dtype=int)
    y[:, T - length :] = symbols
    x = np.eye(n_symbols + 2)[tokens]  # (n, T, K+2) one-hot
    baseline = length * np.log(n_symbols) / T
    return TaskBatch("copy", x, y, "ce_seq", baseline=float(baseline), mask=np.ones((n, T)))


def delayed_recall(T: int, delay: int = 10, n: int = 1, seed: int = 0) -> TaskBatch:
    """Recall the value seen ``delay`` steps earlier: y[:, t] = u[:, t - delay].

    Inputs u ~ U(-1, 1), one per step; the loss counts only where t >= delay.
    Guessing 0 (the mean) gives MSE Var(u) = 1/3.

    Returns x: (n, T, 1), y: (n, T), mask: (n, T).
    """
    T, n, delay = limits.SEQ_LEN.check(T), _check_n(n), _whole(delay, "delay")
    if not 0 < delay < T:
        raise ValueError(f"delay must be in [1, T-1] = [1, {T - 1}], got {delay}")
    _check_batch(n, T, 1)
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, (n, T))  # (n, T)
    y = np.zeros((n, T))
    y[:, delay:] = u[:, :-delay]
    mask = np.zeros((n, T))
    mask[:, delay:] = 1.0
    return TaskBatch("delayed_recall", u[:, :, None], y, "mse_seq", baseline=1.0 / 3.0, mask=mask)


# ----------------------------------------------------------------------------
# signals for exploration: each returns one sequence (T, D)


def pulse(T: int, at: int | None = None, width: int = 1, amplitude: float = 1.0, D: int = 1) -> np.ndarray:
    """(T, D) zeros with a rectangular pulse of ``width`` steps starting at step ``at``.

    Default ``at`` is T // 5, so the network has to hold the event for most of
    the sequence.
    """
    T, D = limits.SEQ_LEN.check(T), limits.INPUT_SIZE.check(D)
    at = T // 5 if at is None else limits.Bound("pulse position", 0, T - 1).check(at)
    width = _whole(width, "pulse width")
    if width < 1:
        raise ValueError(f"pulse width must be >= 1, got {width}")
    x = np.zeros((T, D))
    x[at : at + width] = amplitude
    return x


def sine(T: int, period: float = 20.0, amplitude: float = 1.0, D: int = 1) -> np.ndarray:
    """(T, D) a sine wave of the given period (in steps); channel j is shifted by a quarter period per j."""
    T, D = limits.SEQ_LEN.check(T), limits.INPUT_SIZE.check(D)
    if not period > 0:
        raise ValueError(f"period must be > 0, got {period}")
    t = np.arange(T)[:, None]  # (T, 1)
    phase = np.arange(D)[None, :] * (np.pi / 2)  # (1, D)
    return amplitude * np.sin(2 * np.pi * t / period + phase)


def noise(T: int, D: int = 1, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """(T, D) Gaussian white noise with standard deviation ``scale``."""
    T, D = limits.SEQ_LEN.check(T), limits.INPUT_SIZE.check(D)
    return scale * np.random.default_rng(seed).standard_normal((T, D))


PRINTABLE = "".join(chr(c) for c in range(32, 127))  # the 95 printable ASCII characters


def one_hot_text(text: str, alphabet: str | None = None) -> tuple[np.ndarray, str, np.ndarray]:
    """Encode a string one character per timestep.

    Args:
        text: the string (T characters).
        alphabet: allowed characters; None means the sorted distinct characters of ``text``.
            Characters outside it map to an extra final "unknown" symbol.
    Returns:
        x: (T, V) one-hot, V = len(alphabet) + 1 (last column = unknown),
        alphabet: the alphabet used,
        unknown: (T,) bool, True where a character was not in the alphabet.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    if not text:
        raise ValueError("text is empty: type at least one character")
    limits.SEQ_LEN.check(len(text))
    alphabet = "".join(sorted(set(text))) if alphabet is None else alphabet
    index = {ch: i for i, ch in enumerate(alphabet)}
    ids = np.array([index.get(ch, len(alphabet)) for ch in text])  # (T,)
    x = np.eye(len(alphabet) + 1)[ids]  # (T, V)
    return x, alphabet, ids == len(alphabet)


# ----------------------------------------------------------------------------
# tasks by name (used by the Training Lab and the checkpoints)

TASKS = {"adding": adding_problem, "copy": copy_task, "delayed_recall": delayed_recall}


def make_batch(task: str, params: dict, n: int = 1, seed: int = 0) -> TaskBatch:
    """``TASKS[task](**params, n=n, seed=seed)``, with a clear error for an unknown task or parameter."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    try:
        return TASKS[task](**dict(params), n=n, seed=seed)
    except TypeError as e:
        raise ValueError(f"bad parameters {params!r} for task {task!r}: {e}") from None
