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

How it is computed (exactly, and fast enough for a slider):

* Per-step Jacobians are built in blocks of a few timesteps (``block_size``), from the last
  step backwards, and folded into the running product right away, so no
  (T, S, S) array is ever made (at T=500, S=128 that would be 65 MB per
  temporary) and every block stays in the CPU cache.
* The running product is rescaled by a power of two after every step
  (exact in floating point) and its exponent kept aside, so a norm of 1e-300
  or 1e+300 is still computed rather than lost to underflow on the way;
  values beyond float64's range come back as 0.0 or inf, and lags after a
  non-finite Jacobian (an exploded run) come back as NaN.
* The spectral norm is the square root of the largest eigenvalue of the Gram
  matrix P P^T, batched over the lags of a block: a few Lanczos steps give a
  lower bound, a Cholesky factorisation proves it is within 1e-12 (relative)
  of the true value, and the rare matrices it cannot prove go to LAPACK's
  eigvalsh. That is 2-3x cheaper than eigvalsh for every lag, and as exact.
"""

from __future__ import annotations

import math

import numpy as np

from gru_viz import _blas
from gru_viz.trace import Trace

BLOCK_BYTES = 2**21  # a block of (n, S, S) Jacobians or products is about 2 MB: it stays in cache
LANCZOS_STEPS = 8  # Krylov vectors per top-eigenvalue estimate (more: fewer eigvalsh fallbacks, each step dearer)
CERTIFY_TOL = 1e-12  # relative slack of the proven upper bound on ||P||_2^2 (norms exact to 5e-13)
LANCZOS_MIN_S = 48  # below this state size plain eigvalsh is as fast (measured: bench/README.md)


def block_size(S: int) -> int:
    """Timesteps per block for state size S: 64 for S = 64, 16 for S = 128, 8 for S >= 181."""
    return max(8, min(64, BLOCK_BYTES // (8 * S * S)))


def jacobians(model, trace: Trace) -> np.ndarray:
    """(T, S, S) per-step Jacobians: J[t-1] = d state_t / d state_{t-1}, t = 1..T."""
    with np.errstate(all="ignore"), _blas.single_thread():
        return model.jacobians(trace)


# ----------------------------------------------------------------------------
# blocks of Jacobians and of their lag products


def trace_window(trace: Trace, t0: int, t1: int) -> Trace:
    """The part of ``trace`` for steps t0+1 .. t1 as a Trace of its own (views, no copies).

    Its h0 (and c0) is the state the window starts from, so
    ``model.jacobians(trace_window(trace, t0, t1)) == model.jacobians(trace)[t0:t1]``
    for any model whose Jacobians read only the trace's per-step (T, ...) arrays.
    """
    T = trace.T
    h0 = trace.h0 if t0 == 0 else trace.h[t0 - 1]

    def cut(a):
        return a[t0:t1] if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == T else a

    window = Trace(x=trace.x[t0:t1], h0=h0, h=trace.h[t0:t1], clamp=trace.clamp)
    window.gates = {k: v[t0:t1] for k, v in trace.gates.items()}
    window.cache = {k: cut(v) for k, v in trace.cache.items()}
    if trace.c is not None:
        window.c0 = trace.c0 if t0 == 0 else trace.c[t0 - 1]
        window.c = trace.c[t0:t1]
    return window


def _model_blocks(model, trace: Trace, block: int | None = None):
    """Yield J[t0:t1] (per-step Jacobians of steps t0+1..t1), last block first."""
    block = block or block_size(trace.states.shape[1])
    for t1 in range(trace.T, 0, -block):
        yield model.jacobians(trace_window(trace, max(0, t1 - block), t1))


def _array_blocks(J: np.ndarray, block: int | None = None):
    block = block or block_size(J.shape[1])
    for t1 in range(J.shape[0], 0, -block):
        yield J[max(0, t1 - block) : t1]


def _lag_product_blocks(blocks, S: int):
    """Fold Jacobian blocks (last block first) into normalised lag products.

    Yields (P, exponent, finite) for consecutive runs of lags k (1, 2, ... in
    order), with P: (n, S, S) such that P[i] * 2**exponent[i] = d s_T / d s_{T-k}
    exactly, max |P[i]| in [1/2, 1) (or 0), and finite[i] False from the first
    non-finite factor on. P is a buffer reused for the next block: use it
    before asking for the next one.
    """
    acc = np.eye(S)  # (S, S) running product, up to the scale 2**e
    e, ok = 0, True
    buf = np.empty((0, S, S))
    for J in blocks:  # J: (n, S, S), steps in time order
        n = J.shape[0]
        if buf.shape[0] < n:
            buf = np.empty((n, S, S))
        P, exponent, finite = buf[:n], np.empty(n, dtype=np.int64), np.empty(n, dtype=bool)
        for i in range(n):
            np.matmul(acc, J[n - 1 - i], out=P[i])  # (S, S) @ (S, S): one step further back
            acc = P[i]
            if ok:
                m = max(acc.max(), -acc.min()) if S else 0.0
                if not math.isfinite(m):
                    ok = False
                elif m > 0:
                    k = math.frexp(m)[1]  # m = f * 2**k with f in [1/2, 1)
                    np.ldexp(acc, -k, out=acc)  # exact rescaling
                    e += k
            if not ok:
                acc.fill(np.nan)
            exponent[i], finite[i] = e, ok
        yield P, exponent, finite
        acc = acc.copy()  # the buffer is about to be reused


def _largest_eigenvalues(G: np.ndarray, v0: np.ndarray, steps: int = LANCZOS_STEPS):
    """(n,) largest eigenvalue of each symmetric PSD G[i], and (S,) a start vector for the next call.

    Fast path, exact to CERTIFY_TOL (relative): a few Lanczos steps from v0 give a
    Ritz vector v whose Rayleigh quotient theta = v^T G v / v^T v is a lower
    bound (always <= the largest eigenvalue). A Cholesky factorisation of
    theta (1 + tol) I - G exists only if every eigenvalue is below
    theta (1 + tol), so when it succeeds the bound is proven tight. Matrices
    where it fails (a slow-converging spectrum) get LAPACK's eigvalsh.

    Args:
        G: (n, S, S) symmetric positive semi-definite.
        v0: (S,) start vector (e.g. the top eigenvector of a neighbouring matrix).
    """
    n, S, _ = G.shape
    if S < max(LANCZOS_MIN_S, 2 * steps) or n == 0:
        return np.linalg.eigvalsh(G)[:, -1], v0
    if not (np.isfinite(v0).all() and v0.any()):
        v0 = np.ones(S)
    Q = np.empty((n, S, steps))  # (n, S, k) orthonormal Krylov basis
    q = np.broadcast_to(v0 / np.linalg.norm(v0), (n, S))  # (n, S)
    for j in range(steps):
        Q[:, :, j] = q
        if j == steps - 1:
            break
        w = np.matmul(G, q[:, :, None])[:, :, 0]  # (n, S) G q
        for _ in range(2):  # Gram-Schmidt twice keeps Q orthonormal
            Qj = Q[:, :, : j + 1]  # (n, S, j+1)
            w = w - np.matmul(Qj, np.matmul(w[:, None, :], Qj).transpose(0, 2, 1))[:, :, 0]
        q = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-300)
    Tk = Q.transpose(0, 2, 1) @ G @ Q  # (n, k, k) G restricted to the Krylov space
    y = np.linalg.eigh(Tk)[1][:, :, -1:]  # (n, k, 1) top Ritz pair's coordinates
    v = (Q @ y)[:, :, 0]  # (n, S) Ritz vectors
    theta = np.einsum("ni,ni->n", v, np.matmul(G, v[:, :, None])[:, :, 0]) / np.einsum("ni,ni->n", v, v)  # (n,)
    theta = np.where(np.isfinite(theta), theta, 0.0)
    A = (theta * (1.0 + CERTIFY_TOL))[:, None, None] * np.eye(S) - G  # (n, S, S) PD iff the bound holds
    proven = _positive_definite(A) | ~G.any(axis=(1, 2))  # (n,) bool; an all-zero G (dead relu units) has top 0
    top = theta.copy()
    if not proven.all():
        top[~proven] = np.linalg.eigvalsh(G[~proven])[:, -1]
    return top, v[-1]


def _positive_definite(A: np.ndarray) -> np.ndarray:
    """(n,) True where the symmetric A[i] (n, S, S) has a Cholesky factorisation (is positive definite)."""
    # NumPy's batched Cholesky kernel marks a failed matrix with NaN; np.linalg.cholesky
    # would raise for the whole batch instead, so use the kernel when it is there.
    kernel = getattr(getattr(np.linalg, "_umath_linalg", None), "cholesky_lo", None)
    if kernel is not None:
        with np.errstate(invalid="ignore"):
            return ~np.isnan(kernel(A, signature="d->d")[:, -1, -1])
    ok = np.ones(A.shape[0], dtype=bool)
    for i, a in enumerate(A):
        try:
            np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def _spectral_norms(P: np.ndarray, exponent: np.ndarray, finite: np.ndarray, v0: np.ndarray):
    """(n,) ||P[i]||_2 * 2**exponent[i] (NaN where not finite), and the next Lanczos start vector."""
    out = np.full(P.shape[0], np.nan)
    if finite.any():
        Pf = P[finite]
        G = Pf @ Pf.transpose(0, 2, 1)  # (n, S, S) symmetric, PSD: ||P||_2^2 = its largest eigenvalue
        lam, v0 = _largest_eigenvalues(G, v0)
        out[finite] = np.ldexp(np.sqrt(np.maximum(lam, 0.0)), exponent[finite])
    return out, v0


def lag_products(J: np.ndarray):
    """Normalised products of Jacobians, lag by lag (all of them at once: (T, S, S) memory).

    Args:
        J: (T, S, S) per-step Jacobians.
    Returns:
        P: (T, S, S) with P[k-1] * exp(log_scale[k-1]) = d s_T / d s_{T-k}, k = 1..T,
        log_scale: (T,), and finite: (T,) bool (False from the first non-finite factor on).
    """
    T, S = J.shape[0], J.shape[1]
    P, log_scale, finite = np.empty((T, S, S)), np.empty(T), np.empty(T, dtype=bool)
    k = 0
    with np.errstate(all="ignore"), _blas.single_thread():
        for p, exponent, ok in _lag_product_blocks(_array_blocks(J), S):
            n = p.shape[0]
            P[k : k + n], log_scale[k : k + n], finite[k : k + n] = p, exponent * math.log(2.0), ok
            k += n
    P[~finite] = 0.0
    return P, log_scale, finite


# ----------------------------------------------------------------------------
# what the app shows


def _check_lags(lags, T: int) -> np.ndarray | None:
    if lags is None:
        return None
    try:
        lags = np.asarray(lags)
        ok = lags.ndim == 1 and lags.size > 0 and np.issubdtype(lags.dtype, np.integer)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"lags must be a non-empty 1-D list of whole numbers in [0, T] = [0, {T}], got {lags!r}")
    if lags.min() < 0 or lags.max() > T:
        raise ValueError(f"lags must be in [0, T] = [0, {T}], got values from {lags.min()} to {lags.max()}")
    return lags


def _decay(blocks, T: int, S: int, lags: np.ndarray | None = None) -> np.ndarray:
    """(T+1,) decay for every lag, or (len(lags),) for the given lags only."""
    want = np.ones(T + 1, dtype=bool)  # (T+1,) lags whose norm is needed
    if lags is not None:
        want[:] = False
        want[lags] = True
    last = int(np.nonzero(want)[0][-1])  # the product stops at the largest lag asked for
    decay = np.full(T + 1, np.nan)  # (T+1,)
    decay[0], k = 1.0, 1
    v0 = np.ones(S)  # Lanczos start; then each block starts from the previous block's top vector
    with np.errstate(all="ignore"), _blas.single_thread():
        for P, exponent, finite in _lag_product_blocks(blocks, S):
            if k > last:
                break
            n = P.shape[0]
            sel = want[k : k + n]  # (n,) which of this block's lags to measure
            if sel.all():
                decay[k : k + n], v0 = _spectral_norms(P, exponent, finite, v0)
            elif sel.any():
                decay[k : k + n][sel], v0 = _spectral_norms(P[sel], exponent[sel], finite[sel], v0)
            k += n
    return decay if lags is None else decay[lags]


def decay_from_jacobians(J: np.ndarray) -> np.ndarray:
    """(T+1,) spectral norms ||d s_T / d s_{T-k}||_2 for k = 0..T from J: (T, S, S)."""
    return _decay(_array_blocks(J), J.shape[0], J.shape[1])


def decay_from_trace(model, trace: Trace, lags=None) -> np.ndarray:
    """``gradient_decay`` of a run you already have, without running it again.

    Prefer this to ``decay_from_jacobians(jacobians(model, trace))``: it never
    builds the (T, S, S) Jacobian array (65 MB at T=500, S=128).
    """
    lags = _check_lags(lags, trace.T)
    return _decay(_model_blocks(model, trace), trace.T, trace.states.shape[1], lags)


def gradient_decay(model, x, h0=None, *, lags=None, **run_kwargs) -> np.ndarray:
    """(T+1,) decay[k] = ||d state_T / d state_{T-k}||_2 (spectral norm); decay[0] = 1.

    Args:
        model: a cell from gru_viz.cells (or a variant).
        x: (T, D) input sequence; h0: (H,) or None.
        lags: None (every lag k = 0..T, the default) or whole numbers in [0, T]:
            then the result is (len(lags),), decay at those lags only, each as
            exact as the full curve. Cheaper: norms are computed only there and
            the product stops at max(lags) (e.g. 100 log-spaced lags for a plot).
        run_kwargs: passed to ``model.run`` (e.g. ``clamp={"update": 1.0}``).
    """
    return decay_from_trace(model, model.run(x, h0, **run_kwargs), lags=lags)


def singular_values(model, trace: Trace) -> np.ndarray:
    """(T+1, S) all singular values of d state_T / d state_{T-k}, largest first, k = 0..T."""
    T, S = trace.T, trace.states.shape[1]
    out = np.full((T + 1, S), np.nan)
    out[0], k = 1.0, 1
    with np.errstate(all="ignore"), _blas.single_thread():
        for P, exponent, finite in _lag_product_blocks(_model_blocks(model, trace), S):
            n = P.shape[0]
            rows = out[k : k + n]  # view
            rows[finite] = np.ldexp(np.linalg.svd(P[finite], compute_uv=False), exponent[finite, None])
            k += n
    return out


def influence(model, trace: Trace) -> np.ndarray:
    """(T+1, S) per-unit gradient magnitude over time.

    Row t, column j: the norm of d state_T / d state_t[j], i.e. how strongly unit
    j at step t still affects the final state (column norms of the lag
    product). Row T is all ones; rows before a non-finite step are NaN.
    """
    T, S = trace.T, trace.states.shape[1]
    cols = np.full((T, S), np.nan)  # (T, S) lag k = 1..T
    k = 0
    with np.errstate(all="ignore"), _blas.single_thread():
        for P, exponent, finite in _lag_product_blocks(_model_blocks(model, trace), S):
            n = P.shape[0]
            rows = cols[k : k + n]  # view
            rows[finite] = np.ldexp(np.linalg.norm(P[finite], axis=1), exponent[finite, None])
            k += n
    out = np.empty((T + 1, S))
    out[T] = 1.0
    out[:T] = cols[::-1]  # lag k -> time T - k
    return out


def steps_until_below(decay: np.ndarray, threshold: float = 1e-6) -> int | None:
    """First lag k at which decay[k] < threshold, or None if it never falls that low."""
    below = np.nonzero(np.asarray(decay) < threshold)[0]
    return int(below[0]) if below.size else None
