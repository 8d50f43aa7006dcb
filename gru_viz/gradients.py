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
* The LSTM's Jacobian has a right half of two diagonal blocks (everything
  c_{t-1} touches goes through f_t elementwise), so each step of its chain
  is one (2H, 2H) @ (2H, H) product plus column scalings: half the work.
* The decay curve and the per-unit influence read the same lag products:
  ``decay_and_influence`` gives both from one pass.
* The spectral norm is the square root of the largest eigenvalue of the Gram
  matrix G = P P^T, batched over the lags of a block, and proven exact to
  1e-12 (relative) without ever forming G when it can: a few Lanczos steps,
  each two matrix-vector products G q = P (P^T q), give a lower bound theta
  and its residual r; since G's eigenvalues are >= 0 and sum to
  trace(G) = ||P||_F^2, every eigenvalue but the largest is at most
  trace - theta, and the Kato-Temple inequality bounds the largest by
  theta + r^2 / (2 theta - trace). That settles almost every lag past the
  first few dozen, where one direction dominates the product. The others get
  G, and a sharper bound on the other eigenvalues, lambda_2^2 <= ||G||_F^2 -
  theta^2 (a GRU whose update gate keeps many small directions alive has
  lambda_1 below half the trace but lambda_1^2 above half of ||G||_F^2); what
  that cannot settle gets a Cholesky factorisation of theta (1 + 1e-12) I - G,
  which exists only if no eigenvalue exceeds that bound, and the rare ones it
  cannot prove go to LAPACK's eigvalsh. Exact, and many times cheaper than
  eigvalsh per lag. When most lags of a block needed G, the next block forms G
  first and runs Lanczos on it (one product per Krylov vector instead of two,
  no try without G that would fail anyway).
