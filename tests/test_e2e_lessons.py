"""Browser test: open one lesson in headless Chromium and step through it with the Next button.

Screenshots of every step go to test-artifacts/e2e-lesson3-step<N>.png.
"""

from pathlib import Path

import pytest

from gru_viz import lessons as L
from tests.e2e_helpers import errors_on_page, goto, screenshot, wait_for_app

ROOT = Path(__file__).resolve().parent.parent
LESSON = 3  # the update gate: lines, a trace and two quizzes


def open_quiz_of_lesson1_step3(page, app_url) -> L.Quiz:
    """Open lesson 1, step 3 (a choice quiz low on the page) and return that quiz."""
    goto(page, app_url, "lessons?lesson=1&step=3", timeout=120)
    return L.parse_lesson(L.lesson_files(ROOT / "lessons")[0]).steps[2].quizzes[0]


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_step_through_a_lesson_in_the_browser(app_url, browser_page):
    page = browser_page
    lesson = L.parse_lesson(L.lesson_files(ROOT / "lessons")[LESSON - 1])
    goto(page, app_url, f"lessons?lesson={LESSON}&step=1", timeout=120)
    for s, step in enumerate(lesson.steps, start=1):
        heading = page.locator("h2").filter(has_text=f"{s}. {step.title}")
        heading.first.wait_for(timeout=60_000)
        assert f"step={s}" in page.url
        assert page.get_by_text(f"Step {s} of {len(lesson.steps)}").count() >= 1  # the progress indicator
        assert errors_on_page(page) == []
        charts = sum(f.kind != "equations" for f in step.figures)
        assert page.locator('[data-testid="gvChart"]').count() == charts
        screenshot(page, f"e2e-lesson{LESSON}-step{s}")
        if s < len(lesson.steps):
            page.get_by_role("button", name="Next ▶").first.click()
            page.wait_for_url(f"**step={s + 1}**", timeout=60_000)
            wait_for_app(page, timeout=120)


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_shared_link_opens_the_step_and_a_quiz_answers(app_url, browser_page):
    page = browser_page
    quiz = open_quiz_of_lesson1_step3(page, app_url)
    right = next(c for c in quiz.choices if c.correct)
    page.get_by_text(right.text, exact=True).click()
    page.get_by_role("button", name="Check my answer").click()
    wait_for_app(page, timeout=60)
    words = right.feedback.split("$")[0]  # up to its first formula (KaTeX draws those)
    page.locator('[data-testid="stAlert"]').filter(has_text=f"Right. {words}").wait_for(timeout=30_000)
    page.get_by_role("button", name="Change my answer").wait_for()  # the choices locked (the arrow keys move steps)
    screenshot(page, "e2e-lesson1-step3-quiz")


SCROLLED = """() => Math.max(document.querySelector('[data-testid="stMain"]')?.scrollTop || 0,
                           document.scrollingElement.scrollTop)"""


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_the_bottom_next_button_opens_the_next_step_at_its_top_and_answering_does_not_jump(app_url, browser_page):
    """Streamlit kept the scroll position: the next step opened ~900 px down, its heading and text out of sight."""
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    goto(page, app_url, "lessons?lesson=2&step=3", timeout=120)
    page.get_by_role("button", name="Next ▶").last.scroll_into_view_if_needed()
    assert page.evaluate(SCROLLED) > 300  # the reader is at the bottom of the step
    page.get_by_role("button", name="Next ▶").last.click()
    page.wait_for_url("**step=4**", timeout=60_000)
    wait_for_app(page, timeout=120)
    page.wait_for_function(f"({SCROLLED})() < 5", timeout=10_000)
    assert page.locator("h2").filter(has_text="4. ").first.is_visible()

    quiz = open_quiz_of_lesson1_step3(page, app_url)  # answering a quiz low on the page: no jump
    choice = page.get_by_text(next(c for c in quiz.choices if c.correct).text, exact=True)
    choice.scroll_into_view_if_needed()
    before = page.evaluate(SCROLLED)
    choice.click()
    page.get_by_role("button", name="Check my answer").click()
    wait_for_app(page, timeout=60)
    assert before > 100 and abs(page.evaluate(SCROLLED) - before) < 150
    assert errors_on_page(page) == []


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_quiz_answers_survive_a_reload_until_the_reader_forgets_them(app_url, browser_page):
    """A reload starts a new Streamlit session; the browser's localStorage brings the answers back."""
    page = browser_page
    quiz = open_quiz_of_lesson1_step3(page, app_url)
    wrong = next(c for c in quiz.choices if not c.correct)
    page.get_by_text(wrong.text, exact=True).click()
    page.get_by_role("button", name="Check my answer").click()
    change = page.get_by_role("button", name="Change my answer")
    change.wait_for(timeout=30_000)
    page.reload()
    change.wait_for(timeout=60_000)  # locked on the answer given before the reload
    wait_for_app(page, timeout=60)
    assert page.get_by_text(f"◉ {wrong.text}").count() == 1
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Not quite.").count() == 1

    goto(page, app_url, "lessons", timeout=120)
    page.get_by_text("This browser keeps your 1 quiz answer").wait_for(timeout=60_000)
    page.get_by_role("button", name="Forget my answers").click()
    wait_for_app(page, timeout=60)
    assert page.get_by_role("button", name="Forget my answers").count() == 0
    goto(page, app_url, "lessons?lesson=1&step=3", timeout=120)
    page.get_by_text(wrong.text, exact=True).wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # time for the browser's stored answers to come back, were any left
    wait_for_app(page, timeout=60)
    assert page.get_by_role("button", name="Change my answer").count() == 0
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Not quite.").count() == 0
    assert errors_on_page(page) == []


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_keyboard_reader_moves_between_choices_and_answers_only_with_check(app_url, browser_page):
    """The first arrow key on a quiz's choices used to answer it (the second choice) and lock it."""
    page = browser_page
    quiz = open_quiz_of_lesson1_step3(page, app_url)
    page.get_by_text(quiz.choices[0].text, exact=True).click()
    for key in ("ArrowDown", "ArrowDown", "ArrowUp"):  # now on the second choice
        page.keyboard.press(key)
    page.wait_for_timeout(1000)
    wait_for_app(page, timeout=60)
    assert page.get_by_role("button", name="Change my answer").count() == 0  # nothing answered yet
    assert page.locator('[data-testid="stAlert"]').count() == 0
    page.keyboard.press("Tab")  # to "Check my answer"
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Change my answer").wait_for(timeout=30_000)
    assert page.get_by_text(f"◉ {quiz.choices[1].text}").count() == 1
    assert errors_on_page(page) == []
