"""An exported lesson works in a real Chromium with the network switched off.

The file is opened from file:// in a context that is offline AND whose every
non-file request is aborted and recorded, so a CDN script, a web font or an
image link would show up as an attempted request (and as a missing figure).
Screenshots go to test-artifacts/offline-lesson-*.png.
"""

from __future__ import annotations

import shutil

import pytest

from gru_viz import lesson_export
from gru_viz import lessons as L
from tests.e2e_helpers import ARTIFACTS, ROOT

pytestmark = pytest.mark.e2e



def pick_lesson():
    """The first lesson with a plot in step 1, a choice quiz and a quiz answered live from the model."""
    for path in L.lesson_files(ROOT / "lessons"):
        lesson = L.parse_lesson(path)
        quizzes = [q for st in lesson.steps for q in st.quizzes]
        if (len(lesson.steps) >= 3 and any(f.kind != "equations" for f in lesson.steps[0].figures)
                and any(q.type == "choice" for q in quizzes) and any(q.compute is not None for q in quizzes)):
            return path
    pytest.skip("no lesson has a figure in step 1, a choice quiz and a computed numeric quiz")


@pytest.fixture(scope="module")
def offline_page(_browser, tmp_path_factory):
    """(page, attempts, errors, lesson): the exported lesson open from file://, network off."""
    src = tmp_path_factory.mktemp("offline-md") / "lesson.md"
    shutil.copy(pick_lesson(), src)  # a copy: edits to lessons/ during the run cannot race the checks
    out = lesson_export.export_lesson(src, tmp_path_factory.mktemp("offline"))
    context = _browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_offline(True)
    attempts, errors = [], []

    def block(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempts.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("requestfailed", lambda r: attempts.append(f"failed: {r.url}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    yield page, attempts, errors, L.parse_lesson(src)
    context.close()


def current(page) -> int:
    return int(page.locator(".step.current").get_attribute("data-step"))


def wait_plots(page, scope: str) -> int:
    """Wait until every plot div in scope is drawn (an SVG inside); returns how many there are."""
    n = page.locator(f"{scope} .plot").count()
    page.wait_for_function(
        "([scope, n]) => document.querySelectorAll(scope + ' .js-plotly-plot .main-svg').length >= n", arg=[scope, n])
    return n


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"offline-lesson-{name}.png"), full_page=full_page)


def test_first_step_shows_its_figure_and_progress(offline_page):
    page, attempts, errors, lesson = offline_page
    assert current(page) == 1
    assert page.locator(".step:visible").count() == 1
    assert wait_plots(page, ".step.current") == sum(f.kind != "equations" for f in lesson.steps[0].figures) >= 1
    assert page.locator("#where").inner_text() == f"Step 1 of {len(lesson.steps)}"
    assert page.locator("#prev").is_disabled()
    shot(page, "step1")
    assert attempts == [] and errors == []


def test_next_button_and_arrow_keys_move_between_steps(offline_page):
    page, attempts, errors, lesson = offline_page
    page.click("#next")
    assert current(page) == 2
    assert wait_plots(page, ".step.current") == sum(f.kind != "equations" for f in lesson.steps[1].figures)
    page.keyboard.press("ArrowRight")
    assert current(page) == 3
    assert wait_plots(page, ".step.current") == sum(f.kind != "equations" for f in lesson.steps[2].figures)
    assert page.locator("#where").inner_text() == f"Step 3 of {len(lesson.steps)}"
    page.keyboard.press("ArrowLeft")
    assert current(page) == 2
    page.keyboard.press("PageDown")
    assert current(page) == 3
    shot(page, "step3")
    assert attempts == [] and errors == []


def test_show_answer_reveals_the_live_answer_and_feedback(offline_page):
    page, attempts, errors, lesson = offline_page
    s = next(i for i, st in enumerate(lesson.steps, 1) if any(q.type == "choice" for q in st.quizzes))
    page.keyboard.press("Home")
    for _ in range(s - 1):
        page.keyboard.press("ArrowRight")
    assert current(page) == s
    wait_plots(page, ".step.current")
    quiz = page.locator(".step.current .quiz").first
    choices = next(q for q in lesson.steps[s - 1].quizzes if q.type == "choice").choices
    feedback, wrong = choices[0].feedback, next(i for i, c in enumerate(choices) if not c.correct)
    answer = quiz.locator("details.answer")
    assert not answer.get_by_text(feedback[:30]).is_visible()
    answer.locator("summary").click()
    assert answer.get_by_text(feedback[:30]).is_visible()
    quiz.locator("button.choice").nth(wrong).click()  # a wrong choice: its own feedback, marked wrong
    assert quiz.locator(".feedback.wrong").is_visible()
    quiz.scroll_into_view_if_needed()
    shot(page, "quiz")
    assert attempts == [] and errors == []


def test_numeric_quiz_checks_against_the_answer_computed_at_export(offline_page):
    page, attempts, errors, lesson = offline_page
    s, quiz = next((i, q) for i, st in enumerate(lesson.steps, 1) for q in st.quizzes if q.compute is not None)
    answer = L.quiz_answer(quiz)
    page.keyboard.press("Home")
    for _ in range(s - 1):
        page.keyboard.press("ArrowRight")
    box = page.locator(".step.current .numeric")
    box.locator("input").fill(f"{answer + 10 * quiz.tolerance:.4f}")
    box.locator("button.check").click()
    assert "Not quite" in box.locator(".verdict").inner_text()
    box.locator("input").fill(f"{answer:.4f}")
    box.locator("input").press("Enter")
    assert box.locator(".verdict").inner_text() == "Right!"
    assert current(page) == s  # typing in the box must not move the step
    # read by the app's rules (lessons.parse_number): a decimal comma, a fraction; no verdict on what is no number
    for typed, verdict in ((f"{answer:.4f}".replace(".", ","), "Right!"), (f"{answer * 4:.6f}/4", "Right!"),
                           ("4,032", "Is \u201c4,032\u201d 4032 or 4.032? Type it without the comma, or with a decimal point."),
                           ("abc", "\u201cabc\u201d is not a number: type it like 0.25, .25, 2.5e-1 or 1/4."),
                           ("", "Type a number first.")):
        box.locator("input").fill(typed)
        box.locator("button.check").click()
        assert box.locator(".verdict").inner_text() == verdict, typed
        if typed and not verdict.startswith("Right"):  # the same message as in the app
            with pytest.raises(ValueError, match=verdict[:12].replace("(", r"\(")):
                L.parse_number(typed)
    assert attempts == [] and errors == []


def test_show_all_steps_draws_every_figure_without_network(offline_page):
    page, attempts, errors, lesson = offline_page
    page.click("#all")
    assert page.locator(".step:visible").count() == len(lesson.steps)
    assert wait_plots(page, "main") == sum(1 for st in lesson.steps for f in st.figures if f.kind != "equations")
    shot(page, "all-steps", full_page=True)
    page.click("#all")
    assert page.locator(".step:visible").count() == 1
    assert attempts == [] and errors == []


def test_a_folded_figure_opens_when_its_quiz_is_answered_and_is_drawn_full_width(_browser, tmp_path):
    # lesson 6 keeps its parameter-count bars folded under the quiz they answer (after_quiz = true)
    src = next(p for p in L.lesson_files(ROOT / "lessons") if p.name.startswith("06-"))
    lesson = L.parse_lesson(src)
    step = next(s for s, st in enumerate(lesson.steps, start=1) if any(f.after_quiz for f in st.figures))
    out = lesson_export.export_lesson(src, tmp_path)
    context = _browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_offline(True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    for _ in range(step - 1):
        page.click("#next")
    assert current(page) == step
    folded = page.locator(f"#step-{step} details.reveal")
    assert not folded.locator(".plot").is_visible()
    box = page.locator(f"#step-{step} .quiz .numeric input")
    box.fill("5000")
    box.press("Enter")  # answered (wrongly): the figure opens, as in the app
    assert page.locator(f"#step-{step} .quiz .verdict").inner_text().startswith("Not quite")
    assert folded.evaluate("d => d.open")
    page.wait_for_function("el => el.querySelector('.main-svg') !== null", arg=folded.element_handle())
    plot = folded.locator(".plot")
    page.wait_for_function("el => el.getBoundingClientRect().width > 0.9 * el.parentElement.getBoundingClientRect().width "
                           "&& el.querySelector('.main-svg').getBoundingClientRect().width > 600", arg=plot.element_handle())
    shot(page, "folded-figure-open")
    assert errors == []
    context.close()
