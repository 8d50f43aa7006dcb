"""Bad input is refused with a ValueError whose message says what to fix."""

from __future__ import annotations

import re

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


# ----------------------------------------------------------------------------
# constructor arguments (review 27, #1 and #5-#10)


@pytest.mark.parametrize("cls", [gv.VanillaRNN, gv.GRU, gv.LSTM])
def test_the_class_docstring_lists_every_constructor_argument_and_the_init(cls):
    doc = cls.__doc__
    for arg in ("input_size", "hidden_size", "bias", "seed", "init_scale"):
        assert f"{arg}:" in doc
    assert "U(-1/sqrt(H), 1/sqrt(H))" in doc and "not the biases" in doc


def test_init_scale_multiplies_the_weights_and_not_the_biases():
    a, b = gv.GRU(2, 3, seed=4), gv.GRU(2, 3, seed=4, init_scale=2.0)
    assert np.array_equal(b.weight_hh, 2.0 * a.weight_hh) and np.array_equal(b.weight_ih, 2.0 * a.weight_ih)
    assert np.array_equal(b.bias_hh, a.bias_hh) and np.array_equal(b.bias_ih, a.bias_ih)


@pytest.mark.parametrize("seed", [-1, None, 1.5, "1", True])
def test_a_seed_that_is_not_a_whole_number_from_zero_is_refused_not_truncated(seed):
    with pytest.raises(ValueError, match=rf"seed must be a whole number >= 0, got {re.escape(repr(seed))}"):
        gv.GRU(1, 8, seed=seed)


def test_a_whole_seed_of_any_integer_type_gives_the_same_weights():
    w = gv.GRU(1, 4, seed=3).weight_hh
    for seed in (np.int64(3), 3.0):
        assert np.array_equal(gv.GRU(1, 4, seed=seed).weight_hh, w)


@pytest.mark.parametrize("cls", [gv.GRU, gv.MGU])
def test_an_init_scale_that_is_not_a_number_is_refused(cls):
    with pytest.raises(ValueError, match="init_scale must be a finite number .*, got '2'"):
        cls(1, 8, init_scale="2")


@pytest.mark.parametrize("bias", ["no", 0, None])
def test_a_bias_that_is_not_true_or_false_is_refused(bias):
    with pytest.raises(ValueError, match=rf"bias must be True or False, got {re.escape(repr(bias))}"):
        gv.GRU(1, 8, bias=bias)


@pytest.mark.parametrize("cls,takes", [
    (gv.LSTM, "LSTM takes input_size, hidden_size, gate_activation, bias, seed, init_scale"),
    (gv.VanillaRNN, "VanillaRNN takes input_size, hidden_size, nonlinearity, bias, seed, init_scale"),
])
def test_an_argument_the_cell_does_not_take_names_the_class_and_its_arguments(cls, takes):
    with pytest.raises(TypeError, match=rf"{cls.__name__} got unexpected argument\(s\) 'variant'; {takes}"):
        cls(1, 8, variant="cho2014")


# ----------------------------------------------------------------------------
# run's arguments (review 27, #5, #9, #14-#16, #21)


@pytest.mark.parametrize("clamp", [["update"], "update", 1.0])
def test_a_clamp_that_is_not_a_dict_says_to_pass_one(gru, clamp):
    with pytest.raises(ValueError, match=r"clamp must be a dict \{gate: value\}"):
        gru.run(np.zeros((5, 3)), clamp=clamp)


def test_an_initial_state_that_is_not_numbers_names_h0(gru):
    with pytest.raises(ValueError, match=r"h0 must be a \(4,\) array of numbers, or None for zeros"):
        gru.run(np.zeros((5, 3)), h0="a")


def test_complex_inputs_are_refused_not_truncated(gru):
    with pytest.raises(ValueError, match="x must be a .* got complex values"):
        gru.run(np.zeros((5, 3)) + 1j)


@pytest.mark.parametrize("cls,gate", [(gv.GRU, "candidate"), (gv.LSTM, "cell"), (gv.MGU, "candidate")])
@pytest.mark.parametrize("value", [7.0, -1.5])
def test_a_tanh_gate_is_clamped_only_within_minus_one_to_one(cls, gate, value):
    with pytest.raises(ValueError, match=rf"clamp values for gate '{gate}' must be in \[-1, 1\]"):
        cls(3, 4).run(np.zeros((5, 3)), clamp={gate: value})


@pytest.mark.parametrize("cls,gate,span", [(gv.GRU, "candidate", r"\[-1, 1\]"), (gv.LSTM, "cell", r"\[-1, 1\]"),
                                           (gv.GRU, "update", r"\[0, 1\]")])
def test_a_clamp_value_that_is_not_a_number_names_the_gates_own_range(cls, gate, span):
    with pytest.raises(ValueError, match=rf"clamp values for '{gate}' must be numbers in {span}"):
        cls(3, 4).run(np.zeros((5, 3)), clamp={gate: "open"})


