"""The record of one run of a recurrent cell over one sequence.

Letters used for shapes throughout gru-viz:

    T  sequence length (number of timesteps)
    D  input size
    H  hidden size (number of units)
    S  state size: H for RNN and GRU, 2H for LSTM (the state is [h, c])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """Everything a cell computed, timestep by timestep.

    Row ``t`` of every array is timestep ``t + 1``: ``h[0]`` is h_1, the state
    after reading ``x[0]``. ``h0`` is the state before the first input.
    """

    x: np.ndarray  # (T, D) inputs (run's own copy: editing the caller's array later does not change it)
    h0: np.ndarray  # (H,) initial hidden state
    h: np.ndarray  # (T, H) hidden states h_1 .. h_T
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (T, H)
    c0: np.ndarray | None = None  # (H,) initial cell state (LSTM only)
    c: np.ndarray | None = None  # (T, H) cell states c_1 .. c_T (LSTM only)
    # Gate surgery: name -> (H,) clamp values, NaN where the unit is left free.
    clamp: dict[str, np.ndarray] = field(default_factory=dict)
    # Pre-activations and intermediates the backward pass needs (name -> (T, H)).
    cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        """A one-line summary, e.g. Trace(T=60, H=8, gates=[reset, update, candidate], finite=True); the arrays
        are trace.x, trace.h, trace.gates[name] (and trace.c)."""
        clamp = f", clamp=[{', '.join(self.clamp)}]" if self.clamp else ""
        return f"Trace(T={self.T}, H={self.hidden_size}, gates=[{', '.join(self.gates)}]{clamp}, finite={self.finite})"

    @property
    def T(self) -> int:
        return self.h.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.h.shape[1]

    @property
    def states(self) -> np.ndarray:
        """(T+1, S) the full recurrent state from step 0 to T ([h, c] for LSTM)."""
        h = np.vstack([self.h0[None], self.h])  # (T+1, H)
        if self.c is None:
            return h
        c = np.vstack([self.c0[None], self.c])  # (T+1, H)
        return np.hstack([h, c])  # (T+1, 2H)

    @property
    def h_prev(self) -> np.ndarray:
        """(T, H) the hidden state each step started from: h_0 .. h_{T-1}."""
        return np.vstack([self.h0[None], self.h[:-1]])

    @property
    def c_prev(self) -> np.ndarray | None:
        """(T, H) c_0 .. c_{T-1} for an LSTM, else None."""
        if self.c is None:
            return None
        return np.vstack([self.c0[None], self.c[:-1]])

    @property
    def finite(self) -> bool:
        """False when the run exploded (an overflow to inf or NaN somewhere)."""
        arrays = [self.h, *self.gates.values()] + ([self.c] if self.c is not None else [])
        return all(bool(np.isfinite(a).all()) for a in arrays)
