"""A recurrent cell as a dynamical system: the map h_{t-1} -> h_t under constant input.

With the input held at a constant x, one step of a cell is a map F of the
state space into itself, h_t = F(h_{t-1}). For two hidden units we can draw it
whole: the arrow at h is F(h) - h (where one step moves the state), a fixed
point solves F(h*) = h*, and it attracts when every eigenvalue of the step
Jacobian dF/dh at h* has modulus < 1 (Strogatz, "Nonlinear dynamics and
chaos"; Sussillo & Barak 2013, "Opening the black box" for RNNs).

Why the GRU is slower: with the update gate z held at a constant z0 and the
reset gate open (r = 1), the GRU's step is F(h) = z0 h + (1 - z0) tanh(W h + u x + b),
the RNN's step mixed with "stay where you are". It has the *same* fixed points
as the RNN with candidate weights W (with r = s(b_r) < 1 the candidate sees
r * W h and they move slightly: at b_r = 6, in the third decimal; z0 never moves
them), every arrow is (1 - z0) times as long,
and every Jacobian eigenvalue lambda becomes z0 + (1 - z0) lambda, closer to 1:
the update gate slows the dynamics without moving the attractors.

Everything here evaluates the cells of gru_viz.cells through their own
``run``, ``one_step`` and ``jacobians``: no second copy of the equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_viz.cells import GRU, VanillaRNN

INPUT_WEIGHTS = np.array([1.0, -1.0])  # (2,) how the constant input x drives the two units


def two_unit_cells(W, b_update: float = 0.0, b_reset: float = 5.0, w_update: float = 0.0, bias=(0.0, 0.0)):
    """A 2-unit tanh RNN and a 2-unit GRU (input size 1) that share their recurrent weights.

    Args:
        W: (2, 2) recurrent weights: the RNN's W_hh and the GRU's candidate W_hn.
        b_update: update-gate bias b_z of both GRU units (z = s(b_z) when w_update = 0; z = 1 keeps the state).
        b_reset: reset-gate bias b_r (large = reset gate open, the candidate sees all of h).
        w_update: W_hz = w_update * I, lets the update gate depend on each unit's own state.
        bias: (2,) candidate / RNN bias b.
    Returns:
        (rnn, gru). The input weights are INPUT_WEIGHTS for both the RNN and the candidate;
        the gates ignore the input (W_ir = W_iz = 0) so they are set by the sliders alone.
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    if W.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"W must be (2, 2) and bias (2,); got {W.shape} and {b.shape}")
    values = np.concatenate([W.ravel(), b, [b_update, b_reset, w_update]])
    if not np.isfinite(values).all():
        raise ValueError("weights and biases must be finite numbers")
    rnn = VanillaRNN(1, 2, seed=0)
    rnn.weight_ih, rnn.weight_hh = INPUT_WEIGHTS[:, None].copy(), W.copy()  # (2, 1), (2, 2)
    rnn.bias_ih, rnn.bias_hh = b.copy(), np.zeros(2)
    gru = GRU(1, 2, seed=0)
    gru.weight_ih = np.vstack([np.zeros((4, 1)), INPUT_WEIGHTS[:, None]])  # (6, 1): W_ir = W_iz = 0, W_in
    gru.weight_hh = np.vstack([np.zeros((2, 2)), w_update * np.eye(2), W])  # (6, 2): W_hr = 0, W_hz, W_hn
    gru.bias_ih = np.concatenate([np.full(2, b_reset), np.full(2, b_update), b])  # (6,)
    gru.bias_hh = np.zeros(6)
    return rnn, gru


def step(model, h, x: float = 0.0) -> np.ndarray:
    """(N, 2) -> (N, 2): one step F(h) from each of N states under constant input x."""
    return model.one_step(np.full(model.input_size, float(x)), h)  # all N states in one call


def step_jacobian(model, h, x: float = 0.0) -> np.ndarray:
    """(S, S) dF/dh at state h, from the cell's closed-form Jacobian."""
    trace = model.run(np.full((1, model.input_size), float(x)), np.asarray(h, dtype=np.float64))
    return model.jacobians(trace)[0]


def vector_field(model, x: float = 0.0, lim: float = 1.2, n: int = 17):
    """Arrows of the map on an n x n grid over [-lim, lim]^2.

    Returns (h1, h2, d1, d2): each (n*n,), the grid points and the step F(h) - h.
    """
    if not (2 <= n <= 60):
        raise ValueError(f"grid size n must be in [2, 60], got {n}")
    g = np.linspace(-lim, lim, n)  # (n,)
    H1, H2 = np.meshgrid(g, g)  # (n, n)
    pts = np.column_stack([H1.ravel(), H2.ravel()])  # (n*n, 2)
    d = step(model, pts, x) - pts  # (n*n, 2)
    return pts[:, 0], pts[:, 1], d[:, 0], d[:, 1]