"""

from __future__ import annotations

import math

import numpy as np

from gru_viz import _blas
from gru_viz.trace import Trace

BLOCK_BYTES = 2**21  # a block of (n, S, S) Jacobians or products is about 2 MB: it stays in cache
LANCZOS_STEPS = 8  # Krylov vectors per top-eigenvalue estimate (more: fewer eigvalsh fallbacks, each step dearer)
SHORT_LANCZOS_STEPS = 3  # the first, cheaper try (bench/README.md: enough for most lags of a long product)
CERTIFY_TOL = 1e-12  # relative slack of the proven upper bound on ||P||_2^2 (norms exact to 5e-13)
LANCZOS_MIN_S = 48  # below this state size plain eigvalsh is as fast (measured: bench/README.md)


def block_size(S: int) -> int:
    """Timesteps per block for state size S: 64 for S = 64, 16 for S = 128, 8 for S >= 181."""
    return max(8, min(64, BLOCK_BYTES // (8 * S * S)))


JACOBIANS_MAX_BYTES = 2**30  # ``jacobians`` refuses to build a (T, S, S) array larger than 1 GiB


def jacobians(model, trace: Trace) -> np.ndarray:
    """(T, S, S) per-step Jacobians: J[t-1] = d state_t / d state_{t-1}, t = 1..T.

    S is the state size: H, or 2H for the LSTM (its state is [h, c]). The array
    takes 8 T S^2 bytes (about 1 GB at T=500, H=512); over 1 GiB it is refused. For the
    decay curve use ``gradient_decay`` or ``decay_from_trace(model, trace)``: they
    build a few steps at a time and never hold the whole array.

    Args:
        model: the cell that made ``trace``.
        trace: ``model.run(x)``, the whole Trace (not x).
    """
    _check_trace(model, trace)
    S = trace.states.shape[1]
    size = trace.T * S * S * 8
    if size > JACOBIANS_MAX_BYTES:
        raise ValueError(f"jacobians would allocate a (T, S, S) = ({trace.T}, {S}, {S}) array of {size / 2**30:.2f} GiB "
                         f"(the limit is {JACOBIANS_MAX_BYTES / 2**30:g} GiB); for the decay curve use "
                         "gradient_decay(model, x) or gradients.decay_from_trace(model, trace), which never build it")
    with np.errstate(all="ignore"), _blas.single_thread():
        try:
            return model.jacobians(trace)
        except KeyError as e:
            raise ValueError(f"the trace lacks {e}, which {model.kind}.jacobians needs: pass the Trace that "
                             "model.run(x) returned (not one assembled from pieces or made by another variant)") from None


def _check_trace(model, trace) -> None:
    """ValueError unless ``trace`` is a Trace that ``model`` could have recorded (its gates and sizes)."""
    if not isinstance(trace, Trace):
        raise ValueError(f"trace must be the Trace of model.run(x), got {type(trace).__name__}; "
                         "for an input x use jacobians(model, model.run(x))")
    gates, H, D = list(model.gate_names), model.hidden_size, model.input_size
    if sorted(trace.gates) != sorted(gates) or (trace.c is not None) != model.has_cell_state:
        raise ValueError(f"this trace has gates {list(trace.gates)}, but a {model.kind} records {gates}: "
                         "pass the trace of this model's own run")
    if trace.hidden_size != H or trace.x.ndim != 2 or trace.x.shape[1] != D:
        raise ValueError(f"this trace is of a cell with input size {trace.x.shape[-1]} and hidden size "
                         f"{trace.hidden_size}, but the model has {D} and {H}: pass the trace of this model's own run")


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
    """Yield J[t0:t1] (per-step Jacobians of steps t0+1..t1), last block first.

    For a cell with the LSTM's half-diagonal Jacobians (see ``_times_half_diagonal``)
    each block is its ``jacobian_parts`` instead: (left (n, S, S/2), diagonals (n, 2, S/2)).
    """
    block = block or block_size(trace.states.shape[1])
    jacobians = model.jacobian_parts if _half_diagonal(model) else model.jacobians
    for t1 in range(trace.T, 0, -block):
        yield jacobians(trace_window(trace, max(0, t1 - block), t1))


def _array_blocks(J: np.ndarray, block: int | None = None):
    block = block or block_size(J.shape[1])
    for t1 in range(J.shape[0], 0, -block):
        yield J[max(0, t1 - block) : t1]


def _half_diagonal(model) -> bool:
    """True for a cell whose Jacobians have a right half of two diagonal blocks (the LSTM, see below)."""
    return bool(getattr(model, "jacobian_half_diagonal", False))


def _times_half_diagonal(acc: np.ndarray, left: np.ndarray, diagonals: np.ndarray, out: np.ndarray) -> None:
    """out = acc @ J for acc: (R, 2H) and J = [left | [diag(a); diag(b)]], left: (2H, H), diagonals = (a, b): (2, H).

    That is the LSTM's shape (``LSTM.jacobian_parts``): d h_t / d c_{t-1} =
    diag(o (1 - tanh^2 c_t) f) and d c_t / d c_{t-1} = diag(f). The left half of
    the product is one (R, 2H) @ (2H, H) product, the right half acc[:, :H] a +
    acc[:, H:] b: half the multiplications of the full product.
    """
    R, H = acc.shape[0], left.shape[1]
    np.matmul(acc, left, out=out[:, :H])
    np.einsum("sjh,jh->sh", acc.reshape(R, 2, H), diagonals, out=out[:, H:])


def _lag_product_blocks(blocks, S: int, half_diagonal: bool = False, rows: int | None = None):
    """Fold Jacobian blocks (last block first) into normalised lag products.

    Yields (P, exponent, finite) for consecutive runs of lags k (1, 2, ... in
    order), with P: (n, R, S) such that P[i] * 2**exponent[i] = the first R rows
    of d s_T / d s_{T-k} exactly (R = rows, default S: all of it; R = H: d h_T /
    d s_{T-k}, the hidden state's rows, for R/S of the work), max |P[i]| in
    [1/2, 1) (or 0), and finite[i] False from the first non-finite factor on. P
    is a buffer reused for the next block: use it before asking for the next
    one. half_diagonal: the Jacobians have the LSTM's shape and come as its
    parts (see ``_model_blocks`` and ``_times_half_diagonal``), so each step costs half.
    """
    R = S if rows is None else rows
    acc = np.eye(S)[:R]  # (R, S) running product, up to the scale 2**e
    e, ok = 0, True
    buf = np.empty((0, R, S))
    for J in blocks:  # J: (n, S, S), steps in time order; half_diagonal: (left (n, S, S/2), diagonals (n, 2, S/2))
        J, diagonals = J if half_diagonal else (J, None)
        n = J.shape[0]
        if buf.shape[0] < n:
            buf = np.empty((n, R, S))
        P, exponent, finite = buf[:n], np.empty(n, dtype=np.int64), np.empty(n, dtype=bool)
        for i in range(n):
            if diagonals is None:
                np.matmul(acc, J[n - 1 - i], out=P[i])  # (R, S) @ (S, S): one step further back
            else:
                _times_half_diagonal(acc, J[n - 1 - i], diagonals[n - 1 - i], out=P[i])
            acc = P[i]
            if ok:
                m = max(acc.max(), -acc.min()) if S else 0.0
                if not math.isfinite(m):
                    ok = False
                elif m > 0:
                    k = math.frexp(m)[1]  # m = f * 2**k with f in [1/2, 1)
                    if k:
                        acc *= math.ldexp(1.0, -k)  # times 2**-k: exact, and far cheaper than np.ldexp
                        e += k
            if not ok:
                acc.fill(np.nan)
            exponent[i], finite[i] = e, ok
        yield P, exponent, finite
        acc = acc.copy()  # the buffer is about to be reused


def _gram_matvec(P: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(n, S) G q = P (P^T q) for every G = P[i] P[i]^T, without forming G. P: (n, S, S), q: (n, S)."""
    u = np.matmul(q[:, None, :], P)  # (n, 1, S): (P^T q)^T
    return np.matmul(P, u.transpose(0, 2, 1))[:, :, 0]


def _lanczos(A: np.ndarray, v0: np.ndarray, steps: int = LANCZOS_STEPS, gram: bool = False):
    """Top Ritz pair of each G = A[i] A[i]^T (or of G = A[i] itself if gram) from a Krylov space of ``steps`` vectors.

    A: (n, S, S) the factors P (then G q = P (P^T q): G is never formed), or the
    Gram matrices G themselves (gram=True: one product per vector instead of two).
    v0 is one (S,) start vector for all, or (n, S) one per matrix (none zero).
    Returns theta: (n,) Rayleigh quotients (each <= the largest eigenvalue),
    v: (n, S) unit Ritz vectors, r: (n,) residual norms ||G v - theta v||.
    """
    n, S = A.shape[0], A.shape[1]

    def times_G(q):  # (n, S) -> (n, S)
        return np.matmul(A, q[:, :, None])[:, :, 0] if gram else _gram_matvec(A, q)

    Q = np.empty((n, steps, S))  # (n, k, S) orthonormal Krylov basis, one vector per row
    GQ = np.empty((n, steps, S))  # (n, k, S) G applied to each basis vector
    q = np.broadcast_to(v0 / np.maximum(np.linalg.norm(v0, axis=-1, keepdims=True), 1e-300), (n, S))  # (n, S)
    for j in range(steps):
        Q[:, j], GQ[:, j] = q, times_G(q)
        if j == steps - 1:
            break
        w, Qj = GQ[:, j], Q[:, : j + 1]  # (n, S), (n, j+1, S)
        for _ in range(2):  # Gram-Schmidt twice keeps Q orthonormal
            w = w - np.matmul(np.matmul(Qj, w[:, :, None]).transpose(0, 2, 1), Qj)[:, 0]
        q = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-300)
    Tk = np.matmul(Q, GQ.transpose(0, 2, 1))  # (n, k, k) G restricted to the Krylov space
    y = np.linalg.eigh(0.5 * (Tk + Tk.transpose(0, 2, 1)))[1][:, :, -1]  # (n, k) top Ritz pair's coordinates
    v = np.matmul(y[:, None, :], Q)[:, 0]  # (n, S)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
    Gv = times_G(v)  # (n, S)
    theta = np.einsum("ni,ni->n", v, Gv)  # (n,)
    r = np.linalg.norm(Gv - theta[:, None] * v, axis=1)  # (n,)
    return theta, v, r


