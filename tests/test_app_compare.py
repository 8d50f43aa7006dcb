"""AppTest specifications of the Compare Cells and Phase Portrait pages."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import charts

ROOT = Path(__file__).resolve().parent.parent
COMPARE = str(ROOT / "gru_viz/pages/compare.py")
PHASE = str(ROOT / "gru_viz/pages/phase_portrait.py")
TIMEOUT = 120  # seconds; the machine is shared


def run(path, **query):
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


# ----------------------------------------------------------------------------
# Compare Cells


def test_adding_a_cell_computes_only_that_cell(monkeypatch):
    from gru_viz import registry

    computed, real = [], registry.compare_run

    def counting(key, *args, **kwargs):
        computed.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(registry, "compare_run", counting)
    at = run(COMPARE, cells="gru,lstm", T="37", seed="5")  # settings no other test caches
    no_errors(at)
    assert sorted(computed) == ["gru", "lstm"]
    at.multiselect(key="w_cells").set_value(["gru", "lstm", "mgu"]).run()
    no_errors(at)
    assert sorted(computed) == ["gru", "lstm", "mgu"]  # the GRU and the LSTM came from the cache


def test_compare_defaults_show_gru_lstm_mgu_mingru_with_both_charts_and_the_table():
    at = run(COMPARE)
    no_errors(at)
    assert at.multiselect(key="w_cells").value == ["gru", "lstm", "mgu", "mingru"]
    assert len(charts(at)) == 2
    text = captions(at)
    assert "Gradient reaching back all 60 steps: GRU" in text and "minGRU" in text
    table = at.dataframe[0].value
    assert list(table["cell"]) == ["GRU", "LSTM", "MGU", "minGRU"]
    assert list(table["parameters"]) == [3 * (8 + 64 + 16), 4 * (8 + 64 + 16), 2 * (8 + 64 + 16), 2 * (8 + 8)]
    assert any("sigmoid 1/(1 + e⁻ᵃ) for every gated cell" in m.value for m in at.markdown)


def test_compare_on_a_projector_shows_the_table_as_text_that_grows_with_the_page():
    """A dataframe is a canvas that presentation mode's CSS cannot enlarge (and at 1280 px it cut off the reference
    column): presenting, the same rows are a static table."""
    at = AppTest.from_file(COMPARE, default_timeout=TIMEOUT)
    at.session_state["present"] = True
    at.run()
    no_errors(at)
    assert len(at.dataframe) == 0 and len(at.table) == 1
    table = at.table[0].value
    assert list(table["cell"]) == ["GRU", "LSTM", "MGU", "minGRU"]
    assert list(table["reference"])[0].startswith("Cho et al.")
    assert all(re.fullmatch(r"\d+\.\d", v) for v in table["measured µs / step"])  # 3.7, not 3.7000


def test_compare_reports_the_hard_sigmoid_when_a_cell_uses_it():
    at = run(COMPARE, cells="gru,gru_hard,rnn")
    no_errors(at)
    acts = " ".join(m.value for m in at.markdown if "Gate activation" in m.value)
    assert "hard sigmoid clip(a/6 + 1/2, 0, 1)" in acts and "RNN (tanh): — (no gates)" in acts


def test_compare_changing_the_cells_changes_the_result():
    at = run(COMPARE)
    before = captions(at)
    at.multiselect(key="w_cells").set_value(["rnn", "gru3"]).run()
    no_errors(at)
    after = captions(at)
    assert after != before and "RNN (tanh)" in after and "GRU3 (Dey & Salem)" in after
    assert list(at.dataframe[0].value["cell"]) == ["RNN (tanh)", "GRU3 (Dey & Salem)"]


def test_compare_changing_the_seed_changes_the_gradients():
    at = run(COMPARE, cells="gru,mgu")
    before = re.search(r"Gradient reaching back.*?\.\s", captions(at)).group(0)
    at.number_input(key="w_seed").set_value(7).run()
    no_errors(at)
    assert re.search(r"Gradient reaching back.*?\.\s", captions(at)).group(0) != before


def test_compare_with_one_cell_asks_for_two():
    at = run(COMPARE)
    at.multiselect(key="w_cells").set_value(["gru"]).run()
    no_errors(at)
    assert any("at least 2 cells" in w.value for w in at.warning)
    assert len(charts(at)) == 0


@pytest.mark.parametrize("query", [
    {"cells": "lstm,cifg,gru2,mingru", "H": "32", "T": "2"},
    {"cells": "rnn,lstm_hard", "H": "1", "T": "500", "input": "noise", "scale": "5"},
    {"cells": "gru1,gru_cho", "H": "4", "T": "30", "input": "text", "show": "all"},
])
def test_compare_runs_at_the_extremes_of_every_control(query):
    at = run(COMPARE, **query)
    no_errors(at)
    assert len(charts(at)) == 2


def test_compare_bad_link_warns_and_falls_back():
    at = run(COMPARE, cells="gru,nonsense", H="999")
    no_errors(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "nonsense" in warnings and "H=999" in warnings
    assert at.multiselect(key="w_cells").value == ["gru"]  # the valid part of the link is kept


# ----------------------------------------------------------------------------
# Phase Portrait


def _ratio(at) -> float:
    return float(re.search(r"moves the state ([\d.]+)× as far", captions(at)).group(1))


def test_phase_portrait_defaults_draw_both_fields_and_the_key_number():
    at = run(PHASE)
    no_errors(at)
    assert len(charts(at)) == 1
    text = captions(at)
    assert "One GRU step moves the state" in text and "Stable fixed points: RNN 2, GRU 2" in text
    assert 0 < _ratio(at) < 1


def test_phase_portrait_raising_the_update_bias_slows_the_gru():
    at = run(PHASE)
    slow = _ratio(at)
    at.slider(key="w_bz").set_value(6.0).run()
    no_errors(at)
    assert 0 < _ratio(at) < slow / 5  # slow, not stopped: it read "0.00×" and "z = σ(6) = 1.00"
    assert "z = σ(6) = 0.9975" in captions(at)


def test_phase_portrait_changing_a_weight_changes_the_fixed_points():
    at = run(PHASE)
    at.slider(key="w_w11").set_value(0.2).run()
    at.slider(key="w_w22").set_value(0.2).run()
    no_errors(at)
    assert "Stable fixed points: RNN 1, GRU 1" in captions(at)


@pytest.mark.parametrize("query", [
    {"w11": "-3", "w12": "3", "w21": "-3", "w22": "3", "bz": "-4", "br": "-4", "wz": "-3", "x": "-2", "steps": "1"},
    {"w11": "3", "w12": "-3", "w21": "3", "w22": "-3", "bz": "8", "br": "8", "wz": "3", "x": "2", "steps": "60",
     "arrows": "fit"},
])
def test_phase_portrait_runs_at_the_extremes_of_every_slider(query):
    at = run(PHASE, **query)
    no_errors(at)
    assert len(charts(at)) == 1 and "One GRU step" in captions(at)


def test_a_link_with_more_than_four_cells_says_which_were_left_out():
    at = run(COMPARE, cells="gru,lstm,mgu,mingru,rnn")
    no_errors(at)
    assert any("at most 4" in w.value and "rnn" in w.value for w in at.warning)
    assert at.multiselect(key="w_cells").value == ["gru", "lstm", "mgu", "mingru"]


def test_the_timing_column_says_which_cells_run_a_tuned_loop():
    # the MGU and minGRU have fewer FLOPs than the GRU but run their equations step by step: the caption says so
    at = run(COMPARE, cells="gru,lstm,mgu,mingru")
    no_errors(at)
    text = captions(at)
    assert "GRU, LSTM run a loop tuned for speed" in text and "MGU, minGRU run" in text


def test_a_growing_gradient_is_called_exploding_not_the_one_kept_best():
    # init scale 5 at T = 500: the LSTM's gradient grows ~1e7-fold over the 500 steps
    at = run(COMPARE, cells="gru,lstm", T="500", H="32", scale="5")
    assert not at.exception
    text = captions(at)
    assert "LSTM keeps the most" not in text and "In LSTM it grows without bound: an exploding gradient" in text
    assert any("Exploding gradient" in w.value and "LSTM" in w.value for w in at.warning)


def test_a_gradient_that_grows_a_little_is_kept_not_called_exploding():
    """At T = 10 the GRU's gradient stays between 1.00 and 1.58: the textbook kept gradient (it was 'exploding')."""
    at = run(COMPARE, cells="gru,mingru", T="10")
    no_errors(at)
    text = captions(at)
    assert "exploding" not in text.lower() and "In GRU it even grows a little: nothing fades." in text


