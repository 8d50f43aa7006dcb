"""Recurrent cells in pure NumPy: vanilla RNN, GRU (two conventions) and LSTM.

Each cell runs one sequence and records every gate at every timestep in a
:class:`~gru_viz.trace.Trace`. Beside each forward step sits its closed-form
Jacobian d state_t / d state_{t-1} (micrograd style: the backward rule next to
the forward it differentiates), vectorised over all timesteps at once.

Parameters are float64 arrays in torch's layout, so weights move to and from
``torch.nn`` exactly (``from_torch`` / ``to_torch``):

    weight_ih  (G*H, D)   input-to-hidden, G gate blocks stacked
    weight_hh  (G*H, H)   hidden-to-hidden
    bias_ih    (G*H,)     or None when bias=False
    bias_hh    (G*H,)     or None when bias=False

with blocks ordered as in torch: GRU (r | z | n), LSTM (i | f | g | o), RNN a
single block. Shapes use T (timesteps), D (input size), H (hidden size) and
S (state size: H, or 2H for the LSTM's [h, c]).

References:
    Elman 1990, "Finding structure in time" (the simple RNN).
    Cho et al. 2014, "Learning phrase representations using RNN encoder-decoder
        for statistical machine translation" (the GRU).
    Hochreiter & Schmidhuber 1997, "Long short-term memory"; Gers et al. 2000
        (the forget gate).
    PyTorch documentation of nn.RNN, nn.GRU, nn.LSTM (the equations we match).
"""

from __future__ import annotations

import copy
import inspect
import itertools
import numbers
from collections.abc import Mapping

import numpy as np

from gru_viz import _blas, limits
from gru_viz.trace import Trace