def _top_gram_eigenvalues(P: np.ndarray, v0: np.ndarray, steps: int = LANCZOS_STEPS, gram_first: bool = False):
    """(n,) largest eigenvalue of each G = P[i] P[i]^T, exact to CERTIFY_TOL (relative),
    (S,) a start vector for the next call (the last top Ritz vector), and the
    share of the n matrices whose G was needed (Lanczos and the trace bound alone
    could not settle them).

    Lanczos gives theta <= lambda_max (see the module docstring for the proofs
    that it is within CERTIFY_TOL); what it cannot prove goes to Cholesky, and
    what Cholesky cannot prove to eigvalsh.

    Args:
        P: (n, S, S) matrices (finite).
        v0: (S,) start vector (e.g. the top eigenvector of a neighbouring Gram matrix).
        gram_first: form every G at once and run Lanczos on it (one product per
            Krylov vector instead of two) rather than trying without G first: the
            cheaper order where G would be needed anyway, e.g. when the previous
            block's lags needed it (a GRU whose update gate keeps many directions
            of similar size alive, so no bound without G can separate the largest).
    """
    n, S, _ = P.shape
    if S < max(LANCZOS_MIN_S, 2 * steps) or n == 0:
        return np.linalg.eigvalsh(P @ P.transpose(0, 2, 1))[:, -1], v0, 1.0
    if not (np.isfinite(v0).all() and v0.any()):
        v0 = np.ones(S)
    trace = np.einsum("nij,nij->n", P, P) * (1.0 + 1e-10)  # (n,) trace(G) = ||P||_F^2, rounded up

    def kato_temple(theta, r, trace, second=None):
        """(n,) True where theta is proven within CERTIFY_TOL of the largest eigenvalue.

        second: (n,) an upper bound on every other eigenvalue (default trace - theta).
        """
        slack = 2.0 * S * np.finfo(float).eps * trace  # what rounding in G v may hide
        gap = theta - (trace - theta if second is None else second + slack)  # theta - (a bound on the others)
        r = r + slack
        with np.errstate(all="ignore"):
            return ((gap > 0) & (r * r <= CERTIFY_TOL * theta * gap)) | (trace == 0)  # or G = 0

    if gram_first:  # each Krylov vector costs half as much: take as many as both tries below together
        G = P @ P.transpose(0, 2, 1)  # (n, S, S)
        theta, v, r = _lanczos(G, v0, SHORT_LANCZOS_STEPS + steps, gram=True)
        proven = kato_temple(theta, r, trace)
    else:
        # First a short Krylov space: from a good start vector (the previous block's
        # top vector; a long product's top direction barely moves from lag to lag) it
        # is often enough. The rest go on from their Ritz vectors with more steps.
        theta, v, r = _lanczos(P, v0, SHORT_LANCZOS_STEPS)
        proven = kato_temple(theta, r, trace)
        more = np.nonzero(~proven)[0]
        if more.size == n:  # none settled: go on with all of them (P[more] would copy the whole block)
            theta, v, r = _lanczos(P, v, steps)
            proven = kato_temple(theta, r, trace)
        elif more.size:
            theta[more], v[more], r[more] = _lanczos(P[more], v[more], steps)
            proven[more] = kato_temple(theta[more], r[more], trace[more])
    theta = np.where(np.isfinite(theta), np.maximum(theta, 0.0), 0.0)
    top = theta.copy()
    rest = np.nonzero(~proven)[0]
    needed = rest.size / n  # the share of G that had to be formed (whether or not it was formed first)
    if rest.size:  # where the trace bound could not decide: a sharper bound from G, then Cholesky
        # G[at[i]] is the Gram matrix of lag rest[i] (G is indexed, not copied: a copy of a block of G costs
        # as much as the einsum that reads it)
        if gram_first:
            at = rest  # G: (n, S, S), all of the block's
        else:
            Pr = P if rest.size == n else P[rest]  # (m, S, S) (a copy only when some lags are settled)
            G, at = Pr @ Pr.transpose(0, 2, 1), np.arange(rest.size)  # (m, S, S)
        # every other eigenvalue: lambda_2^2 <= sum lambda_i^2 - lambda_1^2 <= ||G||_F^2 - theta^2
        if 2 * at.size > len(G):  # most of the block: read all of G rather than copy most of it
            fro2 = np.einsum("nij,nij->n", G, G)[at] * (1.0 + 1e-10)  # (m,) rounded up
        else:
            Gm = G[at]  # (m, S, S) a few: one small copy
            fro2 = np.einsum("nij,nij->n", Gm, Gm) * (1.0 + 1e-10)
        second = np.sqrt(np.maximum(fro2 - theta[rest] ** 2, 0.0))  # (m,)
        proven = kato_temple(theta[rest], r[rest], trace[rest], second)
        rest, at = rest[~proven], at[~proven]
    if rest.size:  # Cholesky of theta (1 + tol) I - G exists iff no eigenvalue exceeds that bound
        A = G[at]  # (m, S, S) a copy, negated in place
        np.negative(A, out=A)
        A.reshape(len(rest), S * S)[:, :: S + 1] += (theta[rest] * (1.0 + CERTIFY_TOL))[:, None]
        unproven = ~_positive_definite(A)  # (m,)
        if unproven.any():
            top[rest[unproven]] = np.linalg.eigvalsh(G[at[unproven]])[:, -1]
    return top, v[-1], needed


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


