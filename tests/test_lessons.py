"""Lessons: the format and its validation, the check command, and the Lessons page walked step by step."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gru_viz import lessons as L
from tests.app_helpers import charts, figure_json

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
DATA = Path(__file__).resolve().parent / "data"
PAGE = str(ROOT / "gru_viz" / "pages" / "lessons.py")
FILES = L.lesson_files(LESSONS)


# ----------------------------------------------------------------------------
# the shipped lessons


def test_there_are_eight_lessons_in_order():
    assert [p.name[:2] for p in FILES] == [f"{i:02d}" for i in range(1, 9)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_lesson_parses_and_has_five_to_ten_steps(path):
    lesson = L.parse_lesson(path)  # (building every figure is the check command's job, below)
    assert 5 <= len(lesson.steps) <= 10
    assert lesson.title and lesson.summary
    assert all(step.figures or step.quizzes for step in lesson.steps), "every step shows something live"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_quiz_is_answerable(path):
    for step in L.parse_lesson(path).steps:
        for quiz in step.quizzes:
            if quiz.type == "choice":
                assert any(c.correct for c in quiz.choices) and all(c.feedback for c in quiz.choices)
            else:
                ok, answer = L.numeric_feedback(quiz, L.quiz_answer(quiz))
                assert ok and quiz.explanation


def test_the_right_choice_is_not_always_in_the_same_place():
    """A student who notices that the right answer is always the top one learns to click the top one."""
    places = [next(i for i, c in enumerate(q.choices) if c.correct)
              for p in FILES for step in L.parse_lesson(p).steps for q in step.quizzes if q.type == "choice"]
    assert len(places) >= 6 and max(places.count(i) for i in set(places)) <= len(places) / 2


def test_no_choice_stands_out_by_its_typesetting():
    """Lesson 1's right answer was the only choice with a formula in it: it stood out (helper-24)."""
    for path in FILES:
        for step in L.parse_lesson(path).steps:
            for q in step.quizzes:
                if q.type == "choice":
                    with_math = {"$" in c.text for c in q.choices}
                    assert len(with_math) == 1, (path.name, q.question)


def test_numeric_answers_are_shown_to_four_significant_digits():
    assert [L.format_answer(v) for v in (2.0**-10, 4032.0, 0.9**20, 1.8e-5)] == ["0.0009766", "4032", "0.1216", "1.8e-05"]


def test_the_check_command_builds_every_figure_of_the_shipped_lessons_and_passes(capsys):
    code = L.main(["check", str(LESSONS)])  # parses, builds every figure, computes every live answer
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.count("ok ") == len(FILES)


# ----------------------------------------------------------------------------
# broken lessons give file:line errors

BROKEN = [
    ("lesson_unknown_kind.md", 9, "unknown figure kind 'heatmapp'"),
    ("lesson_bad_param.md", 11, "hidden size must be in [1, 128], got 1000"),
    ("lesson_missing_feedback.md", 12, "missing field 'feedback' in choice 2"),
    ("lesson_bad_toml.md", 9, "bad TOML in figure block"),
    ("lesson_unknown_field.md", 10, "unknown field 'hiden'"),
    ("lesson_bad_control.md", 10, "'colour' cannot be a control of a 'decay' figure"),
    ("lesson_missing_kind.md", 7, "figure block needs a kind"),
    ("lesson_no_title.md", 1, "a lesson starts with its title"),
    ("lesson_unclosed.md", 5, "never closed"),
    ("lesson_numeric_both.md", 5, "exactly one of answer = <number> or a [compute] table"),
    ("lesson_core_error.md", 7, "pulse_at = 30 is after the end of the sequence (T = 20)"),  # raised by the core
    ("lesson_after_quiz_first.md", 7, "put a quiz before this figure in the same step"),
    ("lesson_after_quiz_not_bool.md", 15, "after_quiz must be true or false"),
]


