"""Backpropagation through time, in closed form: why plain RNNs forget.

The gradient of anything at the last step T with respect to the state k steps
earlier goes through a product of per-step Jacobians (Pascanu et al. 2013,
"On the difficulty of training recurrent neural networks"):

    d s_T / d s_{T-k} = J_T J_{T-1} ... J_{T-k+1},   J_t = d s_t / d s_{t-1}

Its spectral norm over the lag k is the "gradient decay" curve: it shrinks
geometrically when the Jacobians are contractions (vanishing gradients, the
plain RNN with spectral radius < 1), grows when they expand (exploding), and
stays near 1 when a GRU's update gate sits near 1, because then J_t is close
to the identity (Bengio et al. 1994; Hochreiter 1991).

Products are kept normalised (a running log-scale) so a norm of 1e-300 or
1e+300 is still computed rather than lost to underflow on the way; values
beyond float64's range come back as 0.0 or inf, and lags after a non-finite
Jacobian (an exploded run) come back as NaN.
"""

from __future__ import annotations

import numpy as np

from gru_viz.trace import Trace


def jacobians(model, trace: Trace) -> np.ndarray:
    """(T, S, S) per-step Jacobians: J[t-1] = d state_t / d state_{t-1}, t = 1..T."""
    with np.errstate(all="ignore"):
        return model.jacobians(trace)


def lag_products(J: np.ndarray):
    """Normalised products of Jacobians, lag by lag.

    Args:
        J: (T, S, S) per-step Jacobians.
    Returns:
        P: (T, S, S) with P[k-1] * exp(log_scale[k-1]) = d s_T / d s_{T-k}, k = 1..T,
        log_scale: (T,), and finite: (T,) bool (False from the first non-finite factor on).
    """
    T, S, _ = J.shape
    P = np.empty((T, S, S))
    log_scale = np.zeros(T)
    finite = np.ones(T, dtype=bool)
    acc, log_acc, ok = np.eye(S), 0.0, True  # running product and its log-scale
    with np.errstate(all="ignore"):
        for k in range(1, T + 1):
            acc = acc @ J[T - k]  # (S, S) d s_T / d s_{T-k}, up to scale
            m = np.abs(acc).max() if acc.size else 0.0
            ok = ok and bool(np.isfinite(m))
            if ok and m > 0:
                acc = acc / m
                log_acc += np.log(m)
            if not ok:
                acc = np.zeros((S, S))
            P[k - 1], log_scale[k - 1], finite[k - 1] = acc, log_acc, ok
    return P, log_scale, finite


def _top_singular_values(P: np.ndarray) -> np.ndarray:
    """(N,) largest singular value of each (S, S) matrix, via eigvalsh of P P^T."""
    G = P @ P.transpose(0, 2, 1)  # (N, S, S) symmetric, PSD
    lam = np.linalg.eigvalsh(G)[:, -1]  # ascending order: last is the largest
    return np.sqrt(np.maximum(lam, 0.0))


def decay_from_jacobians(J: np.ndarray) -> np.ndarray:
    """(T+1,) spectral norms ||d s_T / d s_{T-k}||_2 for k = 0..T from J: (T, S, S)."""
    T = J.shape[0]
    P, log_scale, finite = lag_products(J)
    decay = np.empty(T + 1)
    decay[0] = 1.0
    with np.errstate(over="ignore", under="ignore"):
        decay[1:] = _top_singular_values(P) * np.exp(log_scale)
    decay[1:][~finite] = np.nan
    return decay


def gradient_decay(model, x, h0=None, **run_kwargs) -> np.ndarray:
    """(T+1,) decay[k] = ||d state_T / d state_{T-k}||_2 (spectral norm); decay[0] = 1.

    Args:
        model: a cell from gru_viz.cells (or a variant).
        x: (T, D) input sequence; h0: (H,) or None.
        run_kwargs: passed to ``model.run`` (e.g. ``clamp={"update": 1.0}``).
    """
    trace = model.run(x, h0, **run_kwargs)
    return decay_from_jacobians(jacobians(model, trace))


def singular_values(model, trace: Trace) -> np.ndarray:
    """(T+1, S) all singular values of d state_T / d state_{T-k}, largest first, k = 0..T."""
    J = jacobians(model, trace)
    P, log_scale, finite = lag_products(J)
    S = J.shape[1]
    out = np.empty((J.shape[0] + 1, S))
    out[0] = 1.0
    with np.errstate(over="ignore", under="ignore"):
        sv = np.full((J.shape[0], S), np.nan)
        sv[finite] = np.linalg.svd(P[finite], compute_uv=False)
        out[1:] = sv * np.exp(log_scale)[:, None]
    return out


def influence(model, trace: Trace) -> np.ndarray:
    """(T+1, S) per-unit gradient magnitude over time.

    Row t, column j: the norm of d state_T / d state_t[j], i.e. how strongly unit
    j at step t still affects the final state (column norms of the lag
    product). Row T is all ones; rows before a non-finite step are NaN.
    """
    J = jacobians(model, trace)
    T, S = J.shape[0], J.shape[1]
    P, log_scale, finite = lag_products(J)
    out = np.empty((T + 1, S))
    out[T] = 1.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        cols = np.linalg.norm(P, axis=1) * np.exp(log_scale)[:, None]  # (T, S), lag k = 1..T
    cols[~finite] = np.nan
    out[:T] = cols[::-1]  # lag k -> time T - k
    return out


def steps_until_below(decay: np.ndarray, threshold: float = 1e-6) -> int | None:
    """First lag k at which decay[k] < threshold, or None if it never falls that low."""
    below = np.nonzero(np.asarray(decay) < threshold)[0]
    return int(below[0]) if below.size else None
