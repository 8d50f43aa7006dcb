"""The "Gates on text" page in Streamlit's AppTest (no browser)."""

import json
from pathlib import Path

import plotly.colors
import pytest
from streamlit.testing.v1 import AppTest

from gru_viz import corpus, interpret, text_models
from tests.app_helpers import chart_specs, charts

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


def coloured_text(at: AppTest, kind: str) -> dict:
    """What the page sends the coloured-text component for one model (figures_text.text_payload)."""
    args = [json.loads(e.proto.json_args) for e in at.get("component_instance")]
    return next(a for a in args if a["kind"] == kind)


def test_page_shows_both_models_text_ranking_and_saturation():
    at = run_page()
    assert not at.exception and not at.error
    assert coloured_text(at, "GRU")["title"].startswith("GRU:") and coloured_text(at, "LSTM")["title"].startswith("LSTM:")
    ranks = [h.proto.body for h in at.html if 'class="gv-rank"' in h.proto.body]
    assert len(ranks) == 2 and all("“inside a string”" in r for r in ranks)  # the default pattern ranks units
    assert any("saturation" in s["layout"]["title"]["text"] for s in chart_specs(at))


def test_colouring_shown_equals_the_models_values_for_the_chosen_unit():
    text = 'print("hello")\n'
    at = run_page(text=text, pattern="none")
    at.selectbox(key="signal_GRU").set_value("update").run()
    next(n for n in at.number_input if n.label == "GRU unit").set_value(5).run()
    unit = 5
    shown = coloured_text(at, "GRU")
    expected = text_models.load_shipped("GRU").read(text).trace.gates["update"][:, unit]
    assert shown["chars"] == text.replace("\n", "↵") and shown["title"].endswith(f"unit {unit}")
    viridis = plotly.colors.sample_colorscale("Viridis", list(expected), colortype="tuple")  # a heatmap's colours
    assert shown["bg"] == ["#" + "".join(f"{round(255 * c):02x}" for c in rgb) for rgb in viridis]
    assert [float(t.split(" = ")[1].split()[0]) for t in shown["tips"]] == [round(v, 4) for v in expected]


def test_empty_text_gives_a_clear_message():
    at = run_page(text="")
    assert not at.exception
    assert any("empty" in i.value for i in at.info)
    assert not charts(at) and not at.get("component_instance")


def test_very_long_text_is_cut_with_a_warning():
    at = run_page(text="x = 1\n" * 1000, pattern="none")  # 6000 characters
    assert not at.exception
    assert any("only the first 5,000" in w.value for w in at.warning)


def test_unicode_is_read_as_unknown_and_flagged():
    at = run_page(text="naïve = '😀'\n", pattern="none")
    assert not at.exception
    assert any(corpus.UNK in w.value and "not in the models' vocabulary" in w.value for w in at.warning)


@pytest.mark.parametrize("pattern", ["span", "literal"])
def test_other_patterns_rank_without_errors(pattern):
    at = run_page(pattern=pattern)
    assert not at.exception and not at.error
    label = "the selected span" if pattern == "span" else interpret.PATTERNS[pattern][0]
    assert sum(f"best units for “{label}”" in h.proto.body for h in at.html) == 2  # one ranking per model


def test_presentation_mode_enlarges_the_coloured_text_like_the_charts():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["present"] = True  # what app.py sets from ?present=1 or the sidebar toggle
    at.run()
    assert not at.exception
    assert coloured_text(at, "GRU")["scale"] == coloured_text(at, "LSTM")["scale"] == 1.45
    plain = AppTest.from_file(PAGE, default_timeout=120).run()
    assert coloured_text(plain, "GRU")["scale"] == 1.0