def _spectral_norms(P: np.ndarray, exponent: np.ndarray, finite: np.ndarray, v0: np.ndarray, gram_first: bool = False):
    """(n,) ||P[i]||_2 * 2**exponent[i] (NaN where not finite), the next Lanczos start vector,
    and whether the next block should form its Gram matrices first (most of these needed them)."""
    out = np.full(P.shape[0], np.nan)
    if finite.any():
        # ||P||_2^2 = top eigenvalue of P P^T
        lam, v0, needed = _top_gram_eigenvalues(P if finite.all() else P[finite], v0, gram_first=gram_first)
        out[finite] = np.ldexp(np.sqrt(np.maximum(lam, 0.0)), exponent[finite])
        gram_first = needed > 0.5
    return out, v0, gram_first


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


def _measure(blocks, T: int, S: int, lags: np.ndarray | None = None, with_influence: bool = False,
             half_diagonal: bool = False, hidden: int | None = None):
    """One pass over the lag products: the decay curve, and optionally the per-unit influence.

    hidden: None measures d s_T / d s_{T-k}, the whole state; H measures its
    leading (H, H) block d h_T / d h_{T-k} (the hidden state of a cell whose
    state is [h, c]), for which only H rows of the product are carried.
    Returns (decay, influence): decay (T+1,) for every lag, or (len(lags),) for
    the given lags only; influence (T+1, S) (or (T+1, H)) rows in time order
    (see ``influence``) or None.
    """
    R = S if hidden is None else hidden  # rows and columns measured
    want = np.ones(T + 1, dtype=bool)  # (T+1,) lags whose norm is needed
    if lags is not None:
        want[:] = False
        want[lags] = True
    last = T if with_influence else int(np.nonzero(want)[0][-1])  # the product stops at the largest lag needed
    decay = np.full(T + 1, np.nan)  # (T+1,)
    cols = np.full((T, R), np.nan) if with_influence else None  # (T, R) column norms, lag k = 1..T
    decay[0], k = 1.0, 1
    v0 = np.ones(R)  # Lanczos start; then each block starts from the previous block's top vector
    gram_first = False  # then as the previous block found best (see _top_gram_eigenvalues)
    with np.errstate(all="ignore"), _blas.single_thread():
        for P, exponent, finite in _lag_product_blocks(blocks, S, half_diagonal, rows=R):
            if k > last:
                break
            n = P.shape[0]
            if R < S:
                P = P[:, :, :R]  # (n, R, R) d h_T / d h_{T-k}: the h columns
            sel = want[k : k + n]  # (n,) which of this block's lags to measure
            if sel.all():
                decay[k : k + n], v0, gram_first = _spectral_norms(P, exponent, finite, v0, gram_first)
            elif sel.any():
                decay[k : k + n][sel], v0, gram_first = _spectral_norms(P[sel], exponent[sel], finite[sel], v0, gram_first)
            if with_influence:
                rows = cols[k - 1 : k - 1 + n]  # view
                rows[:] = np.ldexp(np.sqrt(np.einsum("nij,nij->nj", P, P)), exponent[:, None])  # NaN where not finite
            k += n
    influence = None
    if with_influence:
        influence = np.empty((T + 1, R))
        influence[T] = 1.0
        influence[:T] = cols[::-1]  # lag k -> time T - k
    return (decay if lags is None else decay[lags]), influence


