"""Properties that hold for every cell, size, sequence and seed (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gru_viz as gv

CELLS = {
    "rnn-tanh": lambda D, H, seed: gv.VanillaRNN(D, H, seed=seed),
    "rnn-relu": lambda D, H, seed: gv.VanillaRNN(D, H, nonlinearity="relu", seed=seed),
    "gru": lambda D, H, seed: gv.GRU(D, H, seed=seed),
    "gru-cho2014": lambda D, H, seed: gv.GRU(D, H, variant="cho2014", seed=seed),
    "gru-hard": lambda D, H, seed: gv.GRU(D, H, gate_activation="hard_sigmoid", seed=seed),
    "lstm": lambda D, H, seed: gv.LSTM(D, H, seed=seed),
    "lstm-hard": lambda D, H, seed: gv.LSTM(D, H, gate_activation="hard_sigmoid", seed=seed),
}
SQUASHING_CANDIDATES = {"candidate", "cell"}  # tanh outputs, in [-1, 1]; every other gate is in [0, 1]

modest = settings(max_examples=40, deadline=None)  # per test: never touch the session's global profile


@st.composite
def runs(draw):
    """(name, model, x, h0) with finite inputs of any reasonable size."""
    name = draw(st.sampled_from(sorted(CELLS)))
    D, H, T = draw(st.integers(1, 5)), draw(st.integers(1, 12)), draw(st.integers(1, 40))
    model = CELLS[name](D, H, draw(st.integers(0, 2**32 - 1)))
    finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    x = draw(arrays(np.float64, (T, D), elements=finite))
    h0 = draw(arrays(np.float64, (H,), elements=st.floats(-1, 1)))
    return name, model, x, h0


@modest
@given(runs())
def test_finite_inputs_give_finite_states_gates_and_gradients(run):
    _, model, x, h0 = run
    trace = model.run(x, h0)
    assert trace.finite
    decay = gv.gradient_decay(model, x, h0)
    assert np.isfinite(decay).all() and (decay >= 0).all() and decay[0] == 1.0


@modest
@given(runs())
def test_gates_are_in_zero_one_and_candidates_in_minus_one_one(run):
    _, model, x, h0 = run
    for name, g in model.run(x, h0).gates.items():
        lo = -1.0 if name in SQUASHING_CANDIDATES else 0.0
        assert ((g >= lo) & (g <= 1.0)).all(), name


@modest
@given(runs())
def test_gated_and_tanh_states_stay_in_minus_one_one(run):
    name, model, x, h0 = run
    if name != "rnn-relu":
        assert (np.abs(model.run(x, h0).h) <= 1.0).all()


@modest
@given(runs())
def test_every_array_has_the_documented_shape(run):
    _, model, x, h0 = run
    T, (H, S) = len(x), (model.hidden_size, model.state_size)
    trace = model.run(x, h0)
    assert trace.x.shape == x.shape and trace.h0.shape == (H,) and trace.h.shape == (T, H)
    assert set(trace.gates) == set(model.gate_names)
    assert all(g.shape == (T, H) for g in trace.gates.values())
    assert trace.states.shape == (T + 1, S)
    assert (trace.c is None) == (S == H)
    assert gv.jacobians(model, trace).shape == (T, S, S)
    assert gv.influence(model, trace).shape == (T + 1, S)
    assert gv.singular_values(model, trace).shape == (T + 1, S)


@modest
@given(st.sampled_from(sorted(CELLS)), st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 8))
def test_the_same_seed_gives_the_same_weights_and_the_same_trace(name, seed, D, H):
    a, b = CELLS[name](D, H, seed), CELLS[name](D, H, seed)
    x = np.random.default_rng(seed).standard_normal((7, D))
    assert all(np.array_equal(getattr(a, p), getattr(b, p)) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    ta, tb = a.run(x), b.run(x)
    assert np.array_equal(ta.h, tb.h)
    assert all(np.array_equal(ta.gates[k], tb.gates[k]) for k in ta.gates)


@modest
@given(st.sampled_from(sorted(CELLS)), st.integers(0, 2**32 - 2), st.integers(1, 6), st.integers(1, 8))
def test_different_seeds_give_different_weights(name, seed, D, H):
    a, b = CELLS[name](D, H, seed), CELLS[name](D, H, seed + 1)
    assert not np.array_equal(a.weight_hh, b.weight_hh)


@modest
@given(st.sampled_from(sorted(CELLS)), st.integers(1, 64), st.integers(0, 1000))
def test_initial_weights_follow_torch_bound_one_over_sqrt_h(name, H, seed):
    model = CELLS[name](3, H, seed)
    k = 1.0 / np.sqrt(H)
    for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert (np.abs(getattr(model, p)) <= k).all()


@modest
@given(runs())
def test_running_twice_gives_bitwise_identical_traces(run):
    _, model, x, h0 = run
    a, b = model.run(x, h0), model.run(x, h0)
    assert np.array_equal(a.h, b.h)
    assert np.array_equal(gv.gradient_decay(model, x, h0), gv.gradient_decay(model, x, h0))
