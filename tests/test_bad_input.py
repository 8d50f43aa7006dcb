"""Bad input is refused with a ValueError whose message says what to fix."""

from __future__ import annotations

import numpy as np
import pytest

import gru_viz as gv
from gru_viz import limits


@pytest.fixture
def gru():
    return gv.GRU(3, 4, seed=0)


@pytest.mark.parametrize("x,message", [
    (np.zeros(5), r"x must have shape \(T, D\) = \(timesteps, 3\); got shape \(5,\)"),
    (np.zeros((2, 5, 3)), r"x must have shape \(T, D\)"),
    (np.zeros((5, 2)), r"x has 2 features per timestep but the model's input_size is 3"),
    (np.zeros((0, 3)), r"sequence length T must be in \[1, 5000\], got 0"),
    ([["a", "b", "c"]], r"x must be a \(T, D\) array of numbers"),
])
def test_a_badly_shaped_input_names_the_expected_shape(gru, x, message):
    with pytest.raises(ValueError, match=message):
        gru.run(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused(gru, bad):
    x = np.zeros((5, 3))
    x[2, 1] = bad
    with pytest.raises(ValueError, match="x contains NaN or infinity; inputs must be finite numbers"):
        gru.run(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_initial_state_is_refused(gru, bad):
    with pytest.raises(ValueError, match="h0 contains NaN or infinity"):
        gru.run(np.zeros((5, 3)), np.array([0.0, bad, 0.0, 0.0]))


def test_an_initial_state_of_the_wrong_size_names_the_right_size(gru):
    with pytest.raises(ValueError, match=r"h0 must have shape \(4,\), got \(3,\)"):
        gru.run(np.zeros((5, 3)), np.zeros(3))


def test_a_non_finite_lstm_cell_state_is_refused():
    with pytest.raises(ValueError, match="c0 contains NaN or infinity"):
        gv.LSTM(3, 4).run(np.zeros((5, 3)), c0=np.full(4, np.nan))


def test_c0_is_refused_for_a_cell_without_a_cell_state(gru):
    with pytest.raises(ValueError, match="c0 is only for the LSTM"):
        gru.run(np.zeros((5, 3)), c0=np.zeros(4))


def test_a_sequence_longer_than_the_limit_names_the_limit(gru):
    hi = limits.SEQ_LEN.hi
    with pytest.raises(ValueError, match=rf"sequence length T must be in \[1, {hi}\], got {hi + 1}"):
        gru.run(np.zeros((hi + 1, 3)))


@pytest.mark.parametrize("cls", [gv.VanillaRNN, gv.GRU, gv.LSTM])
@pytest.mark.parametrize("size", [0, -3])
def test_a_hidden_size_below_one_names_the_allowed_range(cls, size):
    with pytest.raises(ValueError, match=rf"hidden size H must be in \[1, {limits.HIDDEN_SIZE.hi}\], got {size}"):
        cls(3, size)


@pytest.mark.parametrize("size", [2.5, "8", None, True])
def test_a_hidden_size_that_is_not_a_whole_number_is_refused(size):
    with pytest.raises(ValueError, match="hidden size H must be a whole number"):
        gv.GRU(3, size)


def test_an_input_size_below_one_names_the_allowed_range():
    with pytest.raises(ValueError, match=r"input size D must be in \[1, "):
        gv.GRU(0, 4)


def test_an_unknown_gru_variant_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown GRU variant 'keras'; choose one of \['torch', 'cho2014'\]"):
        gv.GRU(3, 4, variant="keras")


def test_an_unknown_nonlinearity_lists_the_choices():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        gv.VanillaRNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", [gv.GRU, gv.LSTM])
def test_an_unknown_gate_activation_lists_the_choices(cls):
    with pytest.raises(ValueError, match=r"unknown gate_activation 'relu'; choose one of \['sigmoid', 'hard_sigmoid'\]"):
        cls(3, 4, gate_activation="relu")


def test_a_non_finite_init_scale_is_refused():
    with pytest.raises(ValueError, match="init_scale must be a finite number"):
        gv.GRU(3, 4, init_scale=float("nan"))


@pytest.mark.parametrize("clamp,message", [
    ({"forget": 1.0}, r"cannot clamp 'forget': GRU gates are \['reset', 'update', 'candidate'\]"),
    ({"update": 1.5}, r"clamp values for gate 'update' must be in \[0, 1\] \(or NaN for free units\)"),
    ({"reset": -0.1}, r"clamp values for gate 'reset' must be in \[0, 1\]"),
    ({"candidate": np.inf}, r"clamp values for 'candidate' must be finite \(NaN marks free units\)"),
    ({"update": [0.5, 0.5, 0.5]}, r"'update' must be one number or 4 numbers \(one per unit\), got shape \(3,\)"),
    ({"update": "open"}, r"clamp values for 'update' must be numbers"),
])
def test_a_bad_clamp_says_what_is_wrong(gru, clamp, message):
    with pytest.raises(ValueError, match=message):
        gru.run(np.zeros((5, 3)), clamp=clamp)


def test_a_clamp_on_a_cell_without_gates_lists_no_gates():
    with pytest.raises(ValueError, match=r"cannot clamp 'update': RNN gates are \[\]"):
        gv.VanillaRNN(3, 4).run(np.zeros((5, 3)), clamp={"update": 1.0})


def test_gradient_decay_refuses_bad_input_with_the_same_messages(gru):
    with pytest.raises(ValueError, match="x contains NaN or infinity"):
        gv.gradient_decay(gru, np.full((5, 3), np.nan))
    with pytest.raises(ValueError, match=r"x has 2 features per timestep"):
        gv.gradient_decay(gru, np.zeros((5, 2)))


@pytest.mark.parametrize("lags,message", [
    ([0, 6], r"lags must be in \[0, T\] = \[0, 5\], got values from 0 to 6"),
    ([-1], r"lags must be in \[0, T\] = \[0, 5\]"),
    ([], r"lags must be a non-empty 1-D list of whole numbers in \[0, T\] = \[0, 5\]"),
    ([0.5], r"lags must be a non-empty 1-D list of whole numbers"),
])
def test_lags_outside_the_sequence_name_the_allowed_range(gru, lags, message):
    with pytest.raises(ValueError, match=message):
        gv.gradient_decay(gru, np.zeros((5, 3)), lags=lags)