def decay_from_jacobians(J: np.ndarray) -> np.ndarray:
    """(T+1,) spectral norms ||d s_T / d s_{T-k}||_2 for k = 0..T from J: (T, S, S)."""
    return _measure(_array_blocks(J), J.shape[0], J.shape[1])[0]


def decay_from_trace(model, trace: Trace, lags=None, *, hidden_only: bool = False) -> np.ndarray:
    """``gradient_decay`` of a run you already have, without running it again.

    Prefer this to ``decay_from_jacobians(jacobians(model, trace))``: it never
    builds the (T, S, S) Jacobian array (65 MB at T=500, S=128).
    hidden_only: ||d h_T / d h_{T-k}|| instead of the whole state's (see ``decay_and_influence``).
    """
    lags = _check_lags(lags, trace.T)
    return _measure(_model_blocks(model, trace), trace.T, trace.states.shape[1], lags,
                    half_diagonal=_half_diagonal(model), hidden=_hidden_rows(trace, hidden_only))[0]


def _hidden_rows(trace: Trace, hidden_only: bool) -> int | None:
    """H when only the hidden state's block is to be measured and the state is larger than h, else None."""
    return trace.hidden_size if hidden_only and trace.states.shape[1] != trace.hidden_size else None


def decay_and_influence(model, trace: Trace, lags=None, *, hidden_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``decay_from_trace`` and ``influence`` together, from one pass over the lag products.

    The product chain (one S x S matrix product per step) is most of the cost of
    either, so asking for both at once costs about as much as asking for one.

    hidden_only: measure the hidden state alone, decay[k] = ||d h_T / d h_{T-k}||
    and influence[t, j] = ||d h_T / d h_t[j]||. The same as the default for cells
    whose state is h (RNN, GRU); for the LSTM (state [h, c]) it is the block of
    the Jacobian products that maps h to h (the path through c included: h_{T-k}
    drives the gates that write c), and costs half: only H of the 2H rows of
    each product are carried.
    Returns (decay: (T+1,) or (len(lags),), influence: (T+1, S), or (T+1, H) if hidden_only).
    """
    lags = _check_lags(lags, trace.T)
    return _measure(_model_blocks(model, trace), trace.T, trace.states.shape[1], lags, with_influence=True,
                    half_diagonal=_half_diagonal(model), hidden=_hidden_rows(trace, hidden_only))


def gradient_decay(model, x, h0=None, *, lags=None, hidden_only: bool = False, **run_kwargs) -> np.ndarray:
    """(T+1,) decay[k] = ||d state_T / d state_{T-k}||_2 (spectral norm); decay[0] = 1.

    Args:
        model: a cell from gru_viz.cells (or a variant).
        x: (T, D) input sequence; h0: (H,) or None.
        lags: None (every lag k = 0..T, the default) or whole numbers in [0, T]:
            then the result is (len(lags),), decay at those lags only, each as
            exact as the full curve. Cheaper: norms are computed only there and
            the product stops at max(lags) (e.g. 100 log-spaced lags for a plot).
        hidden_only: ||d h_T / d h_{T-k}||_2 instead; differs from the default only
            for the LSTM, whose state is [h, c] (see ``decay_and_influence``).
        run_kwargs: passed to ``model.run`` (e.g. ``clamp={"update": 1.0}``).
    """
    if not (callable(getattr(model, "run", None)) and callable(getattr(model, "jacobians", None))):
        raise TypeError(f"model must be a cell such as gv.GRU(1, 8), got {type(model).__name__} {model!r}")
    return decay_from_trace(model, model.run(x, h0, **run_kwargs), lags=lags, hidden_only=hidden_only)


def singular_values(model, trace: Trace) -> np.ndarray:
    """(T+1, S) all singular values of d state_T / d state_{T-k}, largest first, k = 0..T."""
    T, S = trace.T, trace.states.shape[1]
    out = np.full((T + 1, S), np.nan)
    out[0], k = 1.0, 1
    with np.errstate(all="ignore"), _blas.single_thread():
        for P, exponent, finite in _lag_product_blocks(_model_blocks(model, trace), S, _half_diagonal(model)):
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
    return _measure(_model_blocks(model, trace), trace.T, trace.states.shape[1], np.array([0]), with_influence=True,
                    half_diagonal=_half_diagonal(model))[1]


def steps_until_below(decay: np.ndarray, threshold: float = 1e-6) -> int | None:
    """First lag k at which decay[k] < threshold, or None if it never falls that low."""
    below = np.nonzero(np.asarray(decay) < threshold)[0]
    return int(below[0]) if below.size else None
