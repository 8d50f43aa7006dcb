"""The "Gates on text" page in Streamlit's AppTest (no browser)."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gru_viz import corpus, text_models

PAGE = str(Path(__file__).resolve().parent.parent / "gru_viz" / "pages" / "text_view.py")
TIMEOUT = 120  # seconds; the first run loads both models and reads the text twice


def run_page(text: str | None = None, pattern: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    if pattern is not None:
        at.query_params["pattern"] = pattern
    at.run()
    if text is not None:
        at.text_area(key="text").set_value(text).run()
    return at


def as_array(v) -> np.ndarray:
    """A Plotly JSON array, plain or binary-encoded ({"dtype", "bdata", "shape"})."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.array(v, dtype=float)


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_page_shows_both_models_text_ranking_and_saturation():
    at = run_page()
    assert not at.exception and not at.error
    titles = [s["layout"].get("title", {}).get("text", "") for s in chart_specs(at)]
    assert any(t.startswith("GRU:") for t in titles) and any(t.startswith("LSTM:") for t in titles)
    assert any("inside a string" in t for t in titles)  # the default pattern ranks units
    assert any("saturation" in t for t in titles)


def test_colouring_shown_equals_the_models_values_for_the_chosen_unit():
    text = 'print("hello")\n'
    at = run_page(text=text, pattern="none")
    at.selectbox(key="signal_GRU").set_value("update").run()
    next(n for n in at.number_input if n.label == "GRU unit").set_value(5).run()
    unit = 5
    spec = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("GRU:"))
    z = as_array(spec["data"][0]["z"])
    expected = text_models.load_shipped("GRU").read(text).trace.gates["update"][:, unit]
    assert np.allclose(z[0, : len(text)], expected, atol=1e-12, equal_nan=False)


def test_empty_text_gives_a_clear_message():
    at = run_page(text="")
    assert not at.exception
    assert any("empty" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_very_long_text_is_cut_with_a_warning():
    at = run_page(text="x = 1\n" * 1000, pattern="none")  # 6000 characters
    assert not at.exception
    assert any("only the first 5,000" in w.value for w in at.warning)


def test_unicode_is_read_as_unknown_and_flagged():
    at = run_page(text="naïve = '😀'\n", pattern="none")
    assert not at.exception
    assert any(corpus.UNK in w.value and "not in the models' vocabulary" in w.value for w in at.warning)


@pytest.mark.parametrize("pattern", ["span"])
def test_other_patterns_rank_without_errors(pattern):
    at = run_page(pattern=pattern)
    assert not at.exception and not at.error
    assert any("which units track" in s["layout"]["title"]["text"] for s in chart_specs(at) if "title" in s["layout"])
