"""Closed-form backprop through time agrees with torch.autograd (<= 1e-8 relative).

The autograd route: torch.autograd.functional.jacobian of the torch reference
step (tests/torch_reference.py) at every timestep, plain products of those
Jacobians, and torch.linalg norms / singular values of the products.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import gru_viz as gv
from gru_viz import gradients, weights
from tests import torch_reference as ref

RTOL = 1e-8

MODELS = {
    "rnn-tanh": lambda D, H, **kw: gv.VanillaRNN(D, H, **kw),
    "rnn-relu": lambda D, H, **kw: gv.VanillaRNN(D, H, nonlinearity="relu", **kw),
    "gru": lambda D, H, **kw: gv.GRU(D, H, **kw),
    "gru-cho2014": lambda D, H, **kw: gv.GRU(D, H, variant="cho2014", **kw),
    "gru-hard": lambda D, H, **kw: gv.GRU(D, H, gate_activation="hard_sigmoid", **kw),
    "gru-cho2014-hard": lambda D, H, **kw: gv.GRU(D, H, variant="cho2014", gate_activation="hard_sigmoid", **kw),
    "lstm": lambda D, H, **kw: gv.LSTM(D, H, **kw),
    "lstm-hard": lambda D, H, **kw: gv.LSTM(D, H, gate_activation="hard_sigmoid", **kw),
}


def _rel(a, b) -> float:
    """max |a - b| relative to max |b| (the scale of the reference)."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _rel_each(a, b) -> float:
    """max over entries of |a - b| / |b|, for curves spanning many orders of magnitude."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _setup(name, seed, T=None, bias=True, init_scale=2.0):
    rng = np.random.default_rng(seed)
    D, H = int(rng.integers(1, 5)), int(rng.integers(2, 10))
    T = int(rng.integers(2, 30)) if T is None else T
    model = MODELS[name](D, H, seed=seed, bias=bias, init_scale=init_scale)
    x = 2.0 * rng.standard_normal((T, D))
    return model, x, rng


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", MODELS)
def test_analytic_jacobians_match_autograd(name, bias, seed):
    model, x, rng = _setup(name, seed, bias=bias)
    trace = model.run(x, rng.standard_normal(model.hidden_size))
    J = gv.jacobians(model, trace)
    assert J.shape == (len(x), model.state_size, model.state_size)
    assert _rel(J, ref.jacobians(model, trace)) <= RTOL


@pytest.mark.parametrize("name,gate", [
    ("gru", "reset"), ("gru", "update"), ("gru", "candidate"),
    ("gru-cho2014", "reset"), ("gru-hard", "update"),
    ("lstm", "input"), ("lstm", "forget"), ("lstm", "cell"), ("lstm", "output"), ("lstm-hard", "forget"),
])
def test_a_clamped_gate_passes_no_gradient_as_in_autograd(name, gate):
    model, x, rng = _setup(name, 5)
    H = model.hidden_size
    values = np.full(H, np.nan)
    values[::2] = 0.7  # clamp every other unit, leave the rest free
    trace = model.run(x, clamp={gate: values})
    assert _rel(gv.jacobians(model, trace), ref.jacobians(model, trace, clamp={gate: values})) <= RTOL


def test_clamping_the_update_gate_open_keeps_every_gradient_norm_exactly_one():
    """z = 1 keeps the old state: h_t = h_{t-1}, so every Jacobian is the identity."""
    model, x, _ = _setup("gru", 3, T=40)
    decay = gv.gradient_decay(model, x, clamp={"update": 1.0})
    assert np.array_equal(decay, np.ones(41))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", MODELS)
def test_gradient_decay_matches_the_autograd_route(name, seed, monkeypatch):
    monkeypatch.setattr(gradients, "BLOCK_BYTES", 1)  # blocks of 8 steps: 37 steps cross 4 block boundaries
    assert gradients.block_size(4) == 8
    model, x, _ = _setup(name, seed, T=37)
    decay = gv.gradient_decay(model, x)
    J = ref.jacobians(model, model.run(x))
    assert decay.shape == (38,)
    assert decay[0] == 1.0
    assert _rel_each(decay, ref.gradient_decay(J)) <= RTOL


@pytest.mark.parametrize("name", ["rnn-tanh", "gru", "lstm"])
def test_gradient_decay_is_exact_where_the_fast_eigenvalue_path_runs(name, monkeypatch):
    """S >= LANCZOS_MIN_S: the certified Lanczos path (not plain eigvalsh) produces the norms."""
    monkeypatch.setattr(gradients, "BLOCK_BYTES", 1)
    model = MODELS[name](3, 24 if name == "lstm" else 48, seed=11, init_scale=1.5)
    assert model.state_size >= max(gradients.LANCZOS_MIN_S, 2 * gradients.LANCZOS_STEPS)
    x = np.random.default_rng(11).standard_normal((30, 3))
    J = ref.jacobians(model, model.run(x))
    assert _rel_each(gv.gradient_decay(model, x), ref.gradient_decay(J)) <= RTOL


def _with_gram_spectrum(eigenvalues, seed):
    """(S, S) P with P P^T = Q diag(eigenvalues) Q^T, and Q."""
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(eigenvalues),) * 2))[0]
    return Q * np.sqrt(eigenvalues), Q


def _count_certificates(monkeypatch):
    """Count the matrices that reach the Cholesky and the eigvalsh fallbacks."""
    counts = {"cholesky": 0, "eigvalsh": 0}
    cholesky, eigvalsh = gradients._positive_definite, np.linalg.eigvalsh

    def counting_cholesky(A):
        counts["cholesky"] += A.shape[0]
        return cholesky(A)

    def counting_eigvalsh(G):
        counts["eigvalsh"] += G.shape[0]
        return eigvalsh(G)

    monkeypatch.setattr(gradients, "_positive_definite", counting_cholesky)
    monkeypatch.setattr(gradients.np.linalg, "eigvalsh", counting_eigvalsh)
    return counts


def test_the_certified_largest_eigenvalue_equals_eigvalsh_for_spread_and_clustered_spectra():
    rng = np.random.default_rng(0)
    spectra = [rng.uniform(0, 1, 60), np.r_[1.0, 1 - 1e-9, 1 - 2e-9, rng.uniform(0, 0.5, 57)], np.linspace(0.9, 1.0, 60),
               np.r_[5.0, rng.uniform(0, 0.05, 59)], np.r_[3.0, 1e-30 * np.ones(59)]]
    P = np.stack([_with_gram_spectrum(ev, i)[0] for i, ev in enumerate(spectra)])
    top, _, _ = gradients._top_gram_eigenvalues(P, np.ones(60))
    assert _rel_each(top, np.linalg.eigvalsh(P @ P.transpose(0, 2, 1))[:, -1]) <= 1e-12


@pytest.mark.parametrize("gram_first", [False, True])
def test_both_orders_certify_the_same_largest_eigenvalue(gram_first):
    """Forming G first (Lanczos on G) or trying without it first: the same exact answer."""
    rng = np.random.default_rng(4)
    spectra = [rng.uniform(0, 1, 60), np.linspace(0.9, 1.0, 60), np.r_[5.0, rng.uniform(0, 0.05, 59)]]
    P = np.stack([_with_gram_spectrum(ev, i)[0] for i, ev in enumerate(spectra)])
    top, _, needed = gradients._top_gram_eigenvalues(P, np.ones(60), gram_first=gram_first)
    assert _rel_each(top, np.linalg.eigvalsh(P @ P.transpose(0, 2, 1))[:, -1]) <= 1e-12
    assert needed == pytest.approx(2 / 3)  # the two broad spectra need G, the dominant one does not


def test_a_gru_that_keeps_many_directions_forms_its_gram_matrices_first_and_stays_exact(monkeypatch):
    """Update gate near 1 (b_z = 3): no bound without G settles these lags, so after the first block
    the rest form G first; the curve still equals the autograd route's."""
    monkeypatch.setattr(gradients, "BLOCK_BYTES", 1)  # blocks of 8 steps
    orders, top_gram = [], gradients._top_gram_eigenvalues

    def recording(P, v0, steps=gradients.LANCZOS_STEPS, gram_first=False):
        orders.append(gram_first)
        return top_gram(P, v0, steps, gram_first)

    monkeypatch.setattr(gradients, "_top_gram_eigenvalues", recording)
    model = weights.set_gate_bias(gv.GRU(3, 48, seed=2), "update", 3.0)
    x = np.random.default_rng(0).standard_normal((40, 3))
    decay = gv.gradient_decay(model, x)
    assert orders[0] is False and all(orders[1:]) and len(orders) == 5
    assert _rel_each(decay, ref.gradient_decay(ref.jacobians(model, model.run(x)))) <= RTOL