def test_a_tanh_gate_clamped_at_minus_one_or_one_is_accepted_and_the_state_stays_in_range():
    trace = gv.GRU(1, 4).run(np.zeros((5, 1)), clamp={"candidate": [-1.0, 1.0, np.nan, 0.5]})
    assert (np.abs(trace.h) <= 1.0).all()


def test_the_mingru_candidate_is_linear_and_may_be_clamped_outside_minus_one_to_one():
    assert gv.MinGRU(1, 4).run(np.zeros((5, 1)), clamp={"candidate": 7.0}).finite


@pytest.mark.parametrize("name,value,message", [
    ("weight_hh", np.zeros((4, 4)), r"GRU.weight_hh must be a float array of shape \(12, 4\), got shape \(4, 4\)"),
    ("bias_hh", None, r"GRU.bias_hh must be a float array of shape \(12,\), got NoneType \(for no biases set both"),
    ("weight_ih", [[0.0]] * 12, r"GRU.weight_ih must be a float array of shape \(12, 1\), got list"),
])
def test_a_parameter_assigned_by_hand_with_the_wrong_shape_is_named_when_the_model_runs(name, value, message):
    model = gv.GRU(1, 4)
    setattr(model, name, value)
    with pytest.raises(ValueError, match=message):
        model.run(np.zeros((5, 1)))


def test_both_biases_set_to_none_by_hand_run_as_a_model_without_biases():
    model = gv.GRU(1, 4, seed=2)
    model.bias_ih = model.bias_hh = None
    assert np.array_equal(model.run(np.ones((5, 1))).h, gv.GRU(1, 4, seed=2, bias=False).run(np.ones((5, 1))).h)


def test_the_trace_keeps_its_own_copy_of_the_input(gru):
    x = np.zeros((5, 3))
    trace = gru.run(x)
    x[2] = 5.0
    assert (trace.x == 0.0).all()


# ----------------------------------------------------------------------------
# gradients given the wrong object (review 27, #3, #11-#13)


def test_gradient_decay_given_a_trace_says_to_pass_trace_x_or_use_decay_from_trace(gru):
    with pytest.raises(ValueError, match=r"pass trace.x, or use gradients.decay_from_trace\(model, trace\)"):
        gv.gradient_decay(gru, gru.run(np.zeros((5, 3))))


def test_gradient_decay_given_something_that_is_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match="model must be a cell such as gv.GRU"):
        gv.gradient_decay("gru", np.zeros((5, 1)))


@pytest.mark.parametrize("other,message", [
    (lambda: gv.LSTM(3, 4).run(np.zeros((5, 3))), r"this trace has gates \['input', 'forget', 'cell', 'output'\], "
                                                  r"but a GRU records \['reset', 'update', 'candidate'\]"),
    (lambda: np.zeros((5, 3)), r"trace must be the Trace of model.run\(x\), got ndarray"),
    (lambda: gv.GRU(3, 6).run(np.zeros((5, 3))), r"hidden size 6, but the model has 3 and 4"),
    (lambda: gv.GRU(3, 4, variant="cho2014").run(np.zeros((5, 3))), r"the trace lacks 'hn', which GRU.jacobians needs"),
])
def test_jacobians_given_a_trace_this_model_did_not_make_say_so(gru, other, message):
    with pytest.raises(ValueError, match=message):
        gv.jacobians(gru, other())


def test_jacobians_refuses_an_array_over_one_gib_before_allocating_and_points_to_decay_from_trace():
    model = gv.GRU(1, 256)
    trace = model.run(np.zeros((2100, 1)))  # (T, S, S) = (2100, 256, 256): 1.03 GiB
    with pytest.raises(ValueError, match=r"\(T, S, S\) = \(2100, 256, 256\) array of 1.03 GiB .*gradients.decay_from_trace"):
        gv.jacobians(model, trace)


# ----------------------------------------------------------------------------
# what a model and a trace print (review 27, #19, #20)


@pytest.mark.parametrize("model,text", [
    (gv.GRU(1, 8), "GRU(input_size=1, hidden_size=8, bias=True)"),
    (gv.GRU(1, 8, variant="cho2014"), "GRU(input_size=1, hidden_size=8, variant='cho2014', bias=True)"),
    (gv.GRU(1, 8, gate_activation="hard_sigmoid"), "GRU(input_size=1, hidden_size=8, gate_activation='hard_sigmoid', bias=True)"),
    (gv.VanillaRNN(1, 8, nonlinearity="relu", bias=False),
     "VanillaRNN(input_size=1, hidden_size=8, nonlinearity='relu', bias=False)"),
])
def test_repr_shows_the_options_that_differ_from_the_defaults(model, text):
    assert repr(model) == text


def test_a_trace_prints_as_a_one_line_summary():
    trace = gv.GRU(1, 8, seed=0).run(gv.tasks.pulse(60))
    assert repr(trace) == "Trace(T=60, H=8, gates=[reset, update, candidate], finite=True)"