@pytest.mark.parametrize("name,line,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_lesson_gives_an_error_naming_file_and_line(name, line, message):
    path = DATA / name
    with pytest.raises(L.LessonError) as info:
        L.check_lesson(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)
    assert (info.value.file, info.value.line) == (str(path), line)


def test_the_check_command_exits_1_and_prints_file_line_on_a_broken_lesson():
    bad = DATA / "lesson_unknown_kind.md"
    run = subprocess.run([sys.executable, "-m", "gru_viz.lessons", "check", str(bad)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert run.returncode == 1
    assert f"{bad}:9: unknown figure kind 'heatmapp'" in run.stderr


def test_the_check_command_without_check_prints_usage_and_exits_2(capsys):
    assert L.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_steps_split_on_level_two_headings_outside_code_fences(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("# T\nSummary here.\n\n## One\ntext\n```python\n## not a step\n```\n## Two\nmore\n")
    lesson = L.parse_lesson(p)
    assert [s.title for s in lesson.steps] == ["One", "Two"]
    assert "## not a step" in lesson.steps[0].parts[0]


def test_figure_defaults_are_filled_in_and_controls_kept(tmp_path):
    p = tmp_path / "x.md"
    p.write_text('# T\nS.\n\n## One\n```figure\nkind = "decay"\nradius = 0.5\ncontrols = ["radius"]\n```\n')
    fig = L.parse_lesson(p).steps[0].figures[0]
    assert fig.params["radius"] == 0.5 and fig.params["cells"] == ["rnn", "gru"] and fig.controls == ["radius"]
    assert fig.line == 5


def test_every_figure_kind_is_used_by_a_shipped_lesson_so_the_check_builds_it():
    used = {f.kind for p in FILES for step in L.parse_lesson(p).steps for f in step.figures}
    assert used == set(L.FIGURE_KINDS)


# ----------------------------------------------------------------------------
# the page


def _page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = str(v)
    return at.run()


def test_every_parameter_a_lesson_can_hand_to_the_reader_has_a_readable_label():
    """A control shows its label, never the raw field name ("input_gate_bias")."""
    controls = {name for kind in L.FIGURE_KINDS.values() for name, p in kind["params"].items() if p.control}
    assert sorted(controls - set(L.CONTROL_LABELS)) == []


def test_the_page_lists_every_lesson_with_its_step_count():
    at = _page()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for i, path in enumerate(FILES, start=1):
        lesson = L.parse_lesson(path)
        assert f"{i}. {lesson.title}" in text and f"{len(lesson.steps)} steps" in text


@pytest.mark.parametrize("number", range(1, len(FILES) + 1))
def test_apptest_walks_every_step_of_a_lesson_with_next(number):
    lesson = L.parse_lesson(FILES[number - 1])
    at = _page(lesson=number, step=1)
    for s, step in enumerate(lesson.steps, start=1):
        assert not at.exception, f"lesson {number} step {s}: {at.exception[0].value}"
        assert not at.error and not at.warning, f"lesson {number} step {s}: {[e.value for e in at.error + at.warning]}"
        assert at.query_params["step"] == str(s)
        assert at.header[0].value == f"{s}. {step.title}"
        n_charts = sum(f.kind != "equations" and not f.after_quiz for f in step.figures)  # after_quiz: not yet answered
        assert len(charts(at)) == n_charts
        if s < len(lesson.steps):
            at.button(key="next-top").click().run()


def test_a_control_changes_the_figure_without_error():
    at = _page(lesson=2, step=3)  # decay with a spectral-radius control
    key, fig = _widget_key(2, 3, L.Figure)
    assert fig.kind == "decay" and fig.controls == ["radius"]
    before = figure_json(charts(at)[0])
    at.select_slider(key=f"{key}-radius").set_value(1.2).run()
    assert not at.exception and not at.warning
    assert figure_json(charts(at)[0]) != before


def _widget_key(lesson: int, step: int, kind: type) -> tuple[str, object]:
    """The page's widget key of the first figure/quiz of a step, e.g. 'l1-s3-p1', and that part."""
    parts = L.parse_lesson(FILES[lesson - 1]).steps[step - 1].parts
    j = next(j for j, p in enumerate(parts) if isinstance(p, kind))
    return f"l{lesson}-s{step}-p{j}", parts[j]


def test_a_choice_quiz_gives_the_feedback_of_the_picked_answer():
    at = _page(lesson=1, step=3)
    key, quiz = _widget_key(1, 3, L.Quiz)
    right = next(c for c in quiz.choices if c.correct)
    wrong = next(c for c in quiz.choices if not c.correct)
    at.radio(key=key).set_value(wrong.text).run()  # choosing alone does not answer: the arrow keys move the choice
    assert not at.error and not at.success
    assert at.session_state["quiz_memory"] == {}  # nothing answered yet
    at.radio(key=key).set_value(wrong.text)
    at.button(key=f"{key}-check").click().run()
    assert [e.value for e in at.error] == [f"Not quite. {wrong.feedback}"] and not at.success
    # answered: the choices become text (the reader's marked), so the arrow keys move between steps, not choices
    assert not [r for r in at.radio if r.key == key] and any(f"**◉ {wrong.text}**" in m.value for m in at.markdown)
    at.button(key=f"{key}-change-button").click().run()
    assert at.radio(key=key).value == wrong.text
    at.radio(key=key).set_value(right.text)
    at.button(key=f"{key}-check").click().run()
    assert not [r for r in at.radio if r.key == key]
    assert [s.value for s in at.success] == [f"Right. {right.feedback}"] and not at.error
    at.button(key="next-top").click().run()
    at.button(key="prev-top").click().run()  # back on the step: the answer and its feedback are still there
    assert any(f"**◉ {right.text}**" in m.value for m in at.markdown)
    assert [s.value for s in at.success] == [f"Right. {right.feedback}"]


def test_an_answer_kept_from_an_earlier_visit_comes_back_only_to_the_quiz_it_answered():
    """The browser keeps {quiz key: [fingerprint, answer]} (the page's browser_memory component); a lesson edited
    since, with another quiz at the same place, must not inherit the old answer."""
    key, quiz = _widget_key(1, 3, L.Quiz)
    wrong = next(c for c in quiz.choices if not c.correct)
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.query_params.update(lesson="1", step="3")
    page.session_state["quiz_memory"] = {key: ["another quiz", wrong.text]}
    page.run()
    assert not page.exception and not page.error and page.radio(key=key).value is None
    page.session_state["quiz_memory"] = {key: [quiz.fingerprint, wrong.text]}
    page.run()
    assert [e.value for e in page.error] == [f"Not quite. {wrong.feedback}"]

    page.query_params.clear()
    page.run()  # the list of lessons offers to forget the answers (a shared classroom computer)
    assert any("keeps your 1 quiz answer" in c.value for c in page.caption)
    page.button(key=next(b.key for b in page.button if b.label == "Forget my answers")).click().run()
    assert page.session_state["quiz_memory"] == {} and not [b for b in page.button if b.label == "Forget my answers"]


def test_a_numeric_quiz_checks_against_the_live_answer_with_its_tolerance():
    # lesson 7, step 4: gradient norm 20 steps back with z = 0.9, r = 0 clamped -> 0.9^20 = 0.1216
    at = _page(lesson=7, step=4)
    key, quiz = _widget_key(7, 4, L.Quiz)
    assert quiz.compute["clamp_update"] == 0.9 and quiz.compute["lag"] == 20 and quiz.tolerance == 0.005
    at.text_input(key=key).input("0.5").run()
    assert len(at.error) == 1 and "the answer is 0.1216" in at.error[0].value
    typed = f"{0.9**20 + 0.004:.6f}"
    at.text_input(key=key).input(typed).run()
    assert len(at.success) == 1 and "Right" in at.success[0].value
    at.button(key="next-top").click().run()
    at.button(key="prev-top").click().run()  # back on the step: the answer is still typed in
    assert at.text_input(key=key).value == typed and "Right" in at.success[0].value
    at.text_input(key=key).input("0,5").run()  # and can be changed; a decimal comma is read as one
    assert len(at.error) == 1 and not at.success


@pytest.mark.parametrize("typed, says", [("4,032", "4032 or 4.032?"), ("abc", "is not a number"), ("1/0", "divides by zero")])
def test_a_numeric_answer_that_is_no_number_or_ambiguous_gets_a_message_not_a_verdict(typed, says):
    at = _page(lesson=7, step=4)
    key, _ = _widget_key(7, 4, L.Quiz)
    at.text_input(key=key).input(typed).run()
    assert not at.exception and not at.error and not at.success
    assert any(says in w.value for w in at.warning)


@pytest.mark.parametrize("typed, value", [("0.25", 0.25), (".25", 0.25), ("2.5e-1", 0.25), ("1/4", 0.25), ("0,25", 0.25),
                                          ("−0.25", -0.25), (" 4032 ", 4032.0), ("0,032", 0.032)])
def test_typed_answers_are_read_as_a_reader_means_them(typed, value):
    assert L.parse_number(typed) == pytest.approx(value)


def test_a_typed_answer_in_other_digits_is_no_number_as_in_the_offline_copy():
    """Python's \\d took Arabic-Indic digits ('١.٥' read as 1.5); the offline copy's JavaScript \\d does not."""
    with pytest.raises(ValueError, match="is not a number"):
        L.parse_number("١.٥")


def test_previous_button_and_last_step_lead_on():
    n = len(L.parse_lesson(FILES[0]).steps)
    at = _page(lesson=1, step=n)
    assert at.button(key="next-top").label == "Next lesson ▶"
    at.button(key="next-top").click().run()
    assert at.query_params["lesson"] == "2" and at.query_params["step"] == "1"
    assert at.button(key="prev-top").label == "◀ Previous lesson"


@pytest.mark.parametrize("query,expected", [
    ({"lesson": "99"}, "there are 8"),
    ({"lesson": "abc"}, "there are 8"),
    ({"lesson": "3", "step": "0"}, "step `0`"),
    ({"lesson": "3", "step": "x"}, "step `x`"),
])
def test_bad_url_values_give_a_message_and_fall_back(query, expected):
    at = _page(**query)
    assert not at.exception
    assert any(expected in w.value for w in at.warning)
    if "step" in query:  # falls back to step 1 of the lesson
        assert at.header[0].value.startswith("1. ")
    else:  # falls back to the list
        assert any("### 1." in m.value for m in at.markdown)


def test_the_format_reference_names_every_figure_kind_and_scenario_field():
    doc = (ROOT / "docs" / "lessons.md").read_text()
    for name in [*L.FIGURE_KINDS, *L.SCENARIO]:
        assert f"`{name}`" in doc, name


def test_display_math_on_its_own_lines_is_split_out_for_latex():
    text = "Before $x$.\n\n$$\\begin{aligned}\na &= 1\\\\\nb &= 2\n\\end{aligned}$$\n$$c = 3$$\nAfter."
    assert L.split_display_math(text) == [
        ("markdown", "Before $x$."),
        ("latex", "\\begin{aligned}\na &= 1\\\\\nb &= 2\n\\end{aligned}"),
        ("latex", "c = 3"),
        ("markdown", "After."),
    ]


def test_a_figure_that_gives_the_answer_away_waits_until_the_quiz_is_answered():
    # lesson 6, step 5: the parameter-count bars show the number the quiz asks for
    quiz_key, quiz = _widget_key(6, 5, L.Quiz)
    fig_key, fig = _widget_key(6, 5, L.Figure)
    assert fig.kind == "params" and fig.after_quiz and quiz.answer == 4032
    at = _page(lesson=6, step=5)
    assert not at.exception and charts(at) == []
    assert "answer the quiz above first" in at.info[0].value
    at.text_input(key=quiz_key).input("4000").run()  # a wrong answer counts: the feedback says the answer anyway
    assert not at.exception and len(charts(at)) == 1 and not at.info
    assert "the answer is 4032 (" in at.error[0].value
    at.button(key="next-top").click().run()
    at.button(key="prev-top").click().run()
    assert not at.exception and len(charts(at)) == 1 and at.text_input(key=quiz_key).value == "4000"

    at = _page(lesson=6, step=5)
    at.button(key=f"{fig_key}-reveal").click().run()  # or without answering
    assert not at.exception and len(charts(at)) == 1 and not at.info
    at.button(key="next-top").click().run()
    at.button(key="prev-top").click().run()
    assert len(charts(at)) == 1  # once shown, it stays


def test_the_help_option_explains_the_check_command_and_exits_0(capsys):
    assert L.main(["--help"]) == 0
    assert "check" in capsys.readouterr().out
    assert L.main(["check", "--help"]) == 0
    assert "lesson folders or .md files (default: lessons)" in " ".join(capsys.readouterr().out.split())