def test_a_dominant_direction_is_proven_without_forming_the_gram_matrix(monkeypatch):
    """One eigenvalue above half the trace: Kato-Temple settles it, no Cholesky, no eigvalsh."""
    counts = _count_certificates(monkeypatch)
    rng = np.random.default_rng(1)
    P = np.stack([_with_gram_spectrum(np.r_[2.0 + i, rng.uniform(0, 0.02, 63)], i)[0] for i in range(4)])
    top, _, _ = gradients._top_gram_eigenvalues(P, np.ones(64))
    assert counts == {"cholesky": 0, "eigvalsh": 0}
    assert _rel_each(top, 2.0 + np.arange(4)) <= 1e-12


def test_many_small_directions_are_proven_by_the_frobenius_bound_without_cholesky(monkeypatch):
    """The top eigenvalue is below half the trace (the trace bound cannot decide: a GRU whose
    update gate keeps many directions alive) but its square is above half of sum lambda_i^2:
    ||G||_F bounds the others and Kato-Temple settles it, no Cholesky, no eigvalsh."""
    counts = _count_certificates(monkeypatch)
    rng = np.random.default_rng(2)
    spectra = [np.r_[2.0 + i, rng.uniform(0.1, 0.3, 63)] for i in range(3)]
    assert all(ev[0] < ev.sum() / 2 and ev[0] ** 2 > (ev**2).sum() / 2 for ev in spectra)
    P = np.stack([_with_gram_spectrum(ev, i)[0] for i, ev in enumerate(spectra)])
    top, _, _ = gradients._top_gram_eigenvalues(P, np.ones(64))
    assert counts == {"cholesky": 0, "eigvalsh": 0}
    assert _rel_each(top, 2.0 + np.arange(3)) <= 1e-12


