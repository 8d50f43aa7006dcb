"""Weight surgery for the Gradient Lab: each function returns a modified *copy*.

Why these three knobs? Backpropagation through time multiplies one Jacobian per
step (Pascanu et al. 2013). For the plain RNN, J_t = diag(phi'(a_t)) W_hh, so the
spectral radius rho(W_hh) (largest |eigenvalue|) decides whether the product
shrinks (rho < 1, vanishing) or can grow (rho > 1, exploding). For the GRU,
J_t = diag(z_t) + (terms through the gates and the candidate), so an update gate
near 1 (a large update-gate bias b_z) keeps J_t near the identity and the
gradient alive, whatever W_hh does (Tallec & Ollivier 2018, "chrono
initialisation", set such biases on purpose; Jozefowicz et al. 2015 did it
for the LSTM's forget gate).

Block names (rows of weight_hh, as in torch):
    VanillaRNN  "h"                                    W_hh            (H, H)
    GRU         "reset" | "update" | "candidate"       W_hr, W_hz, W_hn
    LSTM        "input" | "forget" | "cell" | "output" W_hi, W_hf, W_hg, W_ho

Functions:
    eigenvalues(model, block)            eigenvalues of one (H, H) recurrent block
    spectral_radius(W)                   max |eigenvalue| of a square matrix
    scale_recurrent(model, radius)       rescale every (or chosen) block to spectral radius ``radius``
    gate_bias(model, gate)               the total bias b_i + b_h of one gate, (H,)
    set_gate_bias(model, gate, value)    set that total (b_i = value, b_h = 0)
"""

from __future__ import annotations

import numpy as np

# The block whose eigenvalues the lab shows by default: the one that carries the
# state through the squashing nonlinearity (the RNN's W_hh, the GRU's W_hn, the
# LSTM's W_hg).
MAIN_BLOCK = {"RNN": "h", "GRU": "candidate", "LSTM": "cell"}


def _block_rows(model, block: str) -> slice:
    names = model.block_names
    if block not in names:
        raise ValueError(f"{model.kind} has no recurrent block {block!r}; its blocks are {list(names)}")
    H = model.hidden_size
    i = names.index(block)
    return slice(i * H, (i + 1) * H)


def spectral_radius(W: np.ndarray) -> float:
    """rho(W) = max_i |lambda_i(W)| for a square matrix W: (H, H)."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral radius needs a square matrix, got shape {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError("the matrix contains NaN or infinity")
    return float(np.abs(np.linalg.eigvals(W)).max()) if W.size else 0.0


def eigenvalues(model, block: str | None = None) -> np.ndarray:
    """(H,) complex eigenvalues of one recurrent block of ``model.weight_hh``.

    ``block`` defaults to MAIN_BLOCK[model.kind]: the RNN's whole W_hh, the
    GRU's candidate block W_hn, the LSTM's cell block W_hg. A gated cell's
    weight_hh is (G*H, H), not square, so it has eigenvalues only block by block.
    """
    block = MAIN_BLOCK[model.kind] if block is None else block
    W = model.weight_hh[_block_rows(model, block)]  # (H, H)
    return np.linalg.eigvals(W)


def scale_recurrent(model, radius: float, blocks: tuple[str, ...] | None = None):
    """A copy of ``model`` whose recurrent blocks each have spectral radius ``radius``.

    Every chosen (H, H) block W of weight_hh is multiplied by the single number
    radius / rho(W), so its eigenvalues keep their directions and the largest
    |eigenvalue| becomes ``radius``. For the GRU this scales W_hr, W_hz and W_hn
    *each* to the radius (default: all blocks); for the LSTM W_hi, W_hf, W_hg
    and W_ho each; for the RNN the whole W_hh. Input weights and biases are
    untouched.

    Args:
        model: a VanillaRNN, GRU or LSTM.
        radius: target spectral radius, a finite number >= 0.
        blocks: block names to scale (see module docstring); None = all.
    Raises:
        ValueError: bad radius, unknown block, or a block with rho = 0 asked
            to reach a radius > 0 (scaling cannot create eigenvalues).
    """
    radius = float(radius)
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"spectral radius must be a finite number >= 0, got {radius!r}")
    blocks = model.block_names if blocks is None else tuple(blocks)
    out = model.copy()
    for name in blocks:
        rows = _block_rows(out, name)
        W = out.weight_hh[rows]  # (H, H)
        rho = spectral_radius(W)
        if rho == 0.0:
            if radius > 0.0:
                raise ValueError(f"block {name!r} has spectral radius 0; it cannot be scaled to {radius}")
            continue
        out.weight_hh[rows] = W * (radius / rho)
    return out


def _gate_bias_rows(model, gate: str) -> slice:
    if model.kind == "RNN":
        raise ValueError("a vanilla RNN has no gates")
    if gate not in model.gate_names:
        raise ValueError(f"{model.kind} has no gate {gate!r}; its gates are {list(model.gate_names)}")
    if not model.bias:
        raise ValueError(f"this {model.kind} was built with bias=False; it has no gate biases to set")
    return _block_rows(model, gate)


def gate_bias(model, gate: str) -> np.ndarray:
    """(H,) the total bias of a gate, b_i + b_h (e.g. b_iz + b_hz for the GRU's update gate).

    For the sigmoid gates (and the LSTM's cell candidate) the two biases simply
    add inside the activation, so only this total matters. For the torch GRU's
    candidate, b_hn sits inside r_t * (W_hn h + b_hn) and the sum is *not* the
    whole story (see set_gate_bias).
    """
    rows = _gate_bias_rows(model, gate)
    return model.bias_ih[rows] + model.bias_hh[rows]


def set_gate_bias(model, gate: str, value):
    """A copy of ``model`` with the total bias of ``gate`` set to ``value``.

    torch keeps two biases per gate, b_i* (bias_ih) and b_h* (bias_hh), and the
    gate sees their sum: z_t = s(W_iz x_t + W_hz h_{t-1} + b_iz + b_hz). We set
    the input-side bias to the value and the hidden-side bias to 0:

        b_iz = value,  b_hz = 0    =>  b_iz + b_hz = value

    so "update-gate bias 3" means z_t = s(3 + W_iz x_t + W_hz h_{t-1}), about
    0.95 when the weighted inputs are small. For the GRU's candidate gate this
    also takes b_hn out of the reset gate's reach (torch variant).

    Args:
        gate: a gate name of the model ("update", "reset", ... / "forget", ...).
        value: a number for every unit, or an (H,) array, all finite.
    """
    rows = _gate_bias_rows(model, gate)
    v = np.asarray(value, dtype=np.float64)
    try:
        v = np.broadcast_to(v, (model.hidden_size,)).copy()  # (H,)
    except ValueError:
        raise ValueError(f"bias value must be a number or shape ({model.hidden_size},), got shape {v.shape}") from None
    if not np.isfinite(v).all():
        raise ValueError("bias value must be finite")
    out = model.copy()
    out.bias_ih[rows] = v
    out.bias_hh[rows] = 0.0
    return out