def test_the_decay_reading_says_when_a_curve_comes_back_above_its_threshold():
    """The RNN's curve dips below 1e-6 at lag 43 and ends at 1.1e-5: 'RNN 43' alone contradicted the end values."""
    at = run(COMPARE, cells="rnn,gru,gru1,cifg")
    no_errors(at)
    reading = next(c.value for c in at.caption if c.value.startswith("Steps back until"))
    assert "RNN (tanh) 4" in reading and "then back above it" in reading


def test_one_cell_of_a_kind_takes_a_singular_verb():
    at = run(COMPARE, cells="gru,mgu")
    no_errors(at)
    assert "GRU runs a loop tuned for speed" in captions(at) and "MGU runs its equations step by step" in captions(at)


def test_phase_portrait_says_the_gate_can_make_a_point_the_rnn_overshoots_into_a_memory():
    """W = -2 I: the RNN flips sign every step around its fixed point (|λ| 1.98, no attractor); the GRU's eigenvalue
    z + (1 - z) λ is pulled towards 0 and the same point attracts it. The page used to say the gate only slows."""
    at = run(PHASE, w11="-2", w22="-2", w12="0", w21="0")
    no_errors(at)
    text = captions(at)
    assert "Stable fixed points: RNN 0, GRU 1" in text
    assert "the RNN reaches no stable point within 1000 steps; the GRU is within 0.01 of a stable point after" in text
    assert "a point the RNN cannot hold can attract the GRU" in text


def test_compare_says_its_gradient_is_the_whole_state_only_where_that_is_not_h():
    """The Gradient Lab measures h alone: without a word, its LSTM numbers seemed to disagree with these."""
    assert "[h, c] for LSTM, CIFG LSTM" in captions(run(COMPARE, cells="gru,lstm,cifg"))
    assert "[h, c]" not in captions(run(COMPARE, cells="gru,mgu"))
