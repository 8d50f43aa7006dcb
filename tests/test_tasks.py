"""Toy tasks and signals: seeded, shaped as documented, and their targets mean what they say."""

from __future__ import annotations

import numpy as np
import pytest

from gru_viz import limits, tasks


@pytest.mark.parametrize("make", [
    lambda seed: tasks.adding_problem(50, n=4, seed=seed),
    lambda seed: tasks.copy_task(n_symbols=5, length=4, delay=10, n=4, seed=seed),
    lambda seed: tasks.delayed_recall(30, delay=5, n=4, seed=seed),
], ids=["adding", "copy", "delayed_recall"])
def test_a_task_is_the_same_for_the_same_seed_and_different_for_another(make):
    a, b, c = make(3), make(3), make(4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_noise_is_seeded():
    assert np.array_equal(tasks.noise(20, D=2, seed=1), tasks.noise(20, D=2, seed=1))
    assert not np.array_equal(tasks.noise(20, D=2, seed=1), tasks.noise(20, D=2, seed=2))


def test_adding_problem_shapes():
    batch = tasks.adding_problem(40, n=6, seed=0)
    assert batch.x.shape == (6, 40, 2) and batch.y.shape == (6,)
    assert batch.loss == "mse_last"


def test_adding_problem_marks_exactly_one_step_in_each_half():
    markers = tasks.adding_problem(41, n=200, seed=1).x[:, :, 1]  # (n, T)
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :20].sum(axis=1) == 1).all() and (markers[:, 20:].sum(axis=1) == 1).all()


def test_adding_problem_target_is_the_sum_of_the_two_marked_values():
    batch = tasks.adding_problem(30, n=100, seed=2)
    values, markers = batch.x[..., 0], batch.x[..., 1]
    assert np.allclose(batch.y, (values * markers).sum(axis=1), rtol=0, atol=1e-15)
    assert ((values >= 0) & (values < 1)).all()


def test_adding_problem_baseline_one_sixth_matches_the_error_of_always_guessing_one():
    batch = tasks.adding_problem(20, n=40_000, seed=3)
    sq = (batch.y - 1.0) ** 2
    standard_error = sq.std() / np.sqrt(len(sq))
    assert batch.baseline == pytest.approx(1 / 6)
    assert abs(sq.mean() - batch.baseline) < 4 * standard_error


def test_copy_task_layout_symbols_then_blanks_then_go_marker_then_recall():
    K, L, delay = 6, 3, 7
    batch = tasks.copy_task(n_symbols=K, length=L, delay=delay, n=5, seed=0)
    T = 2 * L + delay
    assert batch.x.shape == (5, T, K + 2) and batch.y.shape == (5, T)
    assert (batch.x.sum(axis=-1) == 1).all()  # one-hot at every step
    tokens = batch.x.argmax(axis=-1)  # (n, T)
    symbols = tokens[:, :L]
    assert ((symbols >= 1) & (symbols <= K)).all()
    assert (tokens[:, L : L + delay] == 0).all()  # blanks during the delay
    assert (tokens[:, L + delay] == K + 1).all()  # the go-marker
    assert (tokens[:, L + delay + 1 :] == 0).all()
    assert (batch.y[:, : T - L] == 0).all()  # answer "blank" until the recall window
    assert np.array_equal(batch.y[:, T - L :], symbols)  # then repeat the symbols in order


def test_copy_task_baseline_is_the_loss_of_blank_then_uniform_guessing():
    K, L, delay = 8, 5, 20
    batch = tasks.copy_task(n_symbols=K, length=L, delay=delay, n=3, seed=0)
    T = 2 * L + delay
    probs = np.zeros((T, K + 2))
    probs[: T - L, 0] = 1.0  # certain of "blank"
    probs[T - L :, 1 : K + 1] = 1.0 / K  # a uniform guess among the symbols
    ce = -np.log(probs[np.arange(T), batch.y]).mean()  # same for every sequence
    assert ce == pytest.approx(batch.baseline, rel=1e-12)


def test_delayed_recall_target_is_the_input_delay_steps_ago():
    batch = tasks.delayed_recall(25, delay=4, n=3, seed=0)
    u = batch.x[:, :, 0]
    assert batch.x.shape == (3, 25, 1) and batch.y.shape == (3, 25) and batch.mask.shape == (3, 25)
    assert np.array_equal(batch.y[:, 4:], u[:, :-4])
    assert (batch.mask[:, :4] == 0).all() and (batch.mask[:, 4:] == 1).all()


