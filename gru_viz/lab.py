"""What the Gradient Lab computes, from plain settings (pure NumPy, no streamlit).

Three cells read the same input with the same hidden size and the same seed:

    "RNN"   VanillaRNN (tanh or relu), W_hh scaled to spectral radius rho
    "GRU"   GRU, each recurrent block (W_hr, W_hz, W_hn) scaled to rho,
            update-gate bias b_z (b_iz = b_z, b_hz = 0), optional gate surgery
    "LSTM"  LSTM, each block (W_hi, W_hf, W_hg, W_ho) scaled to rho,
            forget-gate bias b_f = b_z (its "keep" gate: f = 1 keeps c)

and for each we record the Trace, the gradient-decay curve
||d h_T / d h_{T-k}|| over the lag k and the per-unit gradient magnitude over
time ||d h_T / d h_t[j]|| (gru_viz.gradients.decay_and_influence, hidden_only:
the hidden state for all three cells, as the page's title says; for the LSTM,
whose state is [h, c], that is the h-to-h block of the Jacobian products, the
path through c included, at half the cost of the whole state's).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gru_viz import gradients, weights
from gru_viz.cells import GRU, LSTM, VanillaRNN
from gru_viz.trace import Trace

RADIUS = (0.1, 3.0)  # spectral-radius slider range
RADIUS_DEFAULT = 1.0
BIAS = (-4.0, 6.0)  # update-gate bias slider range; sigmoid(3) ~ 0.95
BIAS_DEFAULT = 3.0
THRESHOLD = 1e-6  # "the gradient is gone": the caption's threshold
NONLINEARITIES = ("tanh", "relu")
CLAMP_GATES = ("none", "update", "reset")


def build(kind: str, input_size: int, hidden_size: int, seed: int = 0, radius: float = RADIUS_DEFAULT,
          nonlinearity: str = "tanh", update_bias: float = BIAS_DEFAULT):
    """One of the lab's cells, "RNN" | "GRU" | "LSTM", with the lab's weight surgery applied.

    The weights depend on these arguments only, and scaling them to the spectral
    radius takes an eigendecomposition per recurrent block (~15 ms each at H = 128),
    so each cell is built once and copied after: moving the sequence length, the
    input or the gate surgery does not rebuild it.
    """
    return _build(kind, input_size, hidden_size, seed, radius, nonlinearity, update_bias).copy()


@functools.lru_cache(maxsize=16)
def _build(kind, input_size, hidden_size, seed, radius, nonlinearity, update_bias):
    if kind == "RNN":
        model = VanillaRNN(input_size, hidden_size, nonlinearity=nonlinearity, seed=seed)
        return weights.scale_recurrent(model, radius)
    if kind == "GRU":
        model = weights.scale_recurrent(GRU(input_size, hidden_size, seed=seed), radius)
        return weights.set_gate_bias(model, "update", update_bias)
    if kind == "LSTM":
        model = weights.scale_recurrent(LSTM(input_size, hidden_size, seed=seed), radius)
        return weights.set_gate_bias(model, "forget", update_bias)
    raise ValueError(f"kind must be 'RNN', 'GRU' or 'LSTM', got {kind!r}")


def eigenvalues(kind: str, input_size: int, hidden_size: int, seed: int = 0, radius: float = RADIUS_DEFAULT,
                nonlinearity: str = "tanh", update_bias: float = BIAS_DEFAULT) -> np.ndarray:
    """(H,) complex eigenvalues of the main recurrent block (weights.MAIN_BLOCK) of the cell ``build`` gives for
    the same arguments. They depend on its weights only, so they are computed once per cell (~4 ms at H = 128),
    not on every run: a page can draw them before its cells have run."""
    return _eigenvalues(kind, input_size, hidden_size, seed, radius, nonlinearity, update_bias).copy()


@functools.lru_cache(maxsize=16)
def _eigenvalues(*build_args):
    return weights.eigenvalues(_build(*build_args))


def explodes(final: float, threshold: float = THRESHOLD) -> bool:
    """True when a gradient norm after all T steps, decay[T], has grown past 1 / threshold: an exploding
    gradient (still finite), said so on every page that shows decay curves."""
    return bool(final > 1.0 / threshold)


@dataclass
class Result:
    """One cell's run in the lab."""

    model: object  # the cell (after weight surgery)
    trace: Trace  # its run over x
    decay: np.ndarray  # (T+1,) ||d h_T / d h_{T-k}||, k = 0..T
    eigenvalues: np.ndarray | None  # (H,) complex, of the main recurrent block (weights.MAIN_BLOCK) (None if not asked for)
    influence: np.ndarray | None = None  # (T+1, H) ||d h_T / d h_t[j]||, t = 0..T (None if not asked for)

    @property
    def exploded(self) -> bool:
        """True when the run or its gradients overflowed (inf or NaN anywhere)."""
        return not (self.trace.finite and np.isfinite(self.decay).all())

    @property
    def growing(self) -> bool:
        """True when the gradient grows past 1 / THRESHOLD without overflowing (exploding, still finite)."""
        return not self.exploded and explodes(self.decay[-1])