def test_a_flat_spectrum_is_left_to_cholesky_and_a_blind_start_to_eigvalsh(monkeypatch):
    """Lanczos from a vector orthogonal to the top eigenvector cannot see it; both certificates
    then fail and eigvalsh answers, so a bad guess costs time, never accuracy."""
    counts = _count_certificates(monkeypatch)
    ev = np.r_[2.0, np.linspace(0.1, 1.0, 59)]  # 2.0 is far below half the trace: Kato-Temple cannot decide
    P, Q = _with_gram_spectrum(ev, 3)
    blind = Q[:, 1] + Q[:, 2]  # no component along Q[:, 0], the top eigenvector
    top, _, _ = gradients._top_gram_eigenvalues(P[None], blind)
    assert top[0] == pytest.approx(2.0, rel=1e-13)
    assert counts == {"cholesky": 1, "eigvalsh": 1}


@pytest.mark.parametrize("t0,t1", [(0, 9), (5, 17), (16, 30)])
def test_a_trace_window_has_the_jacobians_of_its_steps(t0, t1):
    for name in ("gru", "gru-cho2014", "lstm", "rnn-relu"):
        model, x, _ = _setup(name, 9, T=30)
        trace = model.run(x)
        window = gradients.trace_window(trace, t0, t1)
        assert np.array_equal(model.jacobians(window), model.jacobians(trace)[t0:t1])


def test_decay_from_jacobians_and_from_trace_equal_gradient_decay():
    model, x, _ = _setup("lstm", 4, T=50)
    trace = model.run(x)
    decay = gv.gradient_decay(model, x)
    assert _rel_each(gradients.decay_from_jacobians(gv.jacobians(model, trace)), decay) <= 1e-12
    assert np.array_equal(gradients.decay_from_trace(model, trace), decay)


@pytest.mark.parametrize("name", ["rnn-tanh", "gru", "gru-cho2014", "lstm"])
def test_influence_is_the_column_norms_of_the_autograd_products(name):
    model, x, _ = _setup(name, 6, T=21)
    trace = model.run(x)
    products = ref.lag_products(ref.jacobians(model, trace))  # lag k = 1..T
    expected = np.ones((22, model.state_size))
    for k, P in enumerate(products, start=1):
        expected[21 - k] = torch.linalg.vector_norm(P, dim=0).numpy()  # column j: d s_T / d s_{T-k}[j]
    assert _rel_each(gv.influence(model, trace), expected) <= RTOL


@pytest.mark.parametrize("name", ["lstm", "lstm-hard"])
def test_hidden_only_measures_the_h_block_of_the_autograd_products(name, monkeypatch):
    """hidden_only: ||d h_T / d h_{T-k}|| and ||d h_T / d h_t[j]||, the (H, H) block of the products."""
    monkeypatch.setattr(gradients, "BLOCK_BYTES", 1)  # several blocks
    model, x, _ = _setup(name, 9, T=33, init_scale=1.5)
    H, trace = model.hidden_size, model.run(x)
    blocks = [P[:H, :H] for P in ref.lag_products(ref.jacobians(model, trace))]  # lag k = 1..T
    expected_decay = np.array([1.0] + [torch.linalg.matrix_norm(B, ord=2).item() for B in blocks])
    expected_influence = np.ones((34, H))
    for k, B in enumerate(blocks, start=1):
        expected_influence[33 - k] = torch.linalg.vector_norm(B, dim=0).numpy()
    decay, influence = gradients.decay_and_influence(model, trace, hidden_only=True)
    assert influence.shape == (34, H)
    assert _rel_each(decay, expected_decay) <= RTOL
    assert _rel_each(influence, expected_influence) <= RTOL
    assert np.array_equal(gv.gradient_decay(model, x, hidden_only=True), decay)
    assert not np.allclose(decay, gv.gradient_decay(model, x))  # the whole state [h, c] decays otherwise


