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
    at.selectbox(key="w_gru_signal").set_value("update").run()
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


def test_pattern_is_kept_when_the_text_is_emptied_and_typed_again():
    at = run_page(text="", pattern="comment")
    # drawn on the empty page too: a widget left out of a run loses its value in the browser
    assert at.selectbox(key="w_pattern").value == "comment" and at.toggle(key="w_underline").value
    at.text_area(key="text").set_value("print('a')  # x\n").run()
    at.text_area(key="text").set_value("print('b')  # c\n").run()
    assert not at.exception
    assert at.selectbox(key="w_pattern").value == "comment" and at.query_params["pattern"] == "comment"
    ranks = [h.proto.body for h in at.html if 'class="gv-rank"' in h.proto.body]
    assert len(ranks) == 2 and all(f"“{interpret.PATTERNS['comment'][0]}”" in r for r in ranks)


def reopen(at: AppTest) -> AppTest:
    """A new session on the URL the page wrote (what a reload or a shared link does)."""
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for k, v in at.query_params.items():
        again.query_params[k] = v[0] if isinstance(v, list) else v
    return again.run()


def test_the_written_url_reopens_the_same_text_signal_and_unit():
    text = "def f(x):\n    return 'a' + x  # add\n"
    at = run_page(text=text, pattern="string")
    at.selectbox(key="w_gru_signal").set_value("update").run()
    next(n for n in at.number_input if n.label == "GRU unit").set_value(7).run()
    next(n for n in at.number_input if n.label == "LSTM unit").set_value(3).run()
    shown = {k: coloured_text(at, k) for k in ("GRU", "LSTM")}
    assert shown["GRU"]["title"].endswith("unit 7") and shown["LSTM"]["title"].endswith("unit 3")

    again = reopen(at)
    assert not again.exception and not again.warning
    assert again.text_area(key="text").value == text and again.selectbox(key="w_sample").value.startswith("✏️")
    assert again.selectbox(key="w_gru_signal").value == "update"
    for k in ("GRU", "LSTM"):
        assert coloured_text(again, k) == shown[k]  # the same picture: text, colours, title


def test_a_new_pattern_starts_at_its_best_unit():
    at = run_page(pattern="string")
    next(n for n in at.number_input if n.label == "GRU unit").set_value(7).run()
    at.selectbox(key="w_pattern").set_value("comment").run()
    best = next(h.proto.body for h in at.html if 'class="gv-rank"' in h.proto.body and "GRU" in h.proto.body)
    unit = next(n for n in at.number_input if n.label == "GRU unit").value
    assert at.query_params["gru_unit"] == str(unit) and f"[{unit}]" in best.split('class="sel"')[1][:400]


def test_text_too_long_for_the_link_is_left_out_and_said():
    at = run_page(text="x = 1\n" * 400)  # 2400 characters: read, but not kept in the URL
    assert not at.exception
    assert "text" not in at.query_params and any("too long to keep in the link" in c.value for c in at.caption)
    short = run_page(text="x = 1\n")
    assert short.query_params["text"] == "x = 1\n" and not any("too long" in c.value for c in short.caption)


def test_the_view_toggles_are_in_the_url_and_a_link_reopens_them():
    text = "def f(x):\n    return 'a' + x  # add\n"
    at = run_page(text=text, pattern="string")
    assert "1" in coloured_text(at, "GRU").get("marked", "")  # underlined by default
    before = [s for s in chart_specs(at) if "saturation" in s["layout"]["title"]["text"]]
    at.toggle(key="w_underline").set_value(False).run()
    at.toggle(key="w_sat_mine").set_value(True).run()
    assert not at.exception
    assert at.query_params["underline"] == "off" and at.query_params["sat_mine"] == "on"
    shown = coloured_text(at, "GRU")
    assert not shown.get("marked") or "1" not in shown["marked"]  # no underline
    after = [s for s in chart_specs(at) if "saturation" in s["layout"]["title"]["text"]]
    assert after != before  # measured on the typed text now

    again = reopen(at)
    assert not again.exception and not again.warning
    assert not again.toggle(key="w_underline").value and again.toggle(key="w_sat_mine").value
    assert coloured_text(again, "GRU") == shown
    assert [s for s in chart_specs(again) if "saturation" in s["layout"]["title"]["text"]] == after


