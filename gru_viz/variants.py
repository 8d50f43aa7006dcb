"""Simplified and modified gated cells: how the GRU and LSTM were slimmed down.

After the GRU, researchers asked which parts of the gating are really needed.
Each cell here answers with a smaller unit; all follow the pattern of
:mod:`gru_viz.cells` (a ``_step`` that follows the equations line by line, a
vectorised closed-form ``jacobians`` next to it, every gate recorded in the
Trace) so they plug into :mod:`gru_viz.gradients` unchanged.

    MGU          one forget gate plays both reset and update (Zhou et al. 2016)
    DeySalemGRU  GRU1/2/3: gates from h and bias / h only / bias only (Dey & Salem 2017)
    MinGRU       gates and candidate from the input only: a parallel scan (Feng et al. 2024)
    CIFG         LSTM whose input gate is 1 - forget gate (Greff et al. 2015)

Parameters are float64 arrays in torch's layout (``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``), holding only the blocks a cell actually has; the
block order of each array is listed in the class attributes ``ih_blocks``,
``hh_blocks``, ``bias_ih_blocks`` and ``bias_hh_blocks`` (an array with no
block is None). Letters: T timesteps, D input size, H hidden size, S state size.

Convention: as everywhere in gru-viz, a GRU-family **update gate z = 1 keeps
the old state**. Dey & Salem and Feng et al. write the update rule with z and
1 - z swapped; their z is our 1 - z (the same family: negate the gate's
weights and bias). The MGU keeps its paper's *forget* gate, where f = 1
replaces the state (forgets), unlike the LSTM's forget gate where f = 1 keeps.

References:
    Zhou, Wu, Zhang, Zhou 2016, "Minimal gated unit for recurrent neural networks".
    Dey & Salem 2017, "Gate-variants of gated recurrent unit (GRU) neural networks".
    Feng, Tung, Ahmed, Bengio, Hajimirsadeghi 2024, "Were RNNs all we needed?".
    Greff, Srivastava, Koutnik, Steunebrink, Schmidhuber 2015, "LSTM: a search space odyssey".
"""

from __future__ import annotations

import numpy as np

from gru_viz import limits
from gru_viz.cells import GATE_ACTIVATIONS, RecurrentCell, _check_init, _dact, _refuse_unknown
from gru_viz.trace import Trace