def speed_grid(model, x: float = 0.0, lim: float = 1.2, n: int = 41):
    """(n,), (n, n): grid coordinates and |F(h) - h| (rows = h2, columns = h1) for a background heatmap."""
    g = np.linspace(-lim, lim, n)
    h1, h2, d1, d2 = vector_field(model, x, lim, n)
    return g, np.hypot(d1, d2).reshape(n, n)


def trajectory(model, h0, x: float = 0.0, steps: int = 30) -> np.ndarray:
    """(steps+1, 2) the states h_0, F(h_0), F(F(h_0)), ... under constant input x."""
    h0 = np.asarray(h0, dtype=np.float64)
    trace = model.run(np.full((steps, model.input_size), float(x)), h0)
    return np.vstack([h0[None], trace.h])


@dataclass
class FixedPoint:
    h: np.ndarray  # (2,) the state with F(h) = h
    eigenvalues: np.ndarray  # (2,) complex eigenvalues of dF/dh at h
    kind: str  # "stable" (all |lambda| < 1), "unstable" (all > 1) or "saddle"

    @property
    def rate(self) -> float:
        """Largest |lambda|: near a stable point, the distance shrinks by this factor per step."""
        return float(np.abs(self.eigenvalues).max())


def fixed_points(model, x: float = 0.0, lim: float = 1.2, starts: int = 7, tol: float = 1e-12, max_iter: int = 40):
    """All fixed points F(h*) = h* found by Newton's method from a starts x starts grid.

    Newton on G(h) = F(h) - h with G' = dF/dh - I, damped so a step never grows
    |G|; a root is kept when |G| < tol * 100 and merged with any other within
    1e-6. Points outside [-lim-0.5, lim+0.5]^2 are dropped. Newton's dF/dh comes
    from central differences of batched steps (``_newton_jacobians``: it only
    steers the search, whose end is judged by |G| alone); each fixed point's
    eigenvalues come from the closed-form Jacobian (``step_jacobian``).
    Returns a list of FixedPoint, stable points first.
    """
    g = np.linspace(-lim, lim, starts)
    h = np.array([[a, b] for a in g for b in g])  # (M, 2) the starts; every start runs its own Newton iteration,
    I = np.eye(2)  # all of them advanced together (one batched step of the cell per trial)
    found: list[FixedPoint] = []
    with np.errstate(all="ignore"):
        G = step(model, h, x) - h  # (M, 2)
        active = np.ones(len(h), dtype=bool)
        for _ in range(max_iter):
            active &= np.abs(G).max(axis=1) >= tol
            rows = np.flatnonzero(active)
            if rows.size == 0:
                break
            J = _newton_jacobians(model, h[rows], x) - I  # (k, 2, 2)
            dh = _newton_steps(J, -G[rows])  # (k, 2)
            size = np.abs(G[rows]).max(axis=1)  # (k,) |G| to beat
            # backtracking: the first of the step lengths t = 1, 1/2, ..., 1/512 that decreases |G|, all tried at once
            h_new = h[rows, None, :] + BACKTRACK[None, :, None] * dh[:, None, :]  # (k, 10, 2)
            G_new = (step(model, h_new.reshape(-1, 2), x) - h_new.reshape(-1, 2)).reshape(h_new.shape)
            ok = np.abs(G_new).max(axis=2) < size[:, None]  # (k, 10)
            moved, first = ok.any(axis=1), ok.argmax(axis=1)  # (k,), (k,)
            h[rows[moved]], G[rows[moved]] = h_new[moved, first[moved]], G_new[moved, first[moved]]
            active[rows[~moved]] = False  # stuck: not a root from this start
        for h_i, G_i in zip(h, G, strict=True):
            if np.abs(G_i).max() > 100 * tol or np.abs(h_i).max() > lim + 0.5:
                continue
            if any(np.abs(fp.h - h_i).max() < 1e-6 for fp in found):
                continue
            lam = np.linalg.eigvals(step_jacobian(model, h_i, x))
            mod = np.abs(lam)
            kind = "stable" if (mod < 1).all() else "unstable" if (mod > 1).all() else "saddle"
            found.append(FixedPoint(h=h_i, eigenvalues=lam, kind=kind))
    return sorted(found, key=lambda fp: (fp.kind != "stable", fp.h[0], fp.h[1]))


BACKTRACK = 0.5 ** np.arange(10)  # (10,) Newton's step lengths, longest first
NEWTON_EPS = 1e-6  # central differences: error ~ eps^2 (third derivative) + 1e-16 / eps, about 1e-10


