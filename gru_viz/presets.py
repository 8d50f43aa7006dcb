"""Plain settings -> a model and an input sequence (no streamlit here).

The pages' widgets return plain values (strings and numbers, which also fit in
a URL); these pure functions turn them into a core model and an (T, D) input,
so the same settings always give the same picture.

    x, names = build_input("pulse", T=100)          # x: (100, 1)
    model = build_model("GRU", input_size=x.shape[1], hidden_size=16, seed=0)
    trace = model.run(x)
"""

from __future__ import annotations

import numpy as np

from gru_viz import limits, tasks
from gru_viz.cells import GRU, LSTM, VanillaRNN

CELLS = ("GRU", "LSTM", "RNN")  # cell kinds offered in the UI, in this order
CELL_CLASSES = {"GRU": GRU, "LSTM": LSTM, "RNN": VanillaRNN}
PRESETS = ("pulse", "sine", "noise", "adding", "text")  # input presets, in this order
PRESET_LABELS = {
    "pulse": "pulse (one event to remember)",
    "sine": "sine wave",
    "noise": "white noise",
    "adding": "adding-problem sample (value, marker)",
    "text": "typed text (one-hot characters)",
}
PRESET_INPUT_SIZE = {"pulse": 1, "sine": 1, "noise": 1, "adding": 2}  # D of each preset; text: its alphabet + 1


def presets_for(input_size: int) -> tuple[str, ...]:
    """The presets a model with ``input_size`` inputs can read (typed text only fits a model of its own alphabet)."""
    return tuple(p for p in PRESETS if PRESET_INPUT_SIZE.get(p) == input_size)


DEFAULT_TEXT = "the cat sat on the mat. the dog sat on the log."
SEED = limits.Bound("seed", 0, 9999)
INIT_SCALE = (0.1, 5.0)  # multiplies torch's default U(-1/sqrt(H), 1/sqrt(H)) weights
INIT_SCALE_DEFAULT = 1.0


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_init_scale(value) -> float:
    lo, hi = INIT_SCALE
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"init scale must be a number in [{lo}, {hi}], got {value!r}") from None
    if not (np.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"init scale must be in [{lo}, {hi}], got {value!r}")
    return v


def build_model(cell: str, input_size: int, hidden_size: int, seed: int = 0, init_scale: float = 1.0):
    """A freshly initialised GRU / LSTM / RNN (tanh) with seeded weights scaled by init_scale."""
    cls = CELL_CLASSES[check_choice("cell", cell, CELLS)]
    return cls(
        input_size,
        limits.HIDDEN_SIZE.check(hidden_size),
        seed=SEED.check(seed),
        init_scale=check_init_scale(init_scale),
    )


def clean_text(text: str, max_chars: int = limits.UI_SEQ_LEN.hi) -> tuple[str, str]:
    """(text to use, message) — empty text falls back to DEFAULT_TEXT, long text is cut to max_chars.

    The message is '' when the text was used as typed; otherwise it says what
    was changed, for the page to show.
    """
    if not isinstance(text, str) or not text.strip():
        return DEFAULT_TEXT, "The text was empty, so the example sentence is used instead."
    if len(text) > max_chars:
        return text[:max_chars], f"The text has {len(text)} characters; only the first {max_chars} are used (one per timestep)."
    return text, ""


def build_input(preset: str, T: int, seed: int = 0, text: str = DEFAULT_TEXT) -> tuple[np.ndarray, list[str]]:
    """The input sequence for a preset: (x (T, D), channel names (D,)).

    pulse   one step of 1 at step T // 5, else 0       D = 1
    sine    sin(2 pi t / 20)                          D = 1
    noise   N(0, 1), seeded                           D = 1
    adding  adding-problem sample: (value, marker)    D = 2
    text    one-hot characters of ``text``; T = len(text) (T is ignored), D = distinct chars + 1 (unknown)
    """
    check_choice("input preset", preset, PRESETS)
    if preset == "text":
        x, alphabet, _ = tasks.one_hot_text(text)
        return x, [repr(ch) for ch in alphabet] + ["unknown"]
    T = limits.SEQ_LEN.check(T)
    if preset == "pulse":
        return tasks.pulse(T), ["pulse"]
    if preset == "sine":
        return tasks.sine(T, period=20.0), ["sine"]
    if preset == "noise":
        return tasks.noise(T, seed=SEED.check(seed)), ["noise"]
    batch = tasks.adding_problem(T, n=1, seed=SEED.check(seed))
    return batch.x[0], ["value", "marker"]