def test_the_saturation_toggle_survives_an_emptied_text_box():
    at = run_page(text="x = 'a'\n")
    at.toggle(key="w_sat_mine").set_value(True).run()
    at.text_area(key="text").set_value("").run()
    at.text_area(key="text").set_value("y = 'b'\n").run()
    assert not at.exception
    assert at.toggle(key="w_sat_mine").value and at.query_params["sat_mine"] == "on"


def test_a_text_with_no_string_says_once_why_units_cannot_be_ranked():
    at = run_page(text="x = 1 + 2\n", pattern="string")
    assert not at.exception
    said = [m.value for m in [*at.info, *at.warning] if "rank" in m.value]
    assert said == ["Units cannot be ranked for “inside a string” in this text: no character of it matches. The ranking "
                    "compares the characters that match with those that do not, so the text needs some of each."]
    assert not [h for h in at.html if 'class="gv-rank"' in h.proto.body]


def test_typed_text_and_settings_survive_a_visit_to_another_page_and_the_span_is_in_the_link():
    """A student who pasted code, visited the Attention page and came back found the sample snippet again."""
    root = Path(PAGE).parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("gru_viz/pages/text_view.py").run()
    mine = "def area(r):\n    return 3.14159 * r * r  # my own code\n"
    at.text_area(key="text").set_value(mine).run()
    at.selectbox(key="w_pattern").set_value("span").run()
    at.slider(key=f"span_{len(mine)}").set_value((4, 8)).run()
    at.number_input(key="w_gru_unit").set_value(7).run()
    assert not at.exception and at.query_params["span"] == "4-8"
    at.switch_page("gru_viz/pages/home.py").run()
    for key in list(at.query_params):  # the browser's address bar loses the page's settings on a page switch
        del at.query_params[key]
    at.switch_page("gru_viz/pages/text_view.py").run()
    assert not at.exception
    assert at.text_area(key="text").value == mine and at.selectbox(key="w_pattern").value == "span"
    assert at.slider(key=f"span_{len(mine)}").value == (4, 8) and at.number_input(key="w_gru_unit").value == 7
    link = AppTest.from_file(PAGE, default_timeout=TIMEOUT)  # the link it writes reopens the same span
    for k in ("text", "sample", "pattern", "span"):
        link.query_params[k] = at.query_params[k]
    link.run()
    assert link.slider(key=f"span_{len(mine)}").value == (4, 8)


@pytest.mark.parametrize("raw", ["9-3", "0-99999", "a-b", "5", "²-3", "-1-4"])
def test_a_span_in_the_link_that_does_not_fit_warns_and_uses_the_first_quarter(raw):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params["pattern"], at.query_params["span"] = "span", raw
    at.run()
    assert not at.exception and any(f"`span={raw}` was ignored" in w.value for w in at.warning)
    T = len(at.text_area(key="text").value)
    assert at.slider(key=f"span_{T}").value == (0, T // 4)


def test_the_prediction_position_is_in_the_link_and_follows_a_shorter_text():
    at = run_page()
    at.number_input(key="w_pos").set_value(17).run()
    assert at.query_params["pos"] == "17"
    link = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    link.query_params["pos"] = "17"
    link.run()
    assert link.number_input(key="w_pos").value == 17
    at.text_area(key="text").set_value("abc").run()  # shorter than the position: it moves to the last character
    assert not at.exception and at.number_input(key="w_pos").value == 2 and at.query_params["pos"] == "2"