@pytest.mark.parametrize("name", ["rnn-tanh", "gru"])
def test_hidden_only_is_the_whole_state_for_cells_whose_state_is_h(name):
    model, x, _ = _setup(name, 10, T=25)
    trace = model.run(x)
    decay, influence = gradients.decay_and_influence(model, trace, hidden_only=True)
    assert np.array_equal(decay, gradients.decay_from_trace(model, trace))
    assert np.array_equal(influence, gv.influence(model, trace))


@pytest.mark.parametrize("name", ["rnn-relu", "gru", "lstm"])
def test_decay_and_influence_from_one_pass_equal_each_computed_alone(name, monkeypatch):
    monkeypatch.setattr(gradients, "BLOCK_BYTES", 1)  # several blocks
    model, x, _ = _setup(name, 8, T=40, init_scale=1.5)
    trace = model.run(x)
    decay, influence = gradients.decay_and_influence(model, trace)
    assert np.array_equal(decay, gradients.decay_from_trace(model, trace), equal_nan=True)
    assert np.array_equal(influence, gv.influence(model, trace), equal_nan=True)
    lags = np.array([0, 3, 17, 40])
    decay_at, influence_again = gradients.decay_and_influence(model, trace, lags=lags)
    assert np.array_equal(decay_at, decay[lags], equal_nan=True)
    assert np.array_equal(influence_again, influence, equal_nan=True)


@pytest.mark.parametrize("name", ["rnn-tanh", "gru", "lstm"])
def test_singular_values_match_torch_svdvals_of_the_products(name):
    model, x, _ = _setup(name, 7, T=19)
    trace = model.run(x)
    sv = gv.singular_values(model, trace)
    assert sv.shape == (20, model.state_size)
    assert np.array_equal(sv[0], np.ones(model.state_size))
    for k, P in enumerate(ref.lag_products(ref.jacobians(model, trace)), start=1):
        expected = torch.linalg.svdvals(P).numpy()
        assert np.max(np.abs(sv[k] - expected)) <= RTOL * expected[0]  # small ones: relative to the largest


def test_the_first_column_of_singular_values_is_the_gradient_decay():
    model, x, _ = _setup("gru", 8, T=33)
    assert _rel_each(gv.singular_values(model, model.run(x))[:, 0], gv.gradient_decay(model, x)) <= 1e-10


def test_exploding_gradients_are_computed_up_to_float_overflow_then_shown_as_inf():
    """A relu RNN held at its fixed point h = 1 with W_hh = 10 I: every Jacobian is 10 I."""
    model = gv.VanillaRNN(1, 3, nonlinearity="relu", bias=False, seed=0)
    model.weight_hh, model.weight_ih = 10.0 * np.eye(3), np.ones((3, 1))
    x, h0 = np.full((400, 1), -9.0), np.ones(3)  # h_t = relu(10 * 1 - 9) = 1 exactly
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even an overflow RuntimeWarning escapes
        trace = model.run(x, h0)
        decay = gv.gradient_decay(model, x, h0)
    assert trace.finite
    k = np.arange(308)
    assert _rel_each(decay[:308], 10.0**k) <= 1e-12  # right up to 1e307: no overflow on the way
    assert np.isinf(decay[309:]).all()


def test_an_exploding_run_is_reported_as_non_finite_without_raising():
    model = gv.VanillaRNN(1, 3, nonlinearity="relu", bias=False, seed=0)
    model.weight_hh, model.weight_ih = 10.0 * np.eye(3), np.ones((3, 1))
    x = np.ones((400, 1))  # h_t ~ 10^t overflows float64 after ~308 steps
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = model.run(x)
        decay = gv.gradient_decay(model, x)
        infl = gv.influence(model, trace)
    assert not trace.finite
    assert np.isnan(decay[1:]).all()  # the last state is not a number, so neither is any gradient
    assert np.isnan(infl[:-1]).all()