# ----------------------------------------------------------------------------
# gate activations: the function and its derivative written in terms of the
# function's *output* s, which is all the backward pass has in hand.


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-a); exp overflow for a << 0 correctly gives 0."""
    return 1.0 / (1.0 + np.exp(-a))


def hard_sigmoid(a: np.ndarray) -> np.ndarray:
    """torch.nn.Hardsigmoid: clip(a/6 + 1/2, 0, 1), linear on -3 < a < 3.

    (Keras' older hard sigmoid was clip(0.2 a + 0.5, 0, 1); we follow torch.)
    """
    return np.clip(a / 6.0 + 0.5, 0.0, 1.0)


GATE_ACTIVATIONS = {
    # name: (function, derivative as a function of the output s)
    "sigmoid": (sigmoid, lambda s: s * (1.0 - s)),
    "hard_sigmoid": (hard_sigmoid, lambda s: ((s > 0.0) & (s < 1.0)) / 6.0),
}


def _activate_(name: str, a: np.ndarray) -> None:
    """Apply gate activation ``name`` to ``a`` in place (same operations as the functions above)."""
    if name == "sigmoid":
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)
    else:
        a /= 6.0
        a += 0.5
        np.clip(a, 0.0, 1.0, out=a)


# ----------------------------------------------------------------------------
# shared machinery

# Up to this many steps the plain ``_step`` loop is faster than the fast loops, whose
# setup (step matrix, buffers) costs about as much as two steps (a phase portrait runs
# thousands of one-step sequences).
FAST_LOOP_MIN_T = 2

# options that repr shows only when they differ from these defaults
_REPR_DEFAULTS = {"version": 1, "variant": "torch", "gate_activation": "sigmoid", "nonlinearity": "tanh"}


def _check_init(bias, seed, init_scale) -> tuple[int, float]:
    """Check the constructor arguments every cell shares; return (seed, init_scale) as int and float."""
    if not isinstance(bias, (bool, np.bool_)):
        raise ValueError(f"bias must be True or False, got {bias!r}")
    if not limits.is_whole(seed) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if isinstance(init_scale, (bool, np.bool_)) or not isinstance(init_scale, numbers.Real) \
            or not np.isfinite(init_scale):
        raise ValueError(f"init_scale must be a finite number (it multiplies the weights), got {init_scale!r}")
    return int(seed), float(init_scale)


def _real_array(value, name: str, what: str, copy: bool = False) -> np.ndarray:
    """``value`` as a float64 array, or a ValueError naming ``name`` (complex numbers are refused, not truncated)."""
    try:
        a = np.asarray(value)
        if np.iscomplexobj(a):
            raise ValueError(f"got complex values; pass real numbers (e.g. {name}.real)")
        return np.array(a, dtype=np.float64, copy=True) if copy else np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be {what}: {e}") from None


def _refuse_unknown(cell, unknown: dict) -> None:
    """TypeError for keyword arguments the cell does not take, listing the ones it does."""
    if not unknown:
        return
    names = []
    for cls in type(cell).__mro__:
        if "__init__" in vars(cls):
            for p in inspect.signature(vars(cls)["__init__"]).parameters.values():
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in names:
                    names.append(p.name)
        if cls is RecurrentCell:
            break
    name = type(cell).__name__
    raise TypeError(f"{name} got unexpected argument(s) {', '.join(map(repr, unknown))}; "
                    f"{name} takes {', '.join(names)}")


class RecurrentCell:
    """Base class: parameters, validation, the time loop and torch conversion.

    Subclasses set ``gate_names``, ``n_blocks`` and ``torch_name`` and write
    ``_step`` (one timestep) and ``jacobians`` (all per-step Jacobians).
    """

    kind = "cell"  # short name used in the UI and in messages
    gate_names: tuple[str, ...] = ()  # gates recorded in trace.gates, in order
    n_blocks = 1  # gate blocks stacked in weight_ih / weight_hh
    torch_name = ""  # the torch.nn class this cell matches, e.g. "GRU"
    has_cell_state = False  # True for the LSTM (state is [h, c])

    def __init__(self, input_size: int, hidden_size: int, *, bias: bool = True, seed: int = 0, init_scale: float = 1.0,
                 **unknown):
        """Draw the parameters (every subclass takes these arguments, after its own).

        Args:
            input_size: D, features per timestep, in [1, 512].
            hidden_size: H, number of units, in [1, 512].
            bias: False builds no biases (bias_ih = bias_hh = None), as torch's bias=False.
            seed: a whole number >= 0; the same seed gives the same weights.
            init_scale: multiplies the weights (not the biases) after drawing them.

        Every weight and bias is drawn from U(-1/sqrt(H), 1/sqrt(H)), torch's
        init, by np.random.default_rng(seed): the same distribution as torch,
        not the same numbers.
        """
        _refuse_unknown(self, unknown)
        self.input_size = limits.INPUT_SIZE.check(input_size)
        self.hidden_size = limits.HIDDEN_SIZE.check(hidden_size)
        self.seed, self.init_scale = _check_init(bias, seed, init_scale)
        # torch's init: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)); here from a
        # seeded NumPy generator (same distribution, not the same numbers).
        rng = np.random.default_rng(self.seed)
        k = 1.0 / np.sqrt(self.hidden_size)
        GH, D, H = self.n_blocks * self.hidden_size, self.input_size, self.hidden_size
        self.weight_ih = rng.uniform(-k, k, (GH, D)) * init_scale  # (G*H, D)
        self.weight_hh = rng.uniform(-k, k, (GH, H)) * init_scale  # (G*H, H)
        self.bias_ih = rng.uniform(-k, k, GH) if bias else None  # (G*H,)
        self.bias_hh = rng.uniform(-k, k, GH) if bias else None  # (G*H,)

    # -- sizes -------------------------------------------------------------
    @property
    def bias(self) -> bool:
        return self.bias_ih is not None

    @property
    def state_size(self) -> int:
        """S: the size of the recurrent state (2H for the LSTM's [h, c])."""
        return self.hidden_size * (2 if self.has_cell_state else 1)

    @property
    def n_params(self) -> int:
        """Number of trainable numbers, e.g. GRU: 3(HD + HH + 2H) with bias."""
        arrays = [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]
        return int(sum(a.size for a in arrays if a is not None))

    def block(self, name: str, which: str = "hh") -> np.ndarray:
        """The (H, D) or (H, H) slice of weight_ih/weight_hh for one gate, by name."""
        i = self.block_names.index(name)
        H = self.hidden_size
        return {"ih": self.weight_ih, "hh": self.weight_hh}[which][i * H : (i + 1) * H]

    @property
    def block_names(self) -> tuple[str, ...]:
        return self.gate_names

    def copy(self):
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        """e.g. GRU(input_size=1, hidden_size=8, variant='cho2014', bias=True): options shown where not the default."""
        options = [f"{k}={v!r}" for k, default in _REPR_DEFAULTS.items() if (v := getattr(self, k, default)) != default]
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                + "".join(o + ", " for o in options) + f"bias={self.bias})")

    # -- running -----------------------------------------------------------
    def run(self, x, h0=None, *, c0=None, clamp: dict | None = None) -> Trace:
        """Run the cell over one sequence and record everything.

        Args:
            x: (T, D) inputs.
            h0: (H,) initial hidden state, or None for zeros.
            c0: (H,) initial cell state (LSTM only), or None for zeros.
            clamp: gate surgery, ``{gate_name: values}`` with values an (H,)
                array (NaN = leave that unit free) or a single number for
                every unit. A clamped gate is held at that value and passes no
                gradient.
        Returns:
            Trace with h: (T, H) and gates[name]: (T, H).
        """
        self._check_params()
        x = self._check_x(x)
        h = self._check_state(h0, "h0")
        c = self._check_state(c0, "c0") if self.has_cell_state else None
        if c0 is not None and not self.has_cell_state:
            raise ValueError(f"{self.kind} has no cell state; c0 is only for the LSTM")
        clamp = self._check_clamp(clamp)
        T, H = x.shape[0], self.hidden_size
        # trace.T is h's length; h's (T, H) array comes from the loop below. (Allocating one here that the fast
        # loop replaces left malloc handing out fresh pages: 1,300 page faults a run at T = 1000, H = 128, about
        # 4 of 13 ms in a standalone timing, measured with getrusage.)
        trace = Trace(x=x, h0=h.copy(), h=np.empty((T, 0)), clamp=clamp)
        if self.has_cell_state:
            trace.c0 = c.copy()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), _blas.single_thread():
            fast = self._fast_loop(clamp) if T > FAST_LOOP_MIN_T else None
            if fast is not None:  # the same equations with preallocated buffers: less Python per step
                fast(h, c, trace)  # sets trace.h, trace.gates (and trace.c) to the arrays it wrote
                return trace
            trace.h = np.empty((T, H))
            trace.gates = {g: np.empty((T, H)) for g in self.gate_names}
            if self.has_cell_state:
                trace.c = np.empty((T, H))
            xp = self._input_projection(x)  # (T, G*H) input part of every pre-activation
            for t in range(T):
                h, c = self._step(xp[t], h, c, clamp, trace, t)
                trace.h[t] = h
                if c is not None:
                    trace.c[t] = c
        return trace

    def one_step(self, x_t, h) -> np.ndarray:
        """The next state from each of N states under the same input: x_t (D,), h (N, H) -> (N, H).

        One step of the map h_{t-1} -> h_t (what gru_viz.dynamics draws), for many
        states in one call rather than N runs: the plain RNN's and the GRU's ``_step``
        take a batch of states as they are; other cells run once per state. No gate
        surgery, nothing recorded; a cell with a cell state (LSTM) starts from c = 0.
        """
        self._check_params()
        x = self._check_x(np.asarray(x_t, dtype=np.float64).reshape(1, -1))  # (1, D)
        h = np.atleast_2d(np.asarray(h, dtype=np.float64))
        if h.ndim != 2 or h.shape[1] != self.hidden_size:
            raise ValueError(f"h must be (N, {self.hidden_size}) states; got shape {h.shape}")
        if not np.isfinite(h).all():
            raise ValueError("h contains NaN or infinite values; pass finite states")
        if self._equations_class() not in (VanillaRNN, GRU):
            return np.stack([self.run(x, h_i).h[0] for h_i in h]) if len(h) else np.empty((0, self.hidden_size))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), _blas.single_thread():
            h_next, _ = self._step(self._input_projection(x)[0], h, None, {}, None, 0)
        return h_next

    @property
    def has_tuned_loop(self) -> bool:
        """True when ``run`` (without gate surgery) takes the class's rewritten loop (``_run_fast``) rather than
        the step-by-step equations: the same numbers, fewer NumPy calls per step."""
        return self._fast_loop(None) is not None

    def _fast_loop(self, clamp):
        """The class's ``_run_fast(h0, c0, trace)`` if it may replace the ``_step`` loop, else None.

        It may when nothing is clamped and neither ``_step`` nor ``_recurrent`` is
        overridden below the class that wrote ``_run_fast`` (a subclass that changes
        the equations gets the plain loop).
        """
        owner = None if clamp else self._equations_class()
        return vars(owner)["_run_fast"].__get__(self) if owner and "_run_fast" in vars(owner) else None

    def _equations_class(self):
        """The class whose ``_step`` this cell runs, or None when ``_recurrent`` is overridden below
        RecurrentCell (then no rewritten form of that class's ``_step`` applies)."""
        if type(self)._recurrent is not RecurrentCell._recurrent:
            return None
        return next(cls for cls in type(self).__mro__ if "_step" in vars(cls))

    def _input_projection(self, x: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """W_ih x_t + b_ih for every step and the given block rows: (T, D) -> (T, len(rows))."""
        xp = x @ self.weight_ih[rows].T  # (T, D) @ (D, R) -> (T, R)
        if self.bias:
            xp += self.bias_ih[rows]
        return xp

    def _recurrent(self, h: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """W_hh h + b_hh for the given block rows: (H,) -> (R,), or a batch of states (N, H) -> (N, R)."""
        out = h @ self.weight_hh[rows].T
        return out + self.bias_hh[rows] if self.bias else out

    # -- buffers of the fast loops ---------------------------------------------
    # Each NumPy call costs about a microsecond, so the fast loops let one
    # vector-matrix product do as much as it can: the state buffer holds
    # [h_{t-1}, x_t, 1] and the step matrix Q = [W_hh | W_ih | b_hh + b_ih]^T, so
    #     [h, x, 1] @ Q = W_hh h + W_ih x + b
    # is the whole pre-activation. The input rides along only when it is small
    # (D <= H/4: it adds at most a quarter to the product); a wide input such as
    # a one-hot character is projected for all timesteps at once instead (xp)
    # and the matrix is [W_hh | b_hh]^T. Q is stored transposed, (H+D+1, R)
    # rather than (R, H+D+1): BLAS's product v @ Q (it walks Q's rows) is
    # 7-12 % faster here than P @ v (dot products with P's rows) at every H
    # from 16 to 256 (bench/README.md).
    def _folds_input(self) -> bool:
        return self.input_size <= self.hidden_size // 4

    def _step_matrix(self, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """(H+D+1, R) [W_hh | W_ih | b_hh + b_ih]^T, or (H+1, R) [W_hh | b_hh]^T when the input does not fold.

        A new C-contiguous array: ``v @ Q`` with v = [h, x, 1] (or [h, 1]) is the pre-activation of the rows
        (a slice of the G*H rows, or an index array that also reorders them).
        """
        W_hh, H, fold = self.weight_hh[rows], self.hidden_size, self._folds_input()
        Q = np.zeros((H + (self.input_size if fold else 0) + 1, W_hh.shape[0]))
        Q[:H] = W_hh.T
        if fold:
            Q[H:-1] = self.weight_ih[rows].T
        if self.bias:
            Q[-1] = self.bias_hh[rows] + self.bias_ih[rows] if fold else self.bias_hh[rows]
        return Q

    def _state_rows(self, x: np.ndarray, h0: np.ndarray) -> np.ndarray:
        """(T+1, H+D+1) or (T+1, H+1) rows [h_{t-1}, x_t, 1]: row 0 holds h0, the loop writes h_t into row t+1."""
        H = self.hidden_size
        V = np.zeros((x.shape[0] + 1, H + (x.shape[1] if self._folds_input() else 0) + 1))
        V[:, -1] = 1.0
        V[0, :H] = h0
        if self._folds_input():
            V[:-1, H:-1] = x
        return V

    # -- validation ----------------------------------------------------------
    def _param_shapes(self) -> dict[str, tuple[int, ...] | None]:
        """The shape each parameter must have; None: must be None (biases: both None when bias=False)."""
        GH, D, H = self.n_blocks * self.hidden_size, self.input_size, self.hidden_size
        bias = (GH,) if self.bias_ih is not None or self.bias_hh is not None else None
        return {"weight_ih": (GH, D), "weight_hh": (GH, H), "bias_ih": bias, "bias_hh": bias}

    def _check_params(self) -> None:
        """ValueError naming a parameter assigned by hand with the wrong shape or type (once per run, not per step)."""
        for name, shape in self._param_shapes().items():
            w = getattr(self, name)
            if shape is None:
                if w is not None:
                    raise ValueError(f"{type(self).__name__}.{name} must be None: this cell has no such parameters")
            elif not (isinstance(w, np.ndarray) and w.dtype.kind in "fiu" and w.shape == shape):
                got = f"shape {w.shape} dtype {w.dtype}" if isinstance(w, np.ndarray) else type(w).__name__
                hint = " (for no biases set both bias_ih and bias_hh to None)" if w is None and name.startswith("bias") else ""
                raise ValueError(f"{type(self).__name__}.{name} must be a float array of shape {shape}, got {got}{hint}")

    def _check_x(self, x) -> np.ndarray:
        """x as a new (T, D) float64 array (a copy: the trace keeps it, whatever the caller does to x later)."""
        if isinstance(x, Trace):
            raise ValueError("x must be a (T, D) array of numbers, got a Trace: pass trace.x, "
                             "or use gradients.decay_from_trace(model, trace)")
        x = _real_array(x, "x", "a (T, D) array of numbers", copy=True)
        if x.ndim != 2:
            raise ValueError(f"x must have shape (T, D) = (timesteps, {self.input_size}); got shape {x.shape}")
        if x.shape[1] != self.input_size:
            raise ValueError(f"x has {x.shape[1]} features per timestep but the model's input_size is {self.input_size}")
        limits.SEQ_LEN.check(x.shape[0])
        if not np.isfinite(x).all():
            raise ValueError("x contains NaN or infinity; inputs must be finite numbers")
        return x

    def _check_state(self, s, name: str) -> np.ndarray:
        if s is None:
            return np.zeros(self.hidden_size)
        s = _real_array(s, name, f"a ({self.hidden_size},) array of numbers, or None for zeros")
        if s.shape != (self.hidden_size,):
            raise ValueError(f"{name} must have shape ({self.hidden_size},), got {s.shape}")
        if not np.isfinite(s).all():
            raise ValueError(f"{name} contains NaN or infinity")
        return s

    def _clamp_range(self, gate: str) -> tuple[float, float]:
        """(lo, hi) the values gate surgery may hold ``gate`` at: [-1, 1] for a tanh output, else [0, 1]."""
        return (-1.0, 1.0) if gate in ("candidate", "cell") else (0.0, 1.0)

    def _check_clamp(self, clamp) -> dict[str, np.ndarray]:
        if clamp is not None and not isinstance(clamp, Mapping):
            raise ValueError(f"clamp must be a dict {{gate: value}} (e.g. {{'update': 1.0}}) with {self.kind} gates "
                             f"{list(self.gate_names)}, got {type(clamp).__name__} {clamp!r}")
        out = {}
        for name, values in (clamp or {}).items():
            if name not in self.gate_names:
                raise ValueError(f"cannot clamp {name!r}: {self.kind} gates are {list(self.gate_names)}")
            lo, hi = self._clamp_range(name)
            span = f"[{lo:g}, {hi:g}]" if np.isfinite(lo) else "finite numbers"
            try:
                v = _real_array(values, name, "")
            except ValueError:
                raise ValueError(f"clamp values for {name!r} must be numbers in {span} (NaN = free), got {values!r}") from None
            if v.shape not in ((), (1,), (self.hidden_size,)):
                raise ValueError(f"clamp values for {name!r} must be one number or {self.hidden_size} numbers "
                                 f"(one per unit), got shape {v.shape}")
            v = np.broadcast_to(v, (self.hidden_size,)).copy()  # (H,)
            free = np.isnan(v)
            if not np.isfinite(v[~free]).all():
                raise ValueError(f"clamp values for {name!r} must be finite (NaN marks free units)")
            if not ((v[~free] >= lo) & (v[~free] <= hi)).all():
                raise ValueError(f"clamp values for gate {name!r} must be in {span} (or NaN for free units)")
            out[name] = v
        return out

    @staticmethod
    def _apply_clamp(clamp: dict, name: str, value: np.ndarray) -> np.ndarray:
        if name not in clamp:
            return value
        v = clamp[name]
        return np.where(np.isnan(v), value, v)

    @staticmethod
    def _free(trace: Trace, name: str) -> np.ndarray:
        """(H,) 1.0 where the gate is free, 0.0 where clamped (no gradient)."""
        v = trace.clamp.get(name)
        return np.ones(trace.hidden_size) if v is None else np.isnan(v).astype(float)

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, S, S): J[t-1] = d state_t / d state_{t-1}, in closed form."""
        raise NotImplementedError

    # -- torch ---------------------------------------------------------------
    @classmethod
    def from_torch(cls, module, **kwargs):
        """A new cell holding the weights of a torch.nn module, e.g. ``gv.GRU.from_torch(nn.GRU(1, 8))``.

        Accepts, with one layer, one direction and no proj_size:
            VanillaRNN.from_torch: nn.RNN or nn.RNNCell (its nonlinearity is kept)
            GRU.from_torch:        nn.GRU or nn.GRUCell
            LSTM.from_torch:       nn.LSTM or nn.LSTMCell
        A module with bias=False gives a cell without biases; float32 (or any
        float) weights are copied and converted to float64. Extra keyword
        arguments (e.g. ``variant``) are passed to the constructor.
        """
        from gru_viz import torch_bridge

        return torch_bridge.from_torch(cls, module, **kwargs)

    def to_torch(self, cell: bool = False):
        """The equivalent torch.nn module in float64: nn.RNN, nn.GRU or nn.LSTM (nn.RNNCell, nn.GRUCell or
        nn.LSTMCell if cell=True), with this cell's weights. Only for torch's own equations (a GRU with
        variant="torch" and sigmoid gates, an LSTM with sigmoid gates, any VanillaRNN)."""
        self._check_params()
        from gru_viz import torch_bridge

        return torch_bridge.to_torch(self, cell=cell)

    def _torch_equivalent(self) -> bool:
        return True


def _dact(trace: Trace, gate: str, dfun) -> np.ndarray:
    """(T, H) derivative of a gate w.r.t. its pre-activation, 0 where clamped."""
    return dfun(trace.gates[gate]) * RecurrentCell._free(trace, gate)


def _row_scaled(coefs: list[np.ndarray], blocks: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """(T, H, H) sum_i diag(coefs[i][t]) blocks[i], for coefs (T, H) and blocks (H, H).

    A Jacobian of a gated cell is a sum of such row-scaled weight blocks. Row r
    of every J[t] is the same small product, (T, K) coefficients @ (K, H) block
    rows, so one batched matmul over r builds J, written straight into a
    (T, H, H) array (several times faster than a broadcast multiply-add per
    term, measured at T=64, H=64 and T=16, H=128): a new one, or ``out`` (e.g.
    the rows of a larger Jacobian that this block fills).
    """
    T, H = coefs[0].shape
    C = np.stack(coefs, axis=-1).transpose(1, 0, 2)  # (H, T, K): row r's coefficients at every step
    W = np.stack(blocks, axis=1)  # (H, K, H): row r of every block
    out = np.empty((T, H, H)) if out is None else out
    np.matmul(C, W, out=out.transpose(1, 0, 2))  # out[t, r] = C[r, t] @ W[r]
    return out


# ----------------------------------------------------------------------------
# the cells


class VanillaRNN(RecurrentCell):
    r"""The simple (Elman) RNN, as torch.nn.RNN.

    Equation, for each timestep t = 1..T:

        h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

    phi is tanh (default) or relu. No gates: trace.gates is empty.

    Jacobian: d h_t / d h_{t-1} = diag(phi'(a_t)) W_hh, with
    tanh' = 1 - h_t^2 and relu' = [h_t > 0].

    Args:
        input_size: D, features per timestep, in [1, 512].
        hidden_size: H, number of units, in [1, 512].
        nonlinearity: phi, "tanh" (default) or "relu".
        bias: True (default) gives b_ih and b_hh; False gives none (both None).
        seed: a whole number >= 0 (default 0): the same seed, the same weights.
        init_scale: multiplies the initial weights, not the biases (default 1.0).

    Init: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), torch's distribution,
    drawn by np.random.default_rng(seed) (not torch's numbers); then the weights
    (not the biases) are multiplied by init_scale.
    """

    kind = "RNN"
    gate_names = ()
    n_blocks = 1
    torch_name = "RNN"

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, **kwargs)

    @property
    def block_names(self):
        return ("h",)

    def _step(self, xp_t, h, c, clamp, trace, t):
        a_t = xp_t + self._recurrent(h)  # (H,)
        h_t = np.tanh(a_t) if self.nonlinearity == "tanh" else np.maximum(a_t, 0.0)
        return h_t, None

    def _run_fast(self, h, c, trace):
        """The loop of ``_step`` with preallocated buffers: h_t = phi([h_{t-1}, x_t, 1] @ Q), see ``_step_matrix``."""
        H, fold, tanh = self.hidden_size, self._folds_input(), self.nonlinearity == "tanh"
        Q, V = self._step_matrix(), self._state_rows(trace.x, h)  # (H+D+1, H), (T+1, H+D+1)
        xp = itertools.repeat(None, trace.T) if fold else self._input_projection(trace.x)  # (T, H) unless folded
        zeros = np.zeros(H)  # (comparing with an array is faster than with the number 0.0)
        for v, h_t, x_t in zip(V[:-1], V[1:, :H], xp, strict=True):  # h_t: a row view, written in place
            np.dot(v, Q, h_t)
            if not fold:
                np.add(h_t, x_t, h_t)  # a_t
            if tanh:
                np.tanh(h_t, h_t)
            else:
                np.maximum(h_t, zeros, out=h_t)
        trace.h = V[1:, :H]  # (T, H) a column block of V: the loop wrote it in place

    def jacobians(self, trace: Trace) -> np.ndarray:
        if self.nonlinearity == "tanh":
            dphi = 1.0 - trace.h**2  # (T, H)
        else:
            dphi = np.where(np.isnan(trace.h), np.nan, trace.h > 0)  # (T, H); NaN stays NaN (an exploded run)
        return dphi[:, :, None] * self.weight_hh[None]  # (T, H, H)


class GRU(RecurrentCell):
    r"""Gated recurrent unit (Cho et al. 2014), by default exactly torch.nn.GRU.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        r_t = s(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)       reset gate
        z_t = s(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)       update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Convention: **z = 1 keeps the old state**, z = 0 replaces it with the
    candidate (torch's convention; Cho et al. write the same rule).

    variant="cho2014" applies the reset gate *before* the recurrent matrix,
    as in the paper, instead of after it as torch (and cuDNN) do:

        n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)

    gate_activation="hard_sigmoid" uses torch.nn.Hardsigmoid for r and z.

    Weights: weight_ih = (W_ir | W_iz | W_in), shape (3H, D);
    weight_hh = (W_hr | W_hz | W_hn), shape (3H, H).

    Trace gates: "reset" r_t, "update" z_t, "candidate" n_t, each (T, H).

    Args:
        input_size: D, features per timestep, in [1, 512].
        hidden_size: H, number of units, in [1, 512].
        variant: "torch" (default) or "cho2014" (see above).
        gate_activation: s, "sigmoid" (default) or "hard_sigmoid".
        bias: True (default) gives b_ih and b_hh; False gives none (both None).
        seed: a whole number >= 0 (default 0): the same seed, the same weights.
        init_scale: multiplies the initial weights, not the biases (default 1.0).

    Init: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), torch's distribution,
    drawn by np.random.default_rng(seed) (not torch's numbers); then the weights
    (not the biases) are multiplied by init_scale.
    """

    kind = "GRU"
    gate_names = ("reset", "update", "candidate")
    n_blocks = 3
    torch_name = "GRU"
    VARIANTS = ("torch", "cho2014")

    def __init__(self, input_size: int, hidden_size: int, variant: str = "torch", gate_activation: str = "sigmoid", **kwargs):
        if variant not in self.VARIANTS:
            raise ValueError(f"unknown GRU variant {variant!r}; choose one of {list(self.VARIANTS)}")
        if gate_activation not in GATE_ACTIVATIONS:
            raise ValueError(f"unknown gate_activation {gate_activation!r}; choose one of {list(GATE_ACTIVATIONS)}")
        self.variant = variant
        self.gate_activation = gate_activation
        super().__init__(input_size, hidden_size, **kwargs)

    def _torch_equivalent(self) -> bool:
        return self.variant == "torch" and self.gate_activation == "sigmoid"

    def _step(self, xp_t, h, c, clamp, trace, t):
        # h: (H,), or a batch of states (N, H) with trace None (one_step): nothing recorded
        H = self.hidden_size
        act = GATE_ACTIVATIONS[self.gate_activation][0]
        rz = act(xp_t[: 2 * H] + self._recurrent(h, slice(0, 2 * H)))  # (2H,) or (N, 2H)
        r_t = self._apply_clamp(clamp, "reset", rz[..., :H])
        z_t = self._apply_clamp(clamp, "update", rz[..., H:])
        if self.variant == "torch":
            hn = self._recurrent(h, slice(2 * H, 3 * H))  # (H,) W_hn h + b_hn
            if trace is not None:
                if t == 0:
                    trace.cache["hn"] = np.empty((trace.T, H))  # (T, H) kept for the Jacobian
                trace.cache["hn"][t] = hn
            n_t = np.tanh(xp_t[2 * H :] + r_t * hn)
        else:  # cho2014
            n_t = np.tanh(xp_t[2 * H :] + self._recurrent(r_t * h, slice(2 * H, 3 * H)))
        n_t = self._apply_clamp(clamp, "candidate", n_t)
        h_t = (1.0 - z_t) * n_t + z_t * h
        if trace is not None:
            trace.gates["reset"][t], trace.gates["update"][t], trace.gates["candidate"][t] = r_t, z_t, n_t
        return h_t, None

    def _run_fast(self, h, c, trace):
        """The loop of ``_step`` with preallocated buffers and few NumPy calls per step.

        The same equations, rewritten to save calls (each costs about a microsecond):
        - one product [h, x, 1] @ Q gives [W_hr h + W_ir x + b_r | W_hz h + W_iz x + b_z |
          W_hn h + b_hn] (see ``_step_matrix``; the n block takes no input: r multiplies it);
        - with the sigmoid, the loop holds d = 1 + e^(-a) = 1 / r (or 1 / z) and
          divides by d where the equations multiply by the gate; the gates
          themselves, 1 / d, are taken for all timesteps at once after the loop
          (-a comes from one exp because the r and z columns of Q are negated);
        - h_t = n_t + z_t * (h_{t-1} - n_t), as torch computes it.
        The loop writes straight into the arrays the trace keeps (r, z and W_hn h + b_hn
        are column blocks of one array A, h is a column block of V): touching fresh
        memory only once matters as much as the arithmetic at T = 1000.
        """
        T, H, x = trace.T, self.hidden_size, trace.x
        sigmoid, torch_form, fold = self.gate_activation == "sigmoid", self.variant == "torch", self._folds_input()
        Q = self._step_matrix(slice(None) if torch_form else slice(0, 2 * H))  # (H+D+1 or H+1, 3H or 2H)
        N = self._input_projection(x, slice(2 * H, 3 * H))  # (T, H) W_in x_t + b_in: n_t's input part
        x_rz = None if fold else self._input_projection(x, slice(0, 2 * H))  # (T, 2H) unless folded
        if torch_form and fold:  # the n block: W_hn h + b_hn only
            Q[H:-1, 2 * H :] = 0.0
            Q[-1, 2 * H :] = self.bias_hh[2 * H :] if self.bias else 0.0
        if not torch_form:  # cho2014: W_hn (r_t * h) + b_hn, the bias outside the reset
            W_hn_T, rh = np.ascontiguousarray(self.weight_hh[2 * H :].T), np.empty(H)  # (H, H) W_hn^T, (H,)
            if self.bias:
                N += self.bias_hh[2 * H :]
        if sigmoid:
            Q[:, : 2 * H] *= -1.0
            if x_rz is not None:
                x_rz *= -1.0
        A = np.empty((T, 3 * H if torch_form else 2 * H))  # row t: [1/r_t | 1/z_t | W_hn h + b_hn] (r, z: gates as held)
        V = self._state_rows(x, h)  # (T+1, H+D+1) rows [h_{t-1}, x_t, 1]
        tmp, ones = np.empty(H), np.ones(2 * H)  # (adding an array is faster than adding the number 1.0)
        dot, exp, tanh, add, subtract = np.dot, np.exp, np.tanh, np.add, np.subtract
        times_gate = np.divide if sigmoid else np.multiply  # times the gate, held as 1/gate or as gate
        # row views, made in C (each view costs ~0.1 us: x_rz's rows only when they exist; h_{t-1} is the last h_t)
        rows = zip(A, A[:, : 2 * H], A[:, :H], A[:, H : 2 * H], A[:, 2 * H :], itertools.repeat(None, T) if fold else x_rz,
                   N, V[:-1], V[1:, :H], strict=True)
        h = V[0, :H]
        for a, rz, r_t, z_t, hn, x_rz_t, n_t, v, h_t in rows:
            dot(v, Q, a if torch_form else rz)
            if not fold:
                add(rz, x_rz_t, rz)
            if sigmoid:
                exp(rz, rz)
                add(rz, ones, rz)  # 1 + e^(-a) = 1 / s(a)
            else:
                _activate_(self.gate_activation, rz)
            if torch_form:
                times_gate(hn, r_t, tmp)  # r_t * (W_hn h + b_hn)
            else:
                times_gate(h, r_t, rh)
                dot(rh, W_hn_T, tmp)  # W_hn (r_t * h)
            n_t += tmp
            tanh(n_t, n_t)  # n_t
            subtract(h, n_t, h_t)
            times_gate(h_t, z_t, h_t)
            h_t += n_t  # h_t = n_t + z_t (h_{t-1} - n_t)
            h = h_t
        if sigmoid:
            np.reciprocal(A[:, : 2 * H], out=A[:, : 2 * H])  # (T, 2H) the gates r_t, z_t
        trace.gates = {"reset": A[:, :H], "update": A[:, H : 2 * H], "candidate": N}
        trace.h = V[1:, :H]
        if torch_form:
            trace.cache["hn"] = A[:, 2 * H :]

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, H, H) d h_t / d h_{t-1}:

        diag(z_t) + diag(h_{t-1} - n_t) dz/dh + diag(1 - z_t) dn/dh, where
        dz/dh = diag(s'(z)) W_hz, dr/dh = diag(s'(r)) W_hr and
        torch:   dn/dh = diag(1 - n^2) (diag(W_hn h + b_hn) dr/dh + diag(r) W_hn)
        cho2014: dn/dh = diag(1 - n^2) W_hn (diag(r) + diag(h_{t-1}) dr/dh)
        """
        ds = GATE_ACTIVATIONS[self.gate_activation][1]
        r, z, n = trace.gates["reset"], trace.gates["update"], trace.gates["candidate"]  # (T, H)
        h_prev = trace.h_prev  # (T, H)
        W_hr, W_hz, W_hn = self.block("reset"), self.block("update"), self.block("candidate")  # (H, H)
        dr, dz = _dact(trace, "reset", ds), _dact(trace, "update", ds)  # (T, H) s'(r), s'(z); 0 where clamped
        dn = (1.0 - n**2) * self._free(trace, "candidate")  # (T, H) tanh'
        keep = (1.0 - z) * dn  # (T, H) d h_t / d (candidate pre-activation)
        # every term is a row-scaled weight block, so J is built in a few passes:
        if self.variant == "torch":  # dn/dh = diag(dn) (diag(W_hn h + b_hn) dr/dh + diag(r) W_hn)
            J = _row_scaled([keep * trace.cache["hn"] * dr, (h_prev - n) * dz, keep * r], [W_hr, W_hz, W_hn])
        else:  # cho2014: dn/dh = diag(dn) W_hn (diag(r) + diag(h_prev) dr/dh)
            J = _row_scaled([(h_prev - n) * dz], [W_hz])  # (T, H, H)
            inner = (W_hn[None] * (h_prev * dr)[:, None, :]) @ W_hr  # (T, H, H) W_hn diag(h_prev dr) W_hr
            inner += W_hn[None] * r[:, None, :]  # + W_hn diag(r)
            inner *= keep[:, :, None]
            J += inner
        idx = np.arange(self.hidden_size)
        J[:, idx, idx] += z  # + diag(z): the path that keeps the old state
        return J


class LSTM(RecurrentCell):
    r"""Long short-term memory with a forget gate, exactly torch.nn.LSTM.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        i_t = s(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)       input gate
        f_t = s(W_if x_t + b_if + W_hf h_{t-1} + b_hf)       forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)    cell candidate
        o_t = s(W_io x_t + b_io + W_ho h_{t-1} + b_ho)       output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    The recurrent state is [h, c] (S = 2H). Weights: weight_ih = (W_ii | W_if |
    W_ig | W_io), shape (4H, D); weight_hh likewise, shape (4H, H).

    Trace gates: "input", "forget", "cell" (g_t), "output", each (T, H);
    trace.c holds c_t.

    Args:
        input_size: D, features per timestep, in [1, 512].
        hidden_size: H, number of units, in [1, 512].
        gate_activation: s, "sigmoid" (default) or "hard_sigmoid".
        bias: True (default) gives b_ih and b_hh; False gives none (both None).
        seed: a whole number >= 0 (default 0): the same seed, the same weights.
        init_scale: multiplies the initial weights, not the biases (default 1.0).

    Init: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), torch's distribution,
    drawn by np.random.default_rng(seed) (not torch's numbers); then the weights
    (not the biases) are multiplied by init_scale.
    """

    kind = "LSTM"
    gate_names = ("input", "forget", "cell", "output")
    n_blocks = 4
    torch_name = "LSTM"
    has_cell_state = True

    def __init__(self, input_size: int, hidden_size: int, gate_activation: str = "sigmoid", **kwargs):
        if gate_activation not in GATE_ACTIVATIONS:
            raise ValueError(f"unknown gate_activation {gate_activation!r}; choose one of {list(GATE_ACTIVATIONS)}")
        self.gate_activation = gate_activation
        super().__init__(input_size, hidden_size, **kwargs)

    def _torch_equivalent(self) -> bool:
        return self.gate_activation == "sigmoid"

    def _step(self, xp_t, h, c, clamp, trace, t):
        H = self.hidden_size
        act = GATE_ACTIVATIONS[self.gate_activation][0]
        a = xp_t + self._recurrent(h)  # (4H,)
        i_t = self._apply_clamp(clamp, "input", act(a[:H]))
        f_t = self._apply_clamp(clamp, "forget", act(a[H : 2 * H]))
        g_t = self._apply_clamp(clamp, "cell", np.tanh(a[2 * H : 3 * H]))
        o_t = self._apply_clamp(clamp, "output", act(a[3 * H :]))
        c_t = f_t * c + i_t * g_t
        h_t = o_t * np.tanh(c_t)
        for name, v in zip(self.gate_names, (i_t, f_t, g_t, o_t), strict=True):
            trace.gates[name][t] = v
        return h_t, c_t

    def _run_fast(self, h, c, trace):
        """The loop of ``_step`` with preallocated buffers and few NumPy calls per step.

        As in ``GRU._run_fast``: one product [h, x, 1] @ Q per step, and with the
        sigmoid the loop holds d = 1 + e^(-a) = 1 / gate and divides by it. The
        blocks are reordered to (i | f | o | g) so the three sigmoid gates are
        side by side and take one exp.
        """
        T, H = trace.T, self.hidden_size
        sigmoid, fold = self.gate_activation == "sigmoid", self._folds_input()
        order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]  # torch's (i | f | g | o) -> (i | f | o | g)
        Q = self._step_matrix(order)  # (H+D+1, 4H) its columns in the new order
        xp = None if fold else self._input_projection(trace.x)[:, order]  # (T, 4H) unless folded
        if sigmoid:
            Q[:, : 3 * H] *= -1.0
            if xp is not None:
                xp[:, : 3 * H] *= -1.0
        A = np.empty((T, 4 * H))  # row t: [1/i_t | 1/f_t | 1/o_t | g_t] (i, f, o without the sigmoid)
        V = self._state_rows(trace.x, h)  # (T+1, H+D+1) rows [h_{t-1}, x_t, 1]
        C = np.empty((T + 1, H))  # (T+1, H) c_0 .. c_T
        C[0], tmp, ones = c, np.empty(H), np.ones(3 * H)  # (adding an array is faster than adding the number 1.0)
        dot, exp, tanh, add = np.dot, np.exp, np.tanh, np.add
        times_gate = np.divide if sigmoid else np.multiply  # times the gate, held as 1/gate or as gate
        # row views, made in C (xp's rows only when they exist; c_{t-1} is the last c_t: see GRU._run_fast)
        rows = zip(A, A[:, : 3 * H], A[:, :H], A[:, H : 2 * H], A[:, 2 * H : 3 * H], A[:, 3 * H :],
                   itertools.repeat(None, T) if fold else xp, V[:-1], V[1:, :H], C[1:], strict=True)
        c = C[0]
        for a, ifo, i_t, f_t, o_t, g_t, x_t, v, h_t, c_t in rows:
            dot(v, Q, a)
            if not fold:
                add(a, x_t, a)
            tanh(g_t, g_t)  # g_t
            if sigmoid:
                exp(ifo, ifo)
                add(ifo, ones, ifo)  # 1 + e^(-a) = 1 / s(a)
            else:
                _activate_(self.gate_activation, ifo)
            times_gate(c, f_t, c_t)  # f_t * c_{t-1}
            times_gate(g_t, i_t, tmp)  # i_t * g_t
            add(c_t, tmp, c_t)
            tanh(c_t, h_t)
            times_gate(h_t, o_t, h_t)  # h_t = o_t * tanh(c_t)
            c = c_t
        if sigmoid:
            np.reciprocal(A[:, : 3 * H], out=A[:, : 3 * H])  # (T, 3H) the gates i_t, f_t, o_t
        # the trace keeps column blocks of the arrays the loop wrote (no copies: see GRU._run_fast)
        trace.gates = {"input": A[:, :H], "forget": A[:, H : 2 * H], "cell": A[:, 3 * H :], "output": A[:, 2 * H : 3 * H]}
        trace.h, trace.c = V[1:, :H], C[1:]

    # d [h_t, c_t] / d c_{t-1} is two diagonal blocks (below): gradients.py multiplies by it at half the cost
    jacobian_half_diagonal = True

    def jacobian_parts(self, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """The Jacobians d [h_t, c_t] / d [h_{t-1}, c_{t-1}] in the two parts that are not zero:

            left: (T, 2H, H)  d [h_t, c_t] / d h_{t-1}, dense:
                dh/dh = diag(tanh c_t) do/dh + diag(o (1 - tanh^2 c_t)) dc/dh
                dc/dh = diag(c_{t-1}) df/dh + diag(g) di/dh + diag(i) dg/dh
            right: (T, 2, H)  the diagonals of d [h_t, c_t] / d c_{t-1} = [diag(right[:, 0]); diag(right[:, 1])]:
                dh/dc = diag(o (1 - tanh^2 c_t) f),  dc/dc = diag(f)

        (everything c_{t-1} touches goes through f_t, elementwise). ``jacobians`` assembles them.
        """
        ds = GATE_ACTIVATIONS[self.gate_activation][1]
        i, f, g, o = (trace.gates[k] for k in self.gate_names)  # (T, H) each
        c_prev, tc = trace.c_prev, np.tanh(trace.c)  # (T, H)
        di, df, do = (_dact(trace, k, ds) for k in ("input", "forget", "output"))  # (T, H) s'; 0 where clamped
        dg = _dact(trace, "cell", lambda s: 1.0 - s**2)  # (T, H) tanh'
        W_i, W_f, W_g, W_o = (self.block(k) for k in self.gate_names)  # (H, H)
        k = o * (1.0 - tc**2)  # (T, H) d h_t / d c_t
        T, H = i.shape
        left = np.empty((T, 2 * H, H))
        # dc/dh = diag(c_prev f') W_f + diag(g i') W_i + diag(i g') W_g
        _row_scaled([c_prev * df, g * di, i * dg], [W_f, W_i, W_g], out=left[:, H:])
        # dh/dh = diag(tanh(c) o') W_o + diag(k) dc/dh
        _row_scaled([tc * do, k * c_prev * df, k * g * di, k * i * dg], [W_o, W_f, W_i, W_g], out=left[:, :H])
        return left, np.stack([k * f, f], axis=1)

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, 2H, 2H) d [h_t, c_t] / d [h_{t-1}, c_{t-1}] = [left | diagonal blocks] (see ``jacobian_parts``)."""
        left, right = self.jacobian_parts(trace)  # (T, 2H, H), (T, 2, H)
        T, H = right.shape[0], right.shape[2]
        J = np.zeros((T, 2 * H, 2 * H))
        J[:, :, :H] = left
        idx = np.arange(H)
        J[:, idx, H + idx] = right[:, 0]  # dh/dc, diagonal
        J[:, H + idx, H + idx] = right[:, 1]  # dc/dc, diagonal
        return J
