"""One timestep of every gru-viz cell written with torch ops, for parity and autograd tests.

The equations are typed out again here, independently of gru_viz.cells, from
the PyTorch documentation (nn.RNN, nn.GRU, nn.LSTM) and from Cho et al. 2014
for the "cho2014" GRU. ``tests/test_parity.py`` checks that these steps
reproduce torch's own modules, so the hand-written variants (cho2014,
hard_sigmoid) that torch lacks rest on a verified reference.

A clamped gate is replaced by a constant with ``torch.where``, so autograd
sees no gradient through it, exactly the rule the NumPy core implements.
"""

from __future__ import annotations

import numpy as np
import torch


def weights(model) -> dict[str, torch.Tensor | None]:
    """The model's four parameter arrays as float64 tensors (biases None when bias=False)."""
    return {k: None if getattr(model, k) is None else torch.from_numpy(np.asarray(getattr(model, k)))
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def module_weights(module) -> dict[str, torch.Tensor | None]:
    """The same four tensors read from a torch.nn module (nn.X uses the _l0 suffix, nn.XCell none)."""
    suffix = "_l0" if hasattr(module, "weight_ih_l0") else ""
    return {k: getattr(module, k + suffix, None) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def _affine(W, b, v):
    out = W @ v
    return out if b is None else out + b


def _clamp(gate, name, clamp):
    if not clamp or name not in clamp:
        return gate
    v = torch.as_tensor(np.asarray(clamp[name], dtype=np.float64)).expand_as(gate)
    return torch.where(torch.isnan(v), gate, v)


def hard_sigmoid(a):
    """torch's Hardsigmoid, relu6(a + 3) / 6, written with clamp so autograd's derivative is exact.

    F.hardsigmoid computes the same forward values (test_parity checks it), but its
    backward multiplies by a single-precision 1/6 (0.16666667163...), a relative
    error of 3e-8 that would swamp a 1e-8 comparison of float64 gradients.
    """
    return torch.clamp(a + 3.0, 0.0, 6.0) / 6.0


def _gate_act(name):
    return torch.sigmoid if name == "sigmoid" else hard_sigmoid


def step(kind: str, p: dict, x_t, state, *, nonlinearity="tanh", variant="torch", gate_activation="sigmoid", clamp=None):
    """One step. state: (S,) tensor ([h, c] for the LSTM). Returns (new state (S,), gates dict)."""
    Wi, Wh, bi, bh = p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
    gi = _affine(Wi, bi, x_t)  # input part of all pre-activations
    if kind == "RNN":
        a = gi + _affine(Wh, bh, state)
        return (torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)), {}
    if kind == "GRU":
        s = _gate_act(gate_activation)
        h = state
        H = h.shape[0]
        W_hr, W_hz, W_hn = Wh[:H], Wh[H : 2 * H], Wh[2 * H :]
        b_hr, b_hz, b_hn = (None, None, None) if bh is None else (bh[:H], bh[H : 2 * H], bh[2 * H :])
        r = _clamp(s(gi[:H] + _affine(W_hr, b_hr, h)), "reset", clamp)
        z = _clamp(s(gi[H : 2 * H] + _affine(W_hz, b_hz, h)), "update", clamp)
        if variant == "torch":
            n = torch.tanh(gi[2 * H :] + r * _affine(W_hn, b_hn, h))
        else:  # cho2014: reset before the recurrent matrix
            n = torch.tanh(gi[2 * H :] + _affine(W_hn, b_hn, r * h))
        n = _clamp(n, "candidate", clamp)
        h_new = (1 - z) * n + z * h
        return h_new, {"reset": r, "update": z, "candidate": n}
    if kind == "LSTM":
        s = _gate_act(gate_activation)
        H = state.shape[0] // 2
        h, c = state[:H], state[H:]
        a = gi + _affine(Wh, bh, h)
        i = _clamp(s(a[:H]), "input", clamp)
        f = _clamp(s(a[H : 2 * H]), "forget", clamp)
        g = _clamp(torch.tanh(a[2 * H : 3 * H]), "cell", clamp)
        o = _clamp(s(a[3 * H :]), "output", clamp)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        return torch.cat([h_new, c_new]), {"input": i, "forget": f, "cell": g, "output": o}
    raise ValueError(kind)


def options(model) -> dict:
    """The keyword arguments of ``step`` that describe ``model``."""
    return {"nonlinearity": getattr(model, "nonlinearity", "tanh"), "variant": getattr(model, "variant", "torch"),
            "gate_activation": getattr(model, "gate_activation", "sigmoid")}


def run(model, x, state0=None, clamp=None, p=None):
    """All steps: returns states (T+1, S) and gates {name: (T, H)} as NumPy arrays."""
    p = weights(model) if p is None else p
    S = model.state_size
    state = torch.zeros(S, dtype=torch.float64) if state0 is None else torch.as_tensor(state0, dtype=torch.float64)
    states, gates = [state], {}
    with torch.no_grad():
        for x_t in torch.from_numpy(np.asarray(x, dtype=np.float64)):
            state, g = step(model.kind, p, x_t, state, clamp=clamp, **options(model))
            states.append(state)
            for k, v in g.items():
                gates.setdefault(k, []).append(v)
    return torch.stack(states).numpy(), {k: torch.stack(v).numpy() for k, v in gates.items()}


def jacobians(model, trace, clamp=None) -> np.ndarray:
    """(T, S, S) d state_t / d state_{t-1} by torch.autograd.functional.jacobian of ``step``."""
    p = weights(model)
    states = torch.from_numpy(trace.states)  # (T+1, S)
    xs = torch.from_numpy(trace.x)
    out = [torch.autograd.functional.jacobian(lambda s, x_t=x_t: step(model.kind, p, x_t, s, clamp=clamp, **options(model))[0],
                                              states[t], vectorize=True)
           for t, x_t in enumerate(xs)]
    return torch.stack(out).numpy()


def lag_products(J: np.ndarray) -> list[torch.Tensor]:
    """[d s_T / d s_{T-k} for k = 1..T] as plain (unscaled) products of the Jacobians J: (T, S, S)."""
    Jt = torch.from_numpy(J)
    acc, out = torch.eye(J.shape[1], dtype=torch.float64), []
    for k in range(1, J.shape[0] + 1):
        acc = acc @ Jt[-k]
        out.append(acc)
    return out


def gradient_decay(J: np.ndarray) -> np.ndarray:
    """(T+1,) ||d s_T / d s_{T-k}||_2 by torch.linalg.matrix_norm(ord=2) of the plain products."""
    return np.array([1.0] + [torch.linalg.matrix_norm(P, ord=2).item() for P in lag_products(J)])