def test_delayed_recall_refuses_a_delay_outside_the_sequence():
    with pytest.raises(ValueError, match=r"delay must be in \[1, T-1\] = \[1, 9\], got 10"):
        tasks.delayed_recall(10, delay=10)


def test_pulse_sine_noise_have_shape_t_by_d():
    assert tasks.pulse(30, D=2).shape == (30, 2)
    assert tasks.sine(30, D=3).shape == (30, 3)
    assert tasks.noise(30, D=4).shape == (30, 4)


def test_pulse_is_amplitude_for_width_steps_and_zero_elsewhere():
    x = tasks.pulse(20, at=5, width=3, amplitude=2.0)[:, 0]
    assert np.array_equal(np.nonzero(x)[0], [5, 6, 7]) and (x[5:8] == 2.0).all()


def test_pulse_outside_the_sequence_names_the_allowed_positions():
    with pytest.raises(ValueError, match=r"pulse position must be in \[0, 19\], got 20"):
        tasks.pulse(20, at=20)


def test_one_hot_text_uses_the_sorted_distinct_characters_by_default():
    x, alphabet, unknown = tasks.one_hot_text("banana")
    assert alphabet == "abn"
    assert x.shape == (6, 4)  # 3 letters + the unknown column
    assert "".join(alphabet[i] for i in x.argmax(axis=1)) == "banana"
    assert not unknown.any()


def test_one_hot_text_maps_characters_outside_the_alphabet_to_the_unknown_column():
    x, alphabet, unknown = tasks.one_hot_text("cab!", alphabet="abc")
    assert alphabet == "abc"
    assert np.array_equal(unknown, [False, False, False, True])
    assert x[3, 3] == 1.0 and x[3, :3].sum() == 0.0
    assert (x.sum(axis=1) == 1).all()


@pytest.mark.parametrize("text,message", [("", "text is empty"), (123, "text must be a string")])
def test_one_hot_text_refuses_empty_or_non_string_text(text, message):
    with pytest.raises(ValueError, match=message):
        tasks.one_hot_text(text)


# ----------------------------------------------------------------------------
# sizes must be whole numbers within gru_viz.limits (review 27, #17, #18)


@pytest.mark.parametrize("make,message", [
    (lambda: tasks.pulse(60, width=2.5), "pulse width must be a whole number, got 2.5"),
    (lambda: tasks.pulse(60, at=2.7), r"pulse position must be a whole number in \[0, 59\], got 2.7"),
    (lambda: tasks.delayed_recall(30, delay=2.5), "delay must be a whole number, got 2.5"),
    (lambda: tasks.copy_task(length=2.5), "length must be a whole number, got 2.5"),
    (lambda: tasks.copy_task(n_symbols=3.5), "n_symbols must be a whole number, got 3.5"),
    (lambda: tasks.adding_problem(20, n=2.5), r"batch size n must be a whole number in \[1, "),
])
def test_a_size_that_is_not_a_whole_number_is_refused_not_truncated(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_integers_are_accepted_as_sizes():
    x = tasks.pulse(np.int64(20), at=np.int32(5), width=np.int64(3), D=np.int64(2))
    assert x.shape == (20, 2) and np.array_equal(np.nonzero(x[:, 0])[0], [5, 6, 7])
    assert tasks.copy_task(n_symbols=np.int64(4), length=np.int64(3), delay=np.int64(2), n=np.int64(2)).x.shape == (2, 8, 6)


@pytest.mark.parametrize("make", [lambda D: tasks.pulse(60, D=D), lambda D: tasks.sine(60, D=D),
                                  lambda D: tasks.noise(60, D=D)])
@pytest.mark.parametrize("D", [0, -1, 10**6])
def test_the_input_size_of_a_signal_is_bounded_by_the_library_limit(make, D):
    with pytest.raises(ValueError, match=rf"input size D must be in \[1, {limits.INPUT_SIZE.hi}\], got {D}"):
        make(D)


def test_the_batch_size_is_bounded_by_the_library_limit():
    with pytest.raises(ValueError, match=rf"batch size n must be in \[1, {limits.TASK_BATCH_SIZE.hi}\], got 1000000000"):
        tasks.adding_problem(5000, n=10**9)


def test_a_batch_too_large_to_hold_is_refused_before_it_is_made():
    with pytest.raises(ValueError, match=r"a batch of n=10000 sequences of shape \(T, D\) = \(5000, 2\) holds 100,000,000"):
        tasks.adding_problem(5000, n=10_000)
