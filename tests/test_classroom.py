"""Presentation mode is a toggle kept in the URL; charts get scaled fonts and a download format."""

from pathlib import Path

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from gru_viz import classroom
from tests.app_helpers import charts

ROOT = Path(__file__).resolve().parents[1]


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def test_presentation_toggle_writes_present_to_the_url():
    at = _app().run()
    assert not at.exception
    toggle = at.sidebar.toggle(key=classroom.PRESENT_KEY)
    assert toggle.value is False
    toggle.set_value(True).run()
    assert not at.exception
    assert at.query_params.get("present") == "1"
    assert at.session_state[classroom.PRESENT_KEY] is True


def test_present_in_the_url_turns_presentation_mode_on():
    at = _app()
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.sidebar.toggle(key=classroom.PRESENT_KEY).value is True


def test_a_link_with_a_present_value_it_cannot_read_says_so_and_leaves_it_off():
    at = _app()
    at.query_params["present"] = "maybe"
    at.run()
    assert not at.exception
    assert any("`present=maybe` was ignored" in w.value for w in at.warning)
    assert at.sidebar.toggle(key=classroom.PRESENT_KEY).value is False and "present" not in at.query_params
    at = _app()
    at.query_params["present"] = "0"  # a plain "off": no message
    at.run()
    assert not at.warning and at.sidebar.toggle(key=classroom.PRESENT_KEY).value is False


def test_turning_presentation_off_removes_it_from_the_url():
    at = _app()
    at.query_params["present"] = "1"
    at.run()
    at.sidebar.toggle(key=classroom.PRESENT_KEY).set_value(False).run()
    assert "present" not in at.query_params


def test_scaling_for_presentation_enlarges_fonts_and_annotations():
    fig = go.Figure(layout={"font": {"size": 14}, "height": 300})
    fig.add_annotation(text="note", font={"size": 10})
    classroom.scale_for_presentation(fig, factor=1.5)
    assert fig.layout.font.size == 21
    assert fig.layout.annotations[0].font.size == 15
    assert fig.layout.height == 360


def test_scaling_for_presentation_enlarges_every_font_a_figure_sets():
    # a panel's own small tick labels, axis titles, legend, colour bar and hover labels grow with the rest
    fig = go.Figure(
        [go.Heatmap(z=[[1, 2]], colorbar=dict(tickfont=dict(size=10)), textfont=dict(size=8)), go.Scatter(y=[1, 2])],
        layout={"font": {"size": 18}, "xaxis2": {"tickfont": {"size": 14}, "title": {"text": "unit", "font": {"size": 12}}},
                "legend": {"font": {"size": 16}}, "hoverlabel": {"font": {"size": 18}}, "coloraxis": {"colorbar": {
                    "title": {"text": "gate", "font": {"size": 20}}}}, "template": "plotly_white",
                "margin": {"t": 60, "l": 70}},
    )
    classroom.scale_for_presentation(fig, factor=1.5)
    L = fig.layout
    assert (L.font.size, L.xaxis2.tickfont.size, L.xaxis2.title.font.size) == (27, 21, 18)
    assert (L.legend.font.size, L.hoverlabel.font.size, L.coloraxis.colorbar.title.font.size) == (24, 27, 30)
    assert (fig.data[0].colorbar.tickfont.size, fig.data[0].textfont.size) == (15, 12)
    assert fig.data[1].textfont.size is None  # what was not set stays unset (it follows the base font)
    assert (L.margin.t, L.margin.l, L.margin.r) == (90, 105, None)  # room for the larger titles and tick labels


def test_a_long_title_gets_two_lines_for_presentation_and_room_for_them():
    long = "GRU (PyTorch's form, reset after W_hn), H = 8, W_iz = -16, update bias 4, seed 0"
    fig = go.Figure(layout={"font": {"size": 18}, "title": {"text": long, "font": {"size": 22}}, "margin": {"t": 60}})
    classroom.scale_for_presentation(fig, factor=1.5)
    assert fig.layout.title.text == "GRU (PyTorch's form, reset after W_hn),<br>H = 8, W_iz = -16, update bias 4, seed 0"
    assert fig.layout.margin.t == 90 + round(33 * 1.25)
    short = go.Figure(layout={"title": {"text": "GRU, H = 8, seed 0"}, "margin": {"t": 60}})
    classroom.scale_for_presentation(short, factor=1.5)
    assert short.layout.title.text == "GRU, H = 8, seed 0" and short.layout.margin.t == 90


def test_chart_config_uses_a_safe_filename_and_double_scale():
    config = classroom.chart_config("gate explorer / GRU")
    assert config["toImageButtonOptions"]["filename"] == "gate-explorer-GRU"
    assert config["toImageButtonOptions"]["scale"] == 2


def _lesson_page(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "gru_viz" / "pages" / "lessons.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_presentation_mode_shows_one_figure_per_screen_in_lessons():
    # Lesson 2, step 4 holds two figures: in presentation mode they sit on two screens (tabs).
    at = _lesson_page({"lesson": "2", "step": "4"})
    at.session_state[classroom.PRESENT_KEY] = True
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Screen 1", "Screen 2"]
    for tab in at.tabs:
        assert len(charts(tab)) == 1


def test_without_presentation_mode_a_step_shows_all_its_figures_in_order():
    at = _lesson_page({"lesson": "2", "step": "4"}).run()
    assert not at.exception
    assert len(at.tabs) == 0
    assert len(charts(at)) == 2


def test_lesson_steps_have_left_and_right_arrow_shortcuts():
    at = _lesson_page({"lesson": "1", "step": "2"}).run()
    assert not at.exception
    shortcuts = {b.label: b.proto.shortcut for b in at.button if b.proto.shortcut}
    assert shortcuts == {"◀ Previous": "left", "Next ▶": "right"}


def test_on_a_projector_a_lessons_header_is_one_row_so_its_figure_comes_up_sooner():
    """At 1280 x 800 the step's figure started below the screen (helper-24): the header took three rows."""
    at = _lesson_page({"lesson": "3", "step": "4"})
    at.session_state[classroom.PRESENT_KEY] = True
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert labels[:2] == ["◀ Previous", "Next ▶"] and labels[-1] == "← All lessons"  # "All lessons" moves down
    assert not at.get("download_button") and not any("move between steps" in c.value for c in at.caption)
    assert at.get("progress")[0].proto.text == "Lesson 3 · Step 4 of 6"
    normal = _lesson_page({"lesson": "3", "step": "4"}).run()
    assert [b.label for b in normal.button][0] == "← All lessons" and normal.get("download_button")


def test_a_title_becomes_a_plain_text_alternative_without_eating_a_less_than_sign():
    """The Gates on Text saturation chart read "unit isnearly shut ( 0.9)": "< 0.1) or wide open (>" taken for a tag."""
    fig = go.Figure(layout=dict(title=dict(text="how often each unit is<br>nearly shut (< 0.1) or wide open (> 0.9) "
                                                "<sup>&amp; more</sup>")))
    assert classroom._title_text(fig) == "how often each unit is nearly shut (< 0.1) or wide open (> 0.9) & more"
