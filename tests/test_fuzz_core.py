"""Fuzzing the core: any input gives a valid result or a ValueError, never another exception.

Random shapes, extreme weights, NaN/Inf and huge values. Exploding runs are
allowed to produce inf/NaN states (that is the honest answer); they must be
reported as non-finite (trace.finite is False), not raise.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gru_viz as gv

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CELLS = [
    lambda D, H, seed: gv.VanillaRNN(D, H, seed=seed),
    lambda D, H, seed: gv.VanillaRNN(D, H, nonlinearity="relu", seed=seed),
    lambda D, H, seed: gv.GRU(D, H, seed=seed),
    lambda D, H, seed: gv.GRU(D, H, variant="cho2014", seed=seed),
    lambda D, H, seed: gv.GRU(D, H, gate_activation="hard_sigmoid", seed=seed),
    lambda D, H, seed: gv.LSTM(D, H, seed=seed),
]

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-1e300, max_value=1e300),
    st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1e308, -1e308]),
)


def _valid_or_value_error(fn):
    try:
        return fn()
    except ValueError as e:
        assert str(e), "a ValueError must say what is wrong"
        return None


@FUZZ
@given(
    cell=st.sampled_from(CELLS),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    T=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    weight_scale=st.sampled_from([0.0, 1.0, 1e3, 1e150, 1e300]),
    data=st.data(),
)
def test_run_and_decay_give_a_result_or_a_value_error(cell, D, H, T, seed, weight_scale, data):
    model = cell(D, H, seed)
    model.weight_hh = model.weight_hh * weight_scale
    model.weight_ih = model.weight_ih * weight_scale
    x = np.array(data.draw(st.lists(floats, min_size=T * D, max_size=T * D))).reshape(T, D)
    trace = _valid_or_value_error(lambda: model.run(x))
    if not np.isfinite(x).all():
        assert trace is None, "non-finite input must be refused with a ValueError"
        return
    assert trace is not None and trace.h.shape == (T, H)
    decay = gv.gradient_decay(model, x)
    assert decay.shape == (T + 1,) and decay[0] == 1.0
    finite_decay = decay[np.isfinite(decay)]
    assert (finite_decay >= 0).all()
    if trace.finite:
        for name, g in trace.gates.items():
            if name not in ("candidate", "cell"):
                assert ((g >= 0) & (g <= 1)).all()


@FUZZ
@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    D=st.integers(1, 3),
)
def test_inputs_of_any_shape_are_accepted_or_refused_with_a_value_error(shape, D):
    model = gv.GRU(D, 2, seed=0)
    x = np.zeros(shape)
    trace = _valid_or_value_error(lambda: model.run(x))
    if trace is not None:
        assert x.ndim == 2 and x.shape[1] == D and x.shape[0] >= 1


@pytest.mark.parametrize(
    "bad",
    ["abc", [[1, "x"]], None, object(), [[1.0, 2.0], [3.0]], {"a": 1}],
)
def test_non_numeric_inputs_are_refused_with_a_value_error(bad):
    with pytest.raises(ValueError):
        gv.GRU(2, 2, seed=0).run(bad)


@pytest.mark.parametrize("size", [0, -1, 1.5, "8", None, True, 10**9])
def test_bad_hidden_sizes_are_refused_with_the_allowed_range(size):
    with pytest.raises(ValueError, match=r"hidden size"):
        gv.GRU(2, size)


def test_an_exploding_relu_rnn_reports_non_finite_instead_of_raising():
    model = gv.VanillaRNN(1, 4, nonlinearity="relu", seed=0, init_scale=1.0)
    model.weight_hh = np.abs(model.weight_hh) * 1e200
    trace = model.run(np.ones((8, 1)))
    assert not trace.finite
    decay = gv.gradient_decay(model, np.ones((8, 1)))
    assert decay[0] == 1.0 and not np.isfinite(decay).all()