def test_a_run_that_turns_nan_gives_nan_lags_not_an_exception():
    model = gv.VanillaRNN(1, 4, nonlinearity="relu", seed=1, init_scale=1e200)
    x = np.ones((60, 1))
    trace = model.run(x)
    assert not trace.finite
    decay = gv.gradient_decay(model, x)
    assert decay.shape == (61,) and not np.isfinite(decay).all()


def test_vanishing_gradients_are_computed_far_below_float_underflow_of_the_plain_product():
    model = gv.VanillaRNN(1, 3, bias=False, seed=0)
    model.weight_hh = 0.1 * np.eye(3)  # x = 0, h = 0: every Jacobian is 0.1 * I exactly
    decay = gv.gradient_decay(model, np.zeros((330, 1)))
    k = np.arange(301)
    assert _rel_each(decay[:301], 10.0**-k) <= 1e-12  # decay[200] = 1e-200, decay[300] = 1e-300
    assert 0.0 <= decay[-1] < 1e-300  # beyond float64's range: 0 or subnormal, never NaN
    assert not np.isnan(decay).any()


def test_vanishing_far_below_the_float_range_gives_zero_not_nan():
    model = gv.VanillaRNN(1, 2, bias=False, seed=0)
    model.weight_hh = 1e-3 * np.eye(2)
    decay = gv.gradient_decay(model, np.zeros((400, 1)))  # true value at k = 400: 1e-1200
    assert decay[-1] == 0.0 and not np.isnan(decay).any()


def test_a_tanh_rnn_forgets_faster_than_a_gru_with_its_update_gate_biased_open():
    """The picture the app exists for: plain RNN gradients vanish, a GRU's survive."""
    x = np.random.default_rng(0).standard_normal((100, 2))
    rnn = gv.VanillaRNN(2, 16, seed=0)
    gru = gv.GRU(2, 16, seed=0)
    gru.bias_hh[16:32] = 4.0  # z ~ 0.98: keep the old state
    assert gv.gradient_decay(rnn, x)[50] < 1e-6 < gv.gradient_decay(gru, x)[50]


def test_steps_until_below_finds_the_first_lag_under_the_threshold():
    decay = np.array([1.0, 0.5, 1e-3, 1e-7, 1e-9])
    assert gradients.steps_until_below(decay, 1e-6) == 3
    assert gradients.steps_until_below(decay, 1e-12) is None


def test_a_relu_rnn_whose_units_all_die_has_exactly_zero_gradient_not_nan():
    model = gv.VanillaRNN(2, 60, nonlinearity="relu", seed=0)  # S = 60: the Lanczos path
    model.weight_hh, model.bias_hh = -np.abs(model.weight_hh), np.full(60, -5.0)  # every pre-activation < 0
    decay = gv.gradient_decay(model, np.ones((40, 2)))
    assert decay[0] == 1.0 and (decay[1:] == 0.0).all()


def test_decay_at_chosen_lags_equals_the_full_curve_there():
    model, x, _ = _setup("gru", 12, T=45)
    full = gv.gradient_decay(model, x)
    lags = [0, 1, 7, 8, 30, 45]
    assert np.array_equal(gv.gradient_decay(model, x, lags=lags), full[lags])
    assert np.array_equal(gradients.decay_from_trace(model, model.run(x), lags=[3]), full[[3]])


def test_the_lstm_chain_uses_the_half_diagonal_product_and_it_equals_the_full_one():
    """d [h, c]_t / d c_{t-1} is two diagonals for the LSTM: half the multiplications, the same product."""
    lstm, x, _ = _setup("lstm", 12, T=9)
    trace = lstm.run(x)
    J = lstm.jacobians(trace)  # (T, 2H, 2H)
    left, diagonals = lstm.jacobian_parts(trace)  # (T, 2H, H), (T, 2, H)
    H = lstm.hidden_size
    assert gradients._half_diagonal(lstm) and not gradients._half_diagonal(gv.GRU(2, 6))
    assert np.array_equal(left, J[:, :, :H])
    for top_or_bottom in range(2):  # J (checked against autograd above) is made of these parts
        block = J[:, top_or_bottom * H : (top_or_bottom + 1) * H, H:]
        assert np.array_equal(block, diagonals[:, top_or_bottom, :, None] * np.eye(H))
    acc = np.random.default_rng(0).standard_normal(J.shape[1:])
    out = np.empty_like(acc)
    gradients._times_half_diagonal(acc, left[3], diagonals[3], out=out)
    np.testing.assert_allclose(out, acc @ J[3], rtol=1e-14, atol=1e-15)
