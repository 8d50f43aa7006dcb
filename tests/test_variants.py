"""Specification of the gated variants: parity with hand-written torch steps, Jacobians, scans, sizes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gru_viz as gv
from gru_viz import registry

TOL = 1e-10

# ----------------------------------------------------------------------------
# torch references, written from the papers' equations with the documented
# weight layout (slicing the raw arrays, not through the cell's own helpers)


def _t(a):
    return None if a is None else torch.from_numpy(np.asarray(a, dtype=np.float64))


def _blocks(a, n):
    """Split a (n*H, ...) tensor into n row blocks; zeros-like placeholders when a is None."""
    return [None] * n if a is None else list(torch.chunk(a, n, dim=0))


def _lin(W, v):
    return W @ v


def _b(b):
    return 0.0 if b is None else b


def _clamp(clamp, name, value):
    if name not in clamp:
        return value
    v = _t(clamp[name])
    return torch.where(torch.isnan(v), value, v)


def _hard_sigmoid(a):
    # torch.nn.Hardsigmoid's forward, written out: F.hardsigmoid's backward multiplies by
    # a float32 1/6 (0.16666667163...) even in float64, a 3e-8 relative error we must not inherit.
    return torch.clamp(a / 6 + 0.5, 0.0, 1.0)


def _act(model):
    return torch.sigmoid if model.gate_activation == "sigmoid" else _hard_sigmoid


def test_written_out_hard_sigmoid_is_torchs_hardsigmoid():
    a = torch.linspace(-5, 5, 101, dtype=torch.float64)
    assert (_hard_sigmoid(a) - F.hardsigmoid(a)).abs().max() <= 1e-15


def mgu_step(m, x, h, c, clamp):
    W_if, W_in = _blocks(_t(m.weight_ih), 2)
    W_hf, W_hn = _blocks(_t(m.weight_hh), 2)
    b_if, b_in = _blocks(_t(m.bias_ih), 2)
    b_hf, b_hn = _blocks(_t(m.bias_hh), 2)
    f = _clamp(clamp, "forget", _act(m)(W_if @ x + _b(b_if) + W_hf @ h + _b(b_hf)))
    n = _clamp(clamp, "candidate", torch.tanh(W_in @ x + _b(b_in) + W_hn @ (f * h) + _b(b_hn)))
    return (1 - f) * h + f * n, None, {"forget": f, "candidate": n}


def dey_salem_step(m, x, h, c, clamp):
    H = m.hidden_size
    (W_in,) = _blocks(_t(m.weight_ih), 1)
    (b_in,) = _blocks(_t(m.bias_ih), 1)
    if m.version in (1, 2):
        W_hr, W_hz, W_hn = _blocks(_t(m.weight_hh), 3)
    else:
        W_hr = W_hz = torch.zeros(H, H, dtype=torch.float64)
        (W_hn,) = _blocks(_t(m.weight_hh), 1)
    if m.version in (1, 3):
        b_hr, b_hz, b_hn = _blocks(_t(m.bias_hh), 3)
    else:
        b_hr = b_hz = None
        (b_hn,) = _blocks(_t(m.bias_hh), 1)
    r = _clamp(clamp, "reset", _act(m)(W_hr @ h + _b(b_hr)))
    z = _clamp(clamp, "update", _act(m)(W_hz @ h + _b(b_hz)))
    if m.variant == "torch":
        n = torch.tanh(W_in @ x + _b(b_in) + r * (W_hn @ h + _b(b_hn)))
    else:
        n = torch.tanh(W_in @ x + _b(b_in) + W_hn @ (r * h) + _b(b_hn))
    n = _clamp(clamp, "candidate", n)
    return (1 - z) * n + z * h, None, {"reset": r, "update": z, "candidate": n}


def mingru_step(m, x, h, c, clamp):
    W_iz, W_in = _blocks(_t(m.weight_ih), 2)
    b_iz, b_in = _blocks(_t(m.bias_ih), 2)
    z = _clamp(clamp, "update", _act(m)(W_iz @ x + _b(b_iz)))
    n = _clamp(clamp, "candidate", W_in @ x + _b(b_in))
    return z * h + (1 - z) * n, None, {"update": z, "candidate": n}


def cifg_step(m, x, h, c, clamp):
    W_if, W_ig, W_io = _blocks(_t(m.weight_ih), 3)
    U_f, U_g, U_o = _blocks(_t(m.weight_hh), 3)
    b_if, b_ig, b_io = _blocks(_t(m.bias_ih), 3)
    b_hf, b_hg, b_ho = _blocks(_t(m.bias_hh), 3)
    f = _clamp(clamp, "forget", _act(m)(W_if @ x + _b(b_if) + U_f @ h + _b(b_hf)))
    i = 1 - f
    g = _clamp(clamp, "cell", torch.tanh(W_ig @ x + _b(b_ig) + U_g @ h + _b(b_hg)))
    o = _clamp(clamp, "output", _act(m)(W_io @ x + _b(b_io) + U_o @ h + _b(b_ho)))
    c = f * c + i * g
    return o * torch.tanh(c), c, {"input": i, "forget": f, "cell": g, "output": o}


STEPS = {gv.MGU: mgu_step, gv.DeySalemGRU: dey_salem_step, gv.MinGRU: mingru_step, gv.CIFG: cifg_step}

CASES = {  # id -> constructor (D=3, H=4)
    "mgu": lambda **kw: gv.MGU(3, 4, **kw),
    "gru1": lambda **kw: gv.DeySalemGRU(3, 4, version=1, **kw),
    "gru2": lambda **kw: gv.DeySalemGRU(3, 4, version=2, **kw),
    "gru3": lambda **kw: gv.DeySalemGRU(3, 4, version=3, **kw),
    "gru1_cho": lambda **kw: gv.DeySalemGRU(3, 4, version=1, variant="cho2014", **kw),
    "gru3_cho": lambda **kw: gv.DeySalemGRU(3, 4, version=3, variant="cho2014", **kw),
    "mingru": lambda **kw: gv.MinGRU(3, 4, **kw),
    "cifg": lambda **kw: gv.CIFG(3, 4, **kw),
}


def _inputs(model, T=15, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, model.input_size))  # (T, D)
    h0 = rng.uniform(-0.8, 0.8, model.hidden_size)  # (H,)
    c0 = rng.uniform(-1.5, 1.5, model.hidden_size) if model.has_cell_state else None
    return x, h0, c0


def torch_run(model, x, h0, c0=None, clamp=None):
    """Reference loop: (T, H) hidden states, gates dict of (T, H), (T, H) cells or None."""
    step, clamp = STEPS[type(model)], clamp or {}
    h, c = _t(h0), _t(c0)
    hs, cs, gates = [], [], {}
    for x_t in _t(x):
        h, c, g = step(model, x_t, h, c, clamp)
        hs.append(h)
        cs.append(c)
        for k, v in g.items():
            gates.setdefault(k, []).append(v)
    stack = lambda vs: torch.stack(vs).numpy()  # noqa: E731
    return stack(hs), {k: stack(v) for k, v in gates.items()}, (stack(cs) if c is not None else None)


def torch_jacobians(model, trace, clamp=None):
    """(T, S, S) per-step Jacobians of the torch reference step, by autograd."""
    step, clamp, H = STEPS[type(model)], clamp or {}, model.hidden_size
    S_prev = trace.states[:-1]  # (T, S)
    out = []
    for x_t, s in zip(_t(trace.x), _t(S_prev), strict=True):

        def f(s, x_t=x_t):
            h, c = (s[:H], s[H:]) if model.has_cell_state else (s, None)
            h_t, c_t, _ = step(model, x_t, h, c, clamp)
            return torch.cat([h_t, c_t]) if c_t is not None else h_t

        out.append(torch.autograd.functional.jacobian(f, s).numpy())
    return np.stack(out)


# ----------------------------------------------------------------------------
# parity with the torch references


@pytest.mark.parametrize("act", ["sigmoid", "hard_sigmoid"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_variant_matches_its_torch_reference_in_float64(case, act):
    model = CASES[case](seed=3, init_scale=2.5, gate_activation=act)
    x, h0, c0 = _inputs(model)
    trace = model.run(x, h0, c0=c0)
    h, gates, c = torch_run(model, x, h0, c0)
    assert np.abs(trace.h - h).max() <= TOL
    assert set(trace.gates) == set(gates)
    for k in gates:
        assert np.abs(trace.gates[k] - gates[k]).max() <= TOL, k
    if c is not None:
        assert np.abs(trace.c - c).max() <= TOL


@pytest.mark.parametrize("case", ["mgu", "gru1", "gru2", "mingru", "cifg"])
def test_variants_without_bias_match_torch_reference(case):
    model = CASES[case](seed=4, bias=False)
    x, h0, c0 = _inputs(model, T=6)
    assert model.bias_ih is None and model.bias_hh is None
    assert np.abs(model.run(x, h0, c0=c0).h - torch_run(model, x, h0, c0)[0]).max() <= TOL


def test_hard_sigmoid_gates_can_be_exactly_zero_and_one_in_the_variants():
    model = gv.MGU(3, 4, seed=0, init_scale=30.0, gate_activation="hard_sigmoid")
    f = model.run(_inputs(model, T=40)[0]).gates["forget"]
    assert (f == 0.0).any() and (f == 1.0).any()


# ----------------------------------------------------------------------------
# analytic Jacobians against torch.autograd


def _rel_err(J, J_ref):
    return np.abs(J - J_ref).max() / max(np.abs(J_ref).max(), 1e-300)


@pytest.mark.parametrize("act", ["sigmoid", "hard_sigmoid"])
@pytest.mark.parametrize("case", list(CASES))
def test_analytic_jacobians_match_autograd(case, act):
    model = CASES[case](seed=5, init_scale=2.0, gate_activation=act)
    x, h0, c0 = _inputs(model, T=8, seed=2)
    trace = model.run(x, h0, c0=c0)
    J = gv.jacobians(model, trace)
    assert J.shape == (8, model.state_size, model.state_size)
    assert _rel_err(J, torch_jacobians(model, trace)) <= 1e-8


@pytest.mark.parametrize(
    "case, clamp",
    [("mgu", {"forget": [np.nan, 0.2, 1.0, np.nan]}), ("gru1", {"update": 0.9, "reset": [1, np.nan, np.nan, 0]}),
     ("mingru", {"update": [np.nan, 1.0, np.nan, 0.5]}), ("cifg", {"forget": [1.0, np.nan, 0.3, np.nan]})],
)
def test_clamped_gates_pass_no_gradient_in_jacobians_and_runs(case, clamp):
    model = CASES[case](seed=6, init_scale=2.0)
    x, h0, c0 = _inputs(model, T=6, seed=3)
    trace = model.run(x, h0, c0=c0, clamp=clamp)
    h, _, _ = torch_run(model, x, h0, c0, clamp=trace.clamp)
    assert np.abs(trace.h - h).max() <= TOL
    assert _rel_err(gv.jacobians(model, trace), torch_jacobians(model, trace, trace.clamp)) <= 1e-8


@pytest.mark.parametrize("case", ["mgu", "gru2", "gru3", "mingru", "cifg"])
def test_gradient_decay_equals_autograd_through_the_whole_sequence(case):
    model = CASES[case](seed=7, init_scale=1.5)
    x, h0, c0 = _inputs(model, T=10, seed=4)
    decay = gv.gradient_decay(model, x, h0, c0=c0)
    step, H = STEPS[type(model)], model.hidden_size
    s0 = _t(model.run(x, h0, c0=c0).states[0])  # (S,) [h0, c0]

    def final_state(s):
        h, c = (s[:H], s[H:]) if model.has_cell_state else (s, None)
        for x_t in _t(x):
            h, c, _ = step(model, x_t, h, c, {})
        return torch.cat([h, c]) if c is not None else h

    J_total = torch.autograd.functional.jacobian(final_state, s0).numpy()  # (S, S) d s_T / d s_0
    assert decay.shape == (11,)
    assert abs(decay[10] - np.linalg.norm(J_total, 2)) <= 1e-9 * np.linalg.norm(J_total, 2)


def test_mingru_jacobian_is_the_update_gate_on_the_diagonal():
    model = gv.MinGRU(2, 3, seed=0)
    trace = model.run(_inputs(model, T=5)[0])
    J = model.jacobians(trace)
    assert np.array_equal(np.diagonal(J, axis1=1, axis2=2), trace.gates["update"])
    assert np.count_nonzero(J - J * np.eye(3)) == 0


def test_gru3_gates_are_constant_over_time():
    trace = gv.DeySalemGRU(3, 4, version=3, seed=0).run(_inputs(gv.MGU(3, 4))[0])
    assert np.ptp(trace.gates["update"], axis=0).max() == 0.0
    assert np.ptp(trace.gates["reset"], axis=0).max() == 0.0


# ----------------------------------------------------------------------------
# minGRU: the parallel scan computes the sequential recurrence


@pytest.mark.parametrize("method", ["scan", "log"])
@pytest.mark.parametrize("T", [1, 2, 7, 64, 301])
def test_mingru_parallel_scan_equals_sequential_run(method, T):
    model = gv.MinGRU(3, 5, seed=T, init_scale=2.0)
    rng = np.random.default_rng(T)
    x, h0 = rng.standard_normal((T, 3)) * 2, rng.uniform(-2, 2, 5)
    seq, par = model.run(x, h0), model.run_parallel(x, h0, method=method)
    assert np.abs(seq.h - par.h).max() <= 1e-10
    for k in seq.gates:
        assert np.abs(seq.gates[k] - par.gates[k]).max() <= 1e-10


def test_mingru_log_scan_stays_accurate_when_the_state_is_held_for_thousands_of_steps():
    model = gv.MinGRU(1, 3, seed=0)
    model.bias_ih[:3] = 12.0  # update gate ~ 1 - 6e-6: the state is kept almost unchanged
    x = np.random.default_rng(0).standard_normal((5000, 1))
    seq = model.run(x, h0=np.array([1.0, -0.5, 0.25]))
    for method in ("scan", "log"):
        assert np.abs(model.run_parallel(x, seq.h0, method=method).h - seq.h).max() <= 1e-10


def test_mingru_scan_handles_clamped_and_hard_gates():
    model = gv.MinGRU(3, 4, seed=2, init_scale=20.0, gate_activation="hard_sigmoid")
    x, h0, _ = _inputs(model, T=33)
    clamp = {"update": [np.nan, 0.0, 1.0, np.nan]}
    seq = model.run(x, h0, clamp=clamp)
    assert np.abs(model.run_parallel(x, h0, clamp=clamp).h - seq.h).max() <= 1e-10
    with pytest.raises(ValueError, match="log-space scan needs every update gate > 0"):
        model.run_parallel(x, h0, clamp=clamp, method="log")


# ----------------------------------------------------------------------------
# parameter counts and cost


@pytest.mark.parametrize("key", list(registry.CELLS))
@pytest.mark.parametrize("D, H", [(1, 1), (3, 8), (10, 5)])
def test_parameter_count_formula_matches_the_built_cell(key, D, H):
    spec = registry.get(key)
    assert registry.build(key, D, H).n_params == spec.params(D, H)


@pytest.mark.parametrize("key, module", [("rnn", "RNN"), ("gru", "GRU"), ("gru_hard", "GRU"), ("lstm", "LSTM")])
def test_parameter_count_formula_matches_torch_modules(key, module):
    m = getattr(torch.nn, module)(6, 9)
    assert sum(p.numel() for p in m.parameters()) == registry.get(key).params(6, 9)


def test_formulas_read_as_the_textbook_counts():
    D, H = 7, 11
    base = H * D + H * H + 2 * H
    assert registry.get("gru").params(D, H) == 3 * base
    assert registry.get("lstm").params(D, H) == 4 * base
    assert registry.get("mgu").params(D, H) == 2 * base
    assert registry.get("mingru").params(D, H) == 2 * (H * D + H)
    assert registry.get("gru3").params(D, H) < registry.get("gru2").params(D, H) < registry.get("gru1").params(D, H)


def test_flops_per_step_count_weights_biases_and_elementwise_ops():
    D, H = 4, 6
    assert registry.flops_per_step("gru", D, H) == 2 * 3 * (H * D + H * H) + 6 * H + 11 * H
    assert registry.flops_per_step("mingru", D, H) == 2 * 2 * H * D + 2 * H + 5 * H
    table = registry.cost_table(["rnn", "gru", "lstm", "mingru"], D, H)
    assert [r["label"] for r in table] == ["RNN (tanh)", "GRU", "LSTM", "minGRU"]
    assert table[2]["flops"] > table[1]["flops"] > table[0]["flops"]


def test_measured_time_per_step_is_a_positive_number():
    t = registry.time_per_step(gv.MGU(2, 3), T=20, repeats=2)
    assert 0 < t < 1.0


def test_registry_gate_activation_is_what_the_cell_uses():
    for key, spec in registry.CELLS.items():
        model = registry.build(key, 2, 3)
        assert getattr(model, "gate_activation", "none") == spec.gate_activation, key


# ----------------------------------------------------------------------------
# bad input


def test_bad_constructor_arguments_raise_clear_value_errors():
    with pytest.raises(ValueError, match="version must be 1, 2 or 3"):
        gv.DeySalemGRU(2, 3, version=4)
    with pytest.raises(ValueError, match="unknown GRU variant"):
        gv.DeySalemGRU(2, 3, variant="keras")
    with pytest.raises(ValueError, match="unknown gate_activation"):
        gv.MGU(2, 3, gate_activation="relu")
    with pytest.raises(ValueError, match="GRU3's gates are biases only"):
        gv.DeySalemGRU(2, 3, version=3, bias=False)
    with pytest.raises(ValueError, match=r"hidden size H must be in \[1, 512\]"):
        gv.MinGRU(2, 0)
    with pytest.raises(ValueError, match="init_scale"):
        gv.CIFG(2, 3, init_scale=float("nan"))
    with pytest.raises(ValueError, match="unknown cell 'grux'"):
        registry.get("grux")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_inputs_raise_value_errors(case):
    model = CASES[case]()
    with pytest.raises(ValueError, match="input_size is 3"):
        model.run(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.run(np.full((5, 3), np.nan))
    with pytest.raises(ValueError, match=r"h0 must have shape \(4,\)"):
        model.run(np.zeros((5, 3)), h0=np.zeros(3))
    with pytest.raises(ValueError, match="cannot clamp"):
        model.run(np.zeros((5, 3)), clamp={"nonsense": 0.5})


def test_variant_specific_misuse_is_refused():
    with pytest.raises(ValueError, match="clamp 'forget' instead"):
        gv.CIFG(2, 3).run(np.zeros((4, 2)), clamp={"input": 0.5})
    with pytest.raises(ValueError, match="method must be 'scan' or 'log'"):
        gv.MinGRU(2, 3).run_parallel(np.zeros((4, 2)), method="fft")
    with pytest.raises(ValueError, match="has no torch.nn equivalent"):
        gv.MGU(2, 3).to_torch()
    with pytest.raises(ValueError, match="no torch.nn counterpart"):
        gv.MinGRU.from_torch(torch.nn.GRU(2, 3))
    with pytest.raises(ValueError, match="has no block"):
        gv.MinGRU(2, 3).block("reset")


def test_exploding_variant_runs_report_non_finite_instead_of_crashing():
    model = gv.MinGRU(1, 2, seed=0)
    model.weight_ih[2:] = 1e308  # candidate weights at the edge of float64
    trace = model.run(np.full((3, 1), 10.0))
    assert not trace.finite
    # minGRU's Jacobian is diag(z): the gradient stays finite even when the state overflows
    decay = gv.gradient_decay(model, trace.x)
    assert decay.shape == (4,) and np.isfinite(decay).all()


def test_compare_runs_gives_every_cell_the_same_input_and_its_own_decay():
    x = gv.tasks.pulse(12)
    runs = registry.compare_runs(["gru", "lstm", "mgu", "mingru"], x, hidden_size=5, seed=3)
    assert [r["kind"] for r in runs] == ["GRU", "LSTM", "MGU", "minGRU"]
    for r in runs:
        assert np.array_equal(r["trace"].x, x)
        model = registry.build(r["key"], 1, 5, seed=3)
        assert np.array_equal(r["decay"], gv.gradient_decay(model, x))
        assert r["grad_T"] == r["decay"][12]
    with pytest.raises(ValueError, match="1 to 4 distinct cells"):
        registry.compare_runs(["gru", "gru"], x, 5)


@pytest.mark.parametrize("case", ["mgu", "gru3", "mingru", "cifg"])
def test_influence_and_singular_values_work_for_every_variant(case):
    model = CASES[case](seed=8)
    x, h0, c0 = _inputs(model, T=6)
    trace = model.run(x, h0, c0=c0)
    sv = gv.singular_values(model, trace)
    assert sv.shape == (7, model.state_size)
    assert np.allclose(sv[:, 0], gv.gradient_decay(model, x, h0, c0=c0), rtol=1e-12, atol=0)
    inf = gv.influence(model, trace)
    assert inf.shape == (7, model.state_size) and np.all(inf[-1] == 1.0) and np.isfinite(inf).all()
