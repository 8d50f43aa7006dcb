"""The attention page in Streamlit's AppTest: defaults, extremes, widget changes, bad input, URL state."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import charts, figure_json

PAGE = str(Path(__file__).resolve().parent.parent / "gru_viz" / "pages" / "attention.py")


def _run(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Length"))


def _charts(at: AppTest) -> int:
    return len(charts(at))


def test_default_page_shows_three_charts_and_the_key_number():
    at = _run()
    assert not at.exception and not at.error
    assert _charts(at) == 3
    summary = _summary(at)
    assert summary.startswith("**Length 12:") and "mirror position averages" in summary


@pytest.mark.parametrize("length", ["1", "40"])
def test_extreme_lengths_from_the_url_run_cleanly(length):
    at = _run(L=length)
    assert not at.exception and not at.error
    assert _summary(at).startswith(f"**Length {length}")
    if length == "40":
        assert "longer than any training string" in _summary(at)
    else:  # length 1 is below the training range (2-20): said as well
        assert "shorter than any training string: trained on 2–20" in _summary(at)


def test_moving_the_length_slider_redraws_and_updates_the_url():
    at = _run()
    at.slider(key="w_L").set_value(20).run()
    assert not at.exception
    assert _summary(at).startswith("**Length 20:")
    assert at.query_params["L"] == ["20"] or at.query_params["L"] == "20"


def test_a_different_seed_gives_a_different_string():
    at = _run()
    first = figure_json(charts(at)[0])
    at.number_input(key="w_seed").set_value(5).run()
    assert not at.exception
    assert figure_json(charts(at)[0]) != first


def test_typed_sequence_is_reversed():
    at = _run(src="typed", text="abcdefgh")
    assert not at.exception and not at.error
    assert _summary(at).startswith("**Length 8:")


@pytest.mark.parametrize("text, message", [("abxq", "unknown symbol"), ("", "empty")])
def test_bad_typed_sequences_show_a_clear_error(text, message):
    at = _run(src="typed")
    at.text_input(key="w_text").set_value(text).run()
    assert not at.exception
    assert at.error and message in at.error[0].value
    assert _charts(at) == 0


def test_malformed_url_settings_warn_and_fall_back():
    at = _run(L="999", src="nonsense")
    assert not at.exception and not at.error
    assert len(at.warning) >= 2
    assert _summary(at).startswith("**Length 12:")


def test_switching_the_accuracy_measure_keeps_the_page_clean():
    at = _run()
    at.radio(key="w_metric").set_value("sequence").run()
    assert not at.exception and _charts(at) == 3
    assert "strings entirely right" in figure_json(charts(at)[2])


def test_typed_text_longer_than_the_models_take_is_cut_with_one_clear_message():
    at = _run(src="typed", text="a" * 100)
    assert not at.exception and not at.error  # used to say "only the first 80 are used", then "must be in [1, 40]"
    assert len(at.warning) == 1 and "only the first 40 are used" in at.warning[0].value
    assert _summary(at).startswith("**Length 40")
    assert at.text_input(key="w_text").max_chars == 40  # the box takes no more than the models do
    at.text_input(key="w_text").set_value("b" * 50).run()
    assert not at.exception and not at.error and _summary(at).startswith("**Length 40")


def test_typed_capitals_read_as_small_letters():
    at = _run(src="typed", text="ABC dEf")
    assert not at.exception and not at.error
    assert _summary(at).startswith("**Length 6:")
    assert "capitals read as small letters" in at.text_input(key="w_text").label


@pytest.mark.parametrize("length", ["10", "33"])
def test_the_accuracy_reading_quotes_the_strings_own_length_or_the_nearest_measured(length):
    import json

    manifest = json.loads((Path(PAGE).parents[2] / "checkpoints" / "attention" / "manifest.json").read_text())
    measured = sorted(int(L) for L in manifest["models"]["with_attention"]["accuracy"])
    nearest = min(measured, key=lambda L: (abs(L - int(length)), L))
    at = _run(L=length)
    reading = next(c.value for c in at.caption if "with attention vs" in c.value)
    assert reading.startswith(f"at length {nearest}") and (("nearest" in reading) == (nearest != int(length)))