class VariantCell(RecurrentCell):
    """Base for cells whose blocks do not all read both x and h.

    Subclasses list which blocks live in each parameter array; missing blocks
    contribute zero. ``block(name, which)`` returns the (H, D) or (H, H) slice,
    or zeros when the cell has no such weights.
    """

    ih_blocks: tuple[str, ...] = ()  # row blocks of weight_ih (H rows each)
    hh_blocks: tuple[str, ...] = ()  # row blocks of weight_hh
    bias_ih_blocks: tuple[str, ...] = ()  # blocks of bias_ih
    bias_hh_blocks: tuple[str, ...] = ()  # blocks of bias_hh
    elementwise_ops = 0  # element-wise operations per unit and step (for flop counts)

    def __init__(self, input_size: int, hidden_size: int, *, gate_activation: str = "sigmoid", bias: bool = True,
                 seed: int = 0, init_scale: float = 1.0, **unknown):
        """As ``RecurrentCell``: weights and biases ~ U(-1/sqrt(H), 1/sqrt(H)) from
        np.random.default_rng(seed), then the weights (not the biases) times init_scale."""
        _refuse_unknown(self, unknown)
        if gate_activation not in GATE_ACTIVATIONS:
            raise ValueError(f"unknown gate_activation {gate_activation!r}; choose one of {list(GATE_ACTIVATIONS)}")
        self.gate_activation = gate_activation
        self.input_size = limits.INPUT_SIZE.check(input_size)
        self.hidden_size = limits.HIDDEN_SIZE.check(hidden_size)
        self.seed, self.init_scale = _check_init(bias, seed, init_scale)
        # torch's init, U(-1/sqrt(H), 1/sqrt(H)), from a seeded NumPy generator
        rng = np.random.default_rng(self.seed)
        D, H = self.input_size, self.hidden_size
        k = 1.0 / np.sqrt(H)

        def draw(blocks, *cols, scale=1.0):
            return rng.uniform(-k, k, (len(blocks) * H, *cols)) * scale if blocks else None

        self.weight_ih = draw(self.ih_blocks, D, scale=init_scale)  # (len(ih_blocks)*H, D)
        self.weight_hh = draw(self.hh_blocks, H, scale=init_scale)  # (len(hh_blocks)*H, H)
        self.bias_ih = draw(self.bias_ih_blocks) if bias else None  # (len(bias_ih_blocks)*H,)
        self.bias_hh = draw(self.bias_hh_blocks) if bias else None  # (len(bias_hh_blocks)*H,)

    @property
    def bias(self) -> bool:
        return self.bias_ih is not None or self.bias_hh is not None

    @property
    def block_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.ih_blocks + self.hh_blocks + self.bias_ih_blocks + self.bias_hh_blocks))

    def block(self, name: str, which: str = "hh") -> np.ndarray:
        """The (H, D) ("ih") or (H, H) ("hh") weights of one block; zeros if the cell has none."""
        blocks, W = {"ih": (self.ih_blocks, self.weight_ih), "hh": (self.hh_blocks, self.weight_hh)}[which]
        H = self.hidden_size
        if name not in blocks:
            if name not in self.block_names:
                raise ValueError(f"{self.kind} has no block {name!r}; blocks are {list(self.block_names)}")
            return np.zeros((H, self.input_size if which == "ih" else H))
        i = blocks.index(name)
        return W[i * H : (i + 1) * H]

    def _torch_equivalent(self) -> bool:
        return False  # no torch.nn module: tests compare against hand-written torch steps

    def _param_shapes(self) -> dict[str, tuple[int, ...] | None]:
        """(len(blocks) * H, ...) for each array that has blocks, else None; a bias may also be None (no bias)."""
        D, H = self.input_size, self.hidden_size

        def shape(blocks, *cols, present=True):
            return (len(blocks) * H, *cols) if blocks and present else None

        return {"weight_ih": shape(self.ih_blocks, D), "weight_hh": shape(self.hh_blocks, H),
                "bias_ih": shape(self.bias_ih_blocks, present=self.bias_ih is not None),
                "bias_hh": shape(self.bias_hh_blocks, present=self.bias_hh is not None)}

    @classmethod
    def from_torch(cls, module, **kwargs):
        raise ValueError(f"{cls.__name__} has no torch.nn counterpart to read weights from; set weight_ih etc. directly")

    # -- pre-activations, block by block -------------------------------------
    def _input_projection(self, x: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """(T, B*H): W_i* x_t + b_i* for every block in ``block_names`` order (zeros where absent),
        columns ``rows`` of it."""
        T, H = x.shape[0], self.hidden_size
        out = np.zeros((T, len(self.block_names) * H))  # (T, B*H)
        if self.weight_ih is not None:
            xw = x @ self.weight_ih.T  # (T, D) @ (D, len(ih)*H)
            for i, name in enumerate(self.ih_blocks):
                j = self.block_names.index(name)
                out[:, j * H : (j + 1) * H] += xw[:, i * H : (i + 1) * H]
        if self.bias_ih is not None:
            for i, name in enumerate(self.bias_ih_blocks):
                j = self.block_names.index(name)
                out[:, j * H : (j + 1) * H] += self.bias_ih[i * H : (i + 1) * H]
        return out[:, rows]

    def _x_part(self, xp_t: np.ndarray, name: str) -> np.ndarray:
        j, H = self.block_names.index(name), self.hidden_size
        return xp_t[j * H : (j + 1) * H]  # (H,)

    def _h_part(self, v: np.ndarray, name: str) -> np.ndarray:
        """W_h* v + b_h* for one block: (H,) -> (H,); zero parts where the cell has none."""
        H = self.hidden_size
        out = self.block(name, "hh") @ v if name in self.hh_blocks else np.zeros(H)
        if self.bias_hh is not None and name in self.bias_hh_blocks:
            i = self.bias_hh_blocks.index(name)
            out = out + self.bias_hh[i * H : (i + 1) * H]
        return out

    def _h_all(self, h: np.ndarray) -> np.ndarray:
        """(B*H,) W_h* h + b_h* for every block in ``block_names`` order, with one matrix-vector product."""
        names, H = self.block_names, self.hidden_size
        if self.hh_blocks == names and (self.bias_hh is None or self.bias_hh_blocks == names):
            out = self.weight_hh @ h  # (B*H,) the common case: every block reads h
            return out + self.bias_hh if self.bias_hh is not None else out
        out = np.zeros(len(names) * H)  # (B*H,)
        if self.weight_hh is not None:
            out[self._rows(self.hh_blocks)] += self.weight_hh @ h
        if self.bias_hh is not None:
            out[self._rows(self.bias_hh_blocks)] += self.bias_hh
        return out

    def _rows(self, blocks) -> np.ndarray:
        """Positions of ``blocks``' rows inside the dense (B*H,) block_names layout."""
        cache = self.__dict__.setdefault("_rows_cache", {})
        if blocks not in cache:
            H = self.hidden_size
            cache[blocks] = np.concatenate([np.arange(H) + self.block_names.index(b) * H for b in blocks])
        return cache[blocks]

    def _act(self, a: np.ndarray) -> np.ndarray:
        return GATE_ACTIVATIONS[self.gate_activation][0](a)

    def _dact_fn(self):
        return GATE_ACTIVATIONS[self.gate_activation][1]


# ----------------------------------------------------------------------------


class MGU(VariantCell):
    r"""Minimal Gated Unit (Zhou et al. 2016): a GRU with one gate.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        f_t = s(W_if x_t + b_if + W_hf h_{t-1} + b_hf)                forget gate
        n_t = tanh(W_in x_t + b_in + W_hn (f_t * h_{t-1}) + b_hn)     candidate
        h_t = (1 - f_t) * h_{t-1} + f_t * n_t

    The single forget gate does both jobs of the GRU: it resets the old state
    inside the candidate (f_t * h_{t-1}, applied before W_hn as in the paper)
    and it mixes old and new. Paper's convention: **f = 1 forgets** (replaces
    the state by the candidate); f = 0 keeps it. That is the GRU's 1 - z, and
    the opposite of the LSTM's forget gate.

    Weights: weight_ih = (W_if | W_in), (2H, D); weight_hh = (W_hf | W_hn),
    (2H, H); bias_ih, bias_hh (2H,) each (torch-style pair of biases, so the
    count is 2(HD + HH + 2H); the paper folds them into one bias per block).

    Trace gates: "forget" f_t and "candidate" n_t, each (T, H).
    """

    kind = "MGU"
    gate_names = ("forget", "candidate")
    ih_blocks = hh_blocks = bias_ih_blocks = bias_hh_blocks = ("forget", "candidate")
    elementwise_ops = 9  # f: add, act; n: f*h, add, tanh; h: 1-f, *h, f*n, add

    def _step(self, xp_t, h, c, clamp, trace, t):
        f_t = self._apply_clamp(clamp, "forget", self._act(self._x_part(xp_t, "forget") + self._h_part(h, "forget")))
        n_t = np.tanh(self._x_part(xp_t, "candidate") + self._h_part(f_t * h, "candidate"))
        n_t = self._apply_clamp(clamp, "candidate", n_t)
        h_t = (1.0 - f_t) * h + f_t * n_t
        trace.gates["forget"][t], trace.gates["candidate"][t] = f_t, n_t
        return h_t, None

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, H, H) d h_t / d h_{t-1} = diag(1 - f) + diag(n - h_{t-1}) df/dh + diag(f) dn/dh, where

        df/dh = diag(s'(f)) W_hf and dn/dh = diag(1 - n^2) W_hn (diag(f) + diag(h_{t-1}) df/dh).
        """
        f, n, h_prev = trace.gates["forget"], trace.gates["candidate"], trace.h_prev  # (T, H)
        W_hf, W_hn = self.block("forget"), self.block("candidate")  # (H, H)
        Jf = _dact(trace, "forget", self._dact_fn())[:, :, None] * W_hf[None]  # (T, H, H)
        inner = W_hn[None] * f[:, None, :] + (W_hn[None] * h_prev[:, None, :]) @ Jf  # (T, H, H)
        Jn = ((1.0 - n**2) * self._free(trace, "candidate"))[:, :, None] * inner  # (T, H, H)
        J = (n - h_prev)[:, :, None] * Jf + f[:, :, None] * Jn  # (T, H, H)
        idx = np.arange(self.hidden_size)
        J[:, idx, idx] += 1.0 - f
        return J


class DeySalemGRU(VariantCell):
    r"""GRU1, GRU2, GRU3 of Dey & Salem 2017: gates that no longer read the input.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        version 1:  r_t = s(W_hr h_{t-1} + b_hr),  z_t = s(W_hz h_{t-1} + b_hz)   hidden state and bias
        version 2:  r_t = s(W_hr h_{t-1}),         z_t = s(W_hz h_{t-1})          hidden state only
        version 3:  r_t = s(b_hr),                 z_t = s(b_hz)                  bias only (constant gates)

        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))     candidate, as torch.nn.GRU
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}                          z = 1 keeps the old state

    variant="cho2014" puts the reset gate before W_hn as the paper (and Cho et
    al.) do: n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn).
    Dey & Salem write the update with z and 1 - z swapped (see module docstring).

    Weights: weight_ih = W_in, (H, D); bias_ih = b_in, (H,);
    weight_hh = (W_hr | W_hz | W_hn), (3H, H), or W_hn alone, (H, H), in version 3;
    bias_hh = (b_hr | b_hz | b_hn), (3H,), or b_hn alone, (H,), in version 2.
    Counts: GRU1 HD + 3HH + 4H, GRU2 HD + 3HH + 2H, GRU3 HD + HH + 4H.

    Trace gates: "reset", "update", "candidate", each (T, H), as for the GRU.
    """

    gate_names = ("reset", "update", "candidate")
    elementwise_ops = 9  # r, z: act; n: r*hn, add, tanh; h: 1-z, *n, z*h, add
    VARIANTS = ("torch", "cho2014")
    _BLOCKS = {  # version -> (hh_blocks, bias_hh_blocks)
        1: (("reset", "update", "candidate"), ("reset", "update", "candidate")),
        2: (("reset", "update", "candidate"), ("candidate",)),
        3: (("candidate",), ("reset", "update", "candidate")),
    }

    def __init__(self, input_size: int, hidden_size: int, version: int = 1, variant: str = "torch", **kwargs):
        if version not in self._BLOCKS:
            raise ValueError(f"Dey-Salem GRU version must be 1, 2 or 3, got {version!r}")
        if variant not in self.VARIANTS:
            raise ValueError(f"unknown GRU variant {variant!r}; choose one of {list(self.VARIANTS)}")
        if version == 3 and not kwargs.get("bias", True):
            raise ValueError("GRU3's gates are biases only; bias=False would leave them constant at s(0)")
        self.version, self.variant = version, variant
        self.kind = f"GRU{version}"
        self.ih_blocks = self.bias_ih_blocks = ("candidate",)
        self.hh_blocks, self.bias_hh_blocks = self._BLOCKS[version]
        super().__init__(input_size, hidden_size, **kwargs)

    @property
    def block_names(self) -> tuple[str, ...]:
        return self.gate_names

    def _step(self, xp_t, h, c, clamp, trace, t):
        H = self.hidden_size
        hp = self._h_all(h)  # (3H,) W_h* h + b_h* for r, z, n
        r_t = self._apply_clamp(clamp, "reset", self._act(hp[:H]))
        z_t = self._apply_clamp(clamp, "update", self._act(hp[H : 2 * H]))
        if self.variant == "torch":
            hn = hp[2 * H :]  # (H,) W_hn h + b_hn
            trace.cache.setdefault("hn", np.empty((trace.T, self.hidden_size)))[t] = hn
            n_t = np.tanh(self._x_part(xp_t, "candidate") + r_t * hn)
        else:
            n_t = np.tanh(self._x_part(xp_t, "candidate") + self._h_part(r_t * h, "candidate"))
        n_t = self._apply_clamp(clamp, "candidate", n_t)
        h_t = (1.0 - z_t) * n_t + z_t * h
        trace.gates["reset"][t], trace.gates["update"][t], trace.gates["candidate"][t] = r_t, z_t, n_t
        return h_t, None

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, H, H) the GRU's Jacobian, with W_hr = W_hz = 0 in version 3:

        diag(z) + diag(h_{t-1} - n) dz/dh + diag(1 - z) dn/dh, dz/dh = diag(s'(z)) W_hz,
        dr/dh = diag(s'(r)) W_hr, torch: dn/dh = diag(1 - n^2)(diag(W_hn h + b_hn) dr/dh + diag(r) W_hn),
        cho2014: dn/dh = diag(1 - n^2) W_hn (diag(r) + diag(h_{t-1}) dr/dh).
        """
        ds = self._dact_fn()
        r, z, n, h_prev = trace.gates["reset"], trace.gates["update"], trace.gates["candidate"], trace.h_prev
        W_hn = self.block("candidate")  # (H, H)
        Jr = _dact(trace, "reset", ds)[:, :, None] * self.block("reset")[None]  # (T, H, H)
        Jz = _dact(trace, "update", ds)[:, :, None] * self.block("update")[None]  # (T, H, H)
        if self.variant == "torch":
            inner = trace.cache["hn"][:, :, None] * Jr + r[:, :, None] * W_hn[None]  # (T, H, H)
        else:
            inner = W_hn[None] * r[:, None, :] + (W_hn[None] * h_prev[:, None, :]) @ Jr  # (T, H, H)
        Jn = ((1.0 - n**2) * self._free(trace, "candidate"))[:, :, None] * inner  # (T, H, H)
        J = (h_prev - n)[:, :, None] * Jz + (1.0 - z)[:, :, None] * Jn  # (T, H, H)
        idx = np.arange(self.hidden_size)
        J[:, idx, idx] += z
        return J


