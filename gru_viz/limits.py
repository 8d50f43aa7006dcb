"""Input limits, in one place.

Every bound that protects the app (and a class of thirty sharing one server)
lives here. The library enforces them with a ``ValueError`` that names the
allowed range; the widgets take their ``min_value``/``max_value`` from the same
objects, so the UI cannot ask for more; settings read from the URL are checked
against them too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bound:
    """An inclusive integer range with a name used in error messages."""

    name: str  # what the number is, e.g. "sequence length"
    lo: int  # smallest allowed value
    hi: int  # largest allowed value

    def check(self, value) -> int:
        """Return ``value`` as an int, or raise ValueError naming the allowed range."""
        if not is_whole(value):
            raise ValueError(f"{self.name} must be a whole number in [{self.lo}, {self.hi}], got {value!r}")
        value = int(value)
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{self.name} must be in [{self.lo}, {self.hi}], got {value}")
        return value

    def clip(self, value: int) -> int:
        return max(self.lo, min(self.hi, int(value)))


def is_whole(value) -> bool:
    """True for a whole number: 3, 3.0, np.int64(3); False for 2.5, "3" and for booleans (True is no count)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    try:
        return int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False


# Library limits (what the NumPy core accepts).
SEQ_LEN = Bound("sequence length T", 1, 5000)  # a few thousand characters of text
HIDDEN_SIZE = Bound("hidden size H", 1, 512)
INPUT_SIZE = Bound("input size D", 1, 512)
TASK_BATCH_SIZE = Bound("batch size n", 1, 100_000)  # sequences per task batch (gru_viz.tasks)
TASK_BATCH_NUMBERS = 20_000_000  # at most this many inputs n * T * D in one task batch (160 MB of float64)

# UI limits (what the widgets offer; stricter so every page stays live).
UI_SEQ_LEN = Bound("sequence length", 2, 500)
UI_HIDDEN_SIZE = Bound("hidden size", 1, 128)
UI_UNITS_SHOWN = Bound("units shown", 1, 8)
UI_TEXT_CHARS = Bound("text length", 1, 5000)
UI_COMPARE_HIDDEN_SIZE = Bound("hidden size", 1, 32)  # compare page: 4 cells x (T, 2H, 2H) Jacobians each
UI_TRAJECTORY_STEPS = Bound("trajectory steps", 1, 60)  # phase portrait: steps drawn per trajectory
ATTENTION_SEQ_LEN = Bound("sequence length", 1, 40)  # attention page and gru_viz.attention (trained on 2..20)
TRAINING_STEPS = Bound("training steps", 1, 5000)
TRAINING_SEQ_LEN = Bound("training sequence length", 2, 200)  # Training Lab: longest sequence trained live
UPLOAD_MB = 5  # largest weight file accepted, in megabytes (also server.maxUploadSize)
