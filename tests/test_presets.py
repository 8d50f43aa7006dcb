"""gru_viz.presets: plain settings (as in a URL) -> the same model and input every time."""

import numpy as np
import pytest

import gru_viz as gv
from gru_viz import presets as P


@pytest.mark.parametrize("preset, D, names", [("pulse", 1, ["pulse"]), ("sine", 1, ["sine"]), ("noise", 1, ["noise"]),
                                              ("adding", 2, ["value", "marker"])])
def test_signal_presets_have_length_T_and_named_channels(preset, D, names):
    x, got = P.build_input(preset, 37)
    assert x.shape == (37, D) and got == names


def test_pulse_preset_is_the_tasks_pulse():
    np.testing.assert_array_equal(P.build_input("pulse", 50)[0], gv.tasks.pulse(50))


def test_adding_preset_marks_exactly_two_steps():
    x, _ = P.build_input("adding", 60, seed=3)
    assert x[:, 1].sum() == 2 and ((0 <= x[:, 0]) & (x[:, 0] <= 1)).all()


def test_random_presets_are_seeded():
    for preset in ("noise", "adding"):
        a, b, c = (P.build_input(preset, 40, seed=s)[0] for s in (1, 1, 2))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_text_preset_is_one_hot_one_step_per_character_including_non_ascii():
    x, names = P.build_input("text", 999, text="héllo wörld")
    assert x.shape == (11, len(set("héllo wörld")) + 1)  # T = len(text); T argument ignored
    assert (x.sum(axis=1) == 1).all() and names[-1] == "unknown" and "'é'" in names


def test_unknown_preset_and_bad_length_raise_clear_errors():
    with pytest.raises(ValueError, match="input preset"):
        P.build_input("square", 10)
    with pytest.raises(ValueError, match="sequence length"):
        P.build_input("pulse", 0)


@pytest.mark.parametrize("cell, cls", [("GRU", gv.GRU), ("LSTM", gv.LSTM), ("RNN", gv.VanillaRNN)])
def test_build_model_gives_the_cell_asked_for(cell, cls):
    m = P.build_model(cell, input_size=2, hidden_size=6, seed=4)
    assert type(m) is cls and (m.input_size, m.hidden_size, m.seed) == (2, 6, 4)


def test_build_model_is_seeded_and_init_scale_scales_the_weights():
    a, b = P.build_model("GRU", 1, 8, seed=5), P.build_model("GRU", 1, 8, seed=5)
    np.testing.assert_array_equal(a.weight_hh, b.weight_hh)
    c = P.build_model("GRU", 1, 8, seed=5, init_scale=2.5)
    np.testing.assert_allclose(c.weight_hh, 2.5 * a.weight_hh)
    np.testing.assert_allclose(c.weight_ih, 2.5 * a.weight_ih)
    assert not np.array_equal(a.weight_hh, P.build_model("GRU", 1, 8, seed=6).weight_hh)


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell="Transformer"), "cell must be one of"),
    (dict(seed=-1), "seed"),
    (dict(seed=10_000), "seed"),
    (dict(init_scale=0.0), "init scale"),
    (dict(init_scale=float("nan")), "init scale"),
    (dict(init_scale="big"), "init scale"),
    (dict(hidden_size=0), "hidden size"),
])
def test_build_model_rejects_bad_settings_with_a_message(kwargs, match):
    args = dict(cell="GRU", input_size=1, hidden_size=4, seed=0, init_scale=1.0) | kwargs
    with pytest.raises(ValueError, match=match):
        P.build_model(**args)


def test_clean_text_falls_back_on_empty_and_cuts_long_text():
    assert P.clean_text("") == (P.DEFAULT_TEXT, "The text was empty, so the example sentence is used instead.")
    assert P.clean_text("   ")[0] == P.DEFAULT_TEXT
    text, msg = P.clean_text("ab" * 300, max_chars=500)
    assert text == ("ab" * 300)[:500] and "600 characters" in msg
    assert P.clean_text("日本語 ok") == ("日本語 ok", "")


@pytest.mark.parametrize("cell", P.CELLS)
@pytest.mark.parametrize("preset", P.PRESETS)
def test_every_cell_runs_on_every_preset(cell, preset):
    x, _ = P.build_input(preset, 25, seed=1)
    tr = P.build_model(cell, x.shape[1], 3, seed=1).run(x)
    assert tr.h.shape == (len(x), 3) and tr.finite