class MinGRU(VariantCell):
    r"""minGRU (Feng et al. 2024, "Were RNNs all we needed?"): no recurrence inside the gates.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        z_t = s(W_iz x_t + b_iz)           update gate, from the input only
        n_t = W_in x_t + b_in              candidate: linear, from the input only
        h_t = z_t * h_{t-1} + (1 - z_t) * n_t      z = 1 keeps the old state

    Feng et al. write h_t = (1 - z'_t) h_{t-1} + z'_t h~_t; their z' is our 1 - z.
    Because z_t and n_t do not depend on h, the recurrence is the linear
    h_t = a_t * h_{t-1} + b_t with a_t = z_t, b_t = (1 - z_t) n_t, which an
    associative scan evaluates in O(log T) parallel steps (``run_parallel``).
    The Jacobian is simply diag(z_t).

    (The paper's log-space variant also squashes n_t with g(x) = x + 1/2 for
    x >= 0, s(x) otherwise, to keep it positive; we keep the plain linear
    candidate, and our log-space scan handles either sign.)

    Weights: weight_ih = (W_iz | W_in), (2H, D); bias_ih (2H,); no weight_hh or
    bias_hh. Count: 2(HD + H).

    Trace gates: "update" z_t and "candidate" n_t, each (T, H).
    """

    kind = "minGRU"
    gate_names = ("update", "candidate")
    ih_blocks = bias_ih_blocks = ("update", "candidate")
    elementwise_ops = 5  # z: act; h: z*h, 1-z, *n, add

    def _clamp_range(self, gate: str) -> tuple[float, float]:
        return (-np.inf, np.inf) if gate == "candidate" else (0.0, 1.0)  # the candidate is linear: any finite value

    def _step(self, xp_t, h, c, clamp, trace, t):
        z_t = self._apply_clamp(clamp, "update", self._act(self._x_part(xp_t, "update")))
        n_t = self._apply_clamp(clamp, "candidate", self._x_part(xp_t, "candidate"))
        h_t = z_t * h + (1.0 - z_t) * n_t
        trace.gates["update"][t], trace.gates["candidate"][t] = z_t, n_t
        return h_t, None

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, H, H) d h_t / d h_{t-1} = diag(z_t): the gates never see h."""
        T, H = trace.h.shape
        J = np.zeros((T, H, H))
        idx = np.arange(H)
        J[:, idx, idx] = trace.gates["update"]
        return J

    def run_parallel(self, x, h0=None, *, clamp: dict | None = None, method: str = "scan") -> Trace:
        """The same Trace as ``run``, with the time loop replaced by a scan over all steps at once.

        method="scan": Hillis-Steele inclusive scan of the affine maps
            h -> a_t h + b_t under composition (a2, b2) o (a1, b1) = (a2 a1, a2 b1 + b2),
            in ceil(log2 T) vectorised rounds.
        method="log": the cumulative-product form in log space,
            h_t = A_t h_0 + sum_{k<=t} (A_t / A_k) b_k,  A_t = prod_{j<=t} a_j,
            with log A_t = cumsum(log a) and the sum as a log-cumsum-exp, split into
            the positive and negative parts of b (and h_0) so any sign works.
        """
        if method not in ("scan", "log"):
            raise ValueError(f"method must be 'scan' or 'log', got {method!r}")
        self._check_params()
        x = self._check_x(x)
        h0 = self._check_state(h0, "h0")
        clamp = self._check_clamp(clamp)
        xp = self._input_projection(x)  # (T, 2H)
        H = self.hidden_size
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            z = self._apply_clamp(clamp, "update", self._act(xp[:, :H]))  # (T, H)
            n = self._apply_clamp(clamp, "candidate", xp[:, H:])  # (T, H)
            a, b = z, (1.0 - z) * n  # (T, H) h_t = a_t h_{t-1} + b_t
            if method == "log" and not (a > 0).all():
                raise ValueError("the log-space scan needs every update gate > 0 (log z); use method='scan'")
            h = _affine_scan(a, b, h0) if method == "scan" else _log_space_scan(a, b, h0)
        return Trace(x=x, h0=h0.copy(), h=h, gates={"update": z, "candidate": n}, clamp=clamp)


def _affine_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """(T, H) h_t = a_t h_{t-1} + b_t for all t by a Hillis-Steele scan (log2 T rounds)."""
    A, B = a.copy(), b.copy()  # (T, H) after the scan: h_t = A_t h_0 + B_t
    T, d = a.shape[0], 1
    while d < T:
        # compose step t with the prefix ending d steps earlier (read old values first)
        B[d:], A[d:] = A[d:] * B[:-d] + B[d:], A[d:] * A[:-d]
        d *= 2
    return A * h0 + B


def _log_space_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """(T, H) the same recurrence as sums of exponentials: stable for long T, any sign of b."""
    log_A = np.cumsum(np.log(a), axis=0)  # (T, H) log prod_{j<=t} a_j
    out = np.zeros_like(b)
    for sign in (1.0, -1.0):
        v = np.vstack([h0[None], b]) * sign  # (T+1, H) term 0 is h_0 (with A_0 = 1)
        log_v = np.log(np.maximum(v, 0.0))  # -inf where this sign is absent
        log_Ak = np.vstack([np.zeros((1, a.shape[1])), log_A])  # (T+1, H) log A_k
        acc = np.logaddexp.accumulate(log_v - log_Ak, axis=0)[1:]  # (T, H) log sum_{k<=t} v_k / A_k
        out += sign * np.exp(log_A + acc)
    return out


class CIFG(VariantCell):
    r"""Coupled input-forget gate LSTM (CIFG; Greff et al. 2015): i_t = 1 - f_t.

    Equations, for each timestep t (s = gate activation, sigmoid by default):

        f_t = s(W_if x_t + b_if + W_hf h_{t-1} + b_hf)       forget gate
        i_t = 1 - f_t                                         input gate, coupled
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)    cell candidate
        o_t = s(W_io x_t + b_io + W_ho h_{t-1} + b_ho)       output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Like torch.nn.LSTM otherwise; Greff et al.'s "vanilla" LSTM also has
    peephole connections, which we (and torch) leave out. The state is [h, c].

    Weights: weight_ih = (W_if | W_ig | W_io), (3H, D); weight_hh likewise,
    (3H, H); biases (3H,) each. Count 3(HD + HH + 2H).

    Trace gates: "input" (= 1 - forget, recorded for comparison with the LSTM;
    cannot be clamped on its own), "forget", "cell" g_t, "output"; trace.c.
    """

    kind = "CIFG"
    gate_names = ("input", "forget", "cell", "output")
    ih_blocks = hh_blocks = bias_ih_blocks = bias_hh_blocks = ("forget", "cell", "output")
    has_cell_state = True
    elementwise_ops = 12  # 3 adds, 3 activations, 1 - f, c: f*c, i*g, add, tanh c, o*

    def _check_clamp(self, clamp):
        if clamp and "input" in clamp:
            raise ValueError("CIFG's input gate is 1 - forget gate; clamp 'forget' instead")
        return super()._check_clamp(clamp)

    def _step(self, xp_t, h, c, clamp, trace, t):
        H = self.hidden_size
        a = xp_t + self._h_all(h)  # (3H,) pre-activations of f, g, o
        f_t = self._apply_clamp(clamp, "forget", self._act(a[:H]))
        i_t = 1.0 - f_t
        g_t = self._apply_clamp(clamp, "cell", np.tanh(a[H : 2 * H]))
        o_t = self._apply_clamp(clamp, "output", self._act(a[2 * H :]))
        c_t = f_t * c + i_t * g_t
        h_t = o_t * np.tanh(c_t)
        for name, v in zip(self.gate_names, (i_t, f_t, g_t, o_t), strict=True):
            trace.gates[name][t] = v
        return h_t, c_t

    def jacobians(self, trace: Trace) -> np.ndarray:
        """(T, 2H, 2H) the LSTM's Jacobian with di/dh = -df/dh:

            dc/dh = diag(c_{t-1} - g) df/dh + diag(i) dg/dh,   dc/dc = diag(f)
            dh/dh = diag(tanh c_t) do/dh + diag(o (1 - tanh^2 c_t)) dc/dh,   dh/dc = diag(o (1 - tanh^2 c_t) f)
        """
        ds = self._dact_fn()
        i, f, g = trace.gates["input"], trace.gates["forget"], trace.gates["cell"]  # (T, H)
        c_prev, tc = trace.c_prev, np.tanh(trace.c)  # (T, H)
        Jf = _dact(trace, "forget", ds)[:, :, None] * self.block("forget")[None]  # (T, H, H)
        Jg = _dact(trace, "cell", lambda s: 1.0 - s**2)[:, :, None] * self.block("cell")[None]
        Jo = _dact(trace, "output", ds)[:, :, None] * self.block("output")[None]
        dc_dh = (c_prev - g)[:, :, None] * Jf + i[:, :, None] * Jg  # (T, H, H)
        k = trace.gates["output"] * (1.0 - tc**2)  # (T, H) d h_t / d c_t
        T, H = f.shape
        J = np.zeros((T, 2 * H, 2 * H))
        idx = np.arange(H)
        J[:, :H, :H] = tc[:, :, None] * Jo + k[:, :, None] * dc_dh
        J[:, idx, H + idx] = k * f
        J[:, H:, :H] = dc_dh
        J[:, H + idx, H + idx] = f
        return J