def _newton_jacobians(model, h: np.ndarray, x: float) -> np.ndarray:
    """(k, S, S) dF/dh at k states h: (k, S), by central differences, all 2 S k steps in one batched call.

    For Newton's direction only: an error of ~1e-10 in J changes the path to a
    root, not the root (``fixed_points`` accepts a point by |F(h) - h| alone).
    One call instead of k runs of the cell: the Phase Portrait searches from 49
    starts for several rounds on every slider move.
    """
    k, S = h.shape
    offsets = NEWTON_EPS * np.vstack([np.eye(S), -np.eye(S)])  # (2S, S): +eps e_j, then -eps e_j
    F = step(model, (h[:, None, :] + offsets[None]).reshape(-1, S), x).reshape(k, 2, S, S)  # [i, sign, j, :]
    return (F[:, 0] - F[:, 1]).transpose(0, 2, 1) / (2 * NEWTON_EPS)  # [i, :, j] = dF/dh_j


def _newton_steps(J: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """(k, 2, 2), (k, 2) -> (k, 2): solve J dh = rhs for each row; least squares where J is singular."""
    try:
        return np.linalg.solve(J, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(rhs)
        for i in range(len(J)):
            try:
                out[i] = np.linalg.solve(J[i], rhs[i])
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(J[i], rhs[i], rcond=None)[0]
        return out


def steps_to_settle(path: np.ndarray, target: np.ndarray, tol: float = 0.01) -> int | None:
    """First step at which a trajectory (steps+1, 2) comes within ``tol`` of ``target`` and stays; None if never."""
    dist = np.abs(path - np.asarray(target)[None]).max(axis=1)  # (steps+1,)
    far = np.nonzero(dist >= tol)[0]
    if far.size == 0:
        return 0
    k = int(far[-1]) + 1
    return k if k < len(path) else None


def settle_steps(model, h0, x: float = 0.0, attractors=None, max_steps: int = 300, tol: float = 0.01) -> int | None:
    """Steps from h0 until the state comes within ``tol`` of an attractor and stays; None if not within max_steps.

    ``attractors``: (k, 2) stable fixed points (default: found with fixed_points). The
    trajectory is followed for ``max_steps`` steps; its end must be within ``tol`` of
    one of them (the nearest is the target).
    """
    if attractors is None:
        attractors = [fp.h for fp in fixed_points(model, x) if fp.kind == "stable"]
    attractors = np.asarray(attractors, dtype=np.float64).reshape(-1, 2)
    if len(attractors) == 0:
        return None
    path = _trajectory_until_still(model, h0, x, max_steps)
    dist = np.abs(attractors - path[-1][None]).max(axis=1)  # (k,)
    if dist.min() >= tol:
        return None
    return steps_to_settle(path, attractors[int(dist.argmin())], tol)


STILL_CHUNK = 100  # steps per run while looking for a state that no longer moves


def _trajectory_until_still(model, h0, x: float, steps: int) -> np.ndarray:
    """``trajectory(model, h0, x, steps)``, run STILL_CHUNK steps at a time and cut short once a step leaves the
    state exactly as it was: the map is deterministic, so every later state is that one too (padded).

    A trajectory that converges to a stable fixed point usually stops moving in floating point after a few
    hundred steps, so ``settle_steps`` rarely needs all of its SETTLE_MAX_STEPS.
    """
    path = np.empty((steps + 1, len(h0)))
    path[0] = h0
    t = 0
    while t < steps:
        n = min(STILL_CHUNK, steps - t)
        path[t + 1 : t + n + 1] = trajectory(model, path[t], x, n)[1:]
        t += n
        if (path[t] == path[t - 1]).all():
            path[t + 1 :] = path[t]
            break
    return path


START_POINTS = np.array([[-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [1.0, 1.0]])  # (4, 2) trajectory starts


SETTLE_MAX_STEPS = 1000  # how long portrait() waits for a trajectory to settle


def portrait(model, x: float = 0.0, lim: float = 1.2, n: int = 17, steps: int = 20, starts=START_POINTS) -> dict:
    """Everything one phase-portrait panel shows, for a 2-unit cell under constant input x.

    Returns a dict: field (h1, h2, d1, d2) arrows, speed (g, |F(h) - h| grid),
    fixed_points (list of FixedPoint), trajectories (list of (steps+1, 2)),
    mean_step (mean arrow length over the grid) and settle (steps to settle from
    each start, None where it has not settled within SETTLE_MAX_STEPS).
    """
    field = vector_field(model, x, lim, n)
    starts = np.asarray(starts, dtype=np.float64)
    fps = fixed_points(model, x, lim)
    attractors = [fp.h for fp in fps if fp.kind == "stable"]
    return {
        "field": field,
        "speed": speed_grid(model, x, lim, 2 * n + 1),
        "fixed_points": fps,
        "trajectories": [trajectory(model, h0, x, steps) for h0 in starts],
        "mean_step": float(np.hypot(field[2], field[3]).mean()),
        "settle": [settle_steps(model, h0, x, attractors, SETTLE_MAX_STEPS) for h0 in starts],
    }
