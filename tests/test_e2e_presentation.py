"""Presentation mode in a real browser: a lesson taught with the keyboard alone, large type, screenshots."""

import pytest

from tests.e2e_helpers import errors_on_page, goto, screenshot, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _font_px(page, selector: str) -> float:
    return page.evaluate(f"() => parseFloat(getComputedStyle(document.querySelector('{selector}')).fontSize)")


def test_a_lesson_is_taught_from_presentation_mode_with_the_arrow_keys(browser_page, app_url):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})  # a projector
    goto(page, app_url, "lessons?lesson=3&step=1&present=1")
    assert errors_on_page(page) == []
    assert page.locator('[data-testid="stSidebar"][data-collapsed="true"]').count() == 1  # sidebar folded
    assert _font_px(page, '[data-testid="stMarkdownContainer"] p') >= 26  # large text (default is 16 px)
    screenshot(page, "e2e_present_lesson3_step1")

    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # keys go to the page, not a widget
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**step=2**", timeout=30_000)
    wait_for_app(page)
    assert "present=1" in page.url
    assert page.get_by_text("Step 2 of").count() >= 1
    screenshot(page, "e2e_present_lesson3_step2")

    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**step=1**", timeout=30_000)
    wait_for_app(page)
    assert errors_on_page(page) == []


def test_presentation_mode_survives_a_page_switch(browser_page, app_url):
    page = browser_page
    goto(page, app_url, "?present=1")  # Home, whose page links switch pages within the session
    page.locator('[data-testid="stMain"] [data-testid="stPageLink"]').filter(has_text="Gate Explorer").first.click()
    page.wait_for_url("**gate-explorer**", timeout=30_000)
    wait_for_app(page)
    assert "present=1" in page.url
    screenshot(page, "e2e_present_gate_explorer")


def test_in_presentation_mode_the_sidebar_folds_once_a_page_is_chosen_from_it(browser_page, app_url):
    """Streamlit kept it open after a page switch, squeezing the enlarged page (at 1280 px "seed" broke in two)."""
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    goto(page, app_url, "step-through?present=1")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_attribute("data-collapsed") == "true"
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]').dataset.collapsed === 'false'")
    sidebar.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Gradient Lab").click()
    page.wait_for_url("**gradient-lab**", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]').dataset.collapsed === 'true'",
                           timeout=10_000)
    assert "present=1" in page.url and errors_on_page(page) == []
    screenshot(page, "e2e_present_gradient_lab_after_switch")
    # the folded sidebar is out of the Tab order: Tab went through its 14 controls off screen first
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    in_sidebar = []
    for _ in range(4):
        page.keyboard.press("Tab")
        in_sidebar.append(page.evaluate("() => !!document.activeElement.closest('[data-testid=\"stSidebar\"]')"))
    assert in_sidebar == [False] * 4