def analyse(model, x: np.ndarray, clamp: dict | None = None, with_influence: bool = True,
            with_eigenvalues: bool = True) -> Result:
    """Run ``model`` on x: (T, D) (with optional gate surgery) and measure its gradients.

    with_influence=False skips the per-unit heatmap (it costs little extra:
    both come from the same pass over the lag products); with_eigenvalues=False
    skips the eigenvalues (for a caller that has them from ``eigenvalues``).
    """
    trace = model.run(x, clamp=clamp)
    eig = weights.eigenvalues(model) if with_eigenvalues else None
    if with_influence:  # both from one pass over the lag products
        decay, infl = gradients.decay_and_influence(model, trace, hidden_only=True)  # (T+1,), (T+1, H)
        return Result(model, trace, decay, eig, infl)
    return Result(model, trace, gradients.decay_from_trace(model, trace, hidden_only=True), eig)


def parse_units(text: str, hidden_size: int) -> np.ndarray | None:
    """'all' -> None; '1, 3-5' -> array([0, 2, 3, 4]) (units are numbered from 1 in the UI).

    Raises ValueError naming the problem (bad syntax, unit outside 1..H).
    """
    s = str(text).strip().lower()
    if s in ("", "all", "*"):
        return None
    out = []
    for part in s.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ValueError(f"units must look like '1, 3-5' or 'all'; could not read {part!r}") from None
        if a > b:
            raise ValueError(f"a range of units goes from low to high, e.g. '{b}-{a}'; got {part!r}")
        if not (1 <= a <= b <= hidden_size):
            raise ValueError(f"units must be between 1 and H = {hidden_size} (ranges low-high); got {part!r}")
        out.extend(range(a - 1, b))
    if not out:
        return None
    return np.array(sorted(set(out)))


def clamp_values(gate: str, value: float, units: np.ndarray | None, hidden_size: int) -> dict | None:
    """The ``clamp=`` argument of GRU.run: ``gate`` held at ``value`` on ``units`` (None = all), NaN = free."""
    if gate == "none":
        return None
    if gate not in CLAMP_GATES:
        raise ValueError(f"clamp gate must be one of {list(CLAMP_GATES)}, got {gate!r}")
    v = np.full(hidden_size, np.nan)  # (H,)
    v[slice(None) if units is None else units] = float(value)
    return {gate: v}


GROWS = 1.05  # a gradient this much larger after all T steps is said to grow, not to be kept


def caption(decays: dict, threshold: float = THRESHOLD) -> str:
    """One sentence with the key number, e.g. "the RNN's gradient falls below 1e-06 after 23 steps; the GRU's after 180".

    decays: name -> (T+1,) curves. Curves that overflow are named as exploding.
    """
    parts = []
    for name, d in decays.items():
        d = np.asarray(d, dtype=np.float64)
        T = d.size - 1
        steps = f"all {T} steps" if T != 1 else "its one step"
        whose = f"the {name}'s" + (" gradient" if not parts else "")  # later parts: "the GRU's is still ..."
        bad = np.nonzero(~np.isfinite(d))[0]
        k = gradients.steps_until_below(np.where(np.isfinite(d), d, np.inf), threshold)
        if bad.size and (k is None or bad[0] < k):
            parts.append(f"the {name}'s gradient **explodes** (overflow from lag {int(bad[0])})")
        elif k is None and explodes(d[-1], threshold):
            parts.append(f"the {name}'s gradient **explodes**: it grows to {d[-1]:.1e} over {T} steps")
        elif k is None and d[-1] >= GROWS:
            parts.append(f"{whose} grows to {d[-1]:.1e} over {steps}")
        elif k is None:
            parts.append(f"{whose} is still {d[-1]:.1e} after {steps}")
        else:
            parts.append(f"the {name}'s gradient falls below {threshold:.0e} after **{k}** steps")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
