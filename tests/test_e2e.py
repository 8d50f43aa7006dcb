"""End-to-end in real headless Chromium: Home and Gate Explorer open without errors,
and moving a slider redraws the chart. Screenshots go to test-artifacts/.

Uses the session fixtures from conftest.py (``app_url``: one `streamlit run app.py`;
``browser_page``: a fresh page per test). Run only these: ``pytest -m e2e tests/test_e2e.py``.
"""

import pytest

from tests.e2e_helpers import errors_on_page, goto, screenshot, set_slider, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CHART_STEPS = """() => {
    const g = document.querySelector('[data-testid="gvChart"]');
    const h = g && g._fullData && g._fullData.find(t => t.type === 'heatmap' && t.name === 'update');
    return h ? Array.from(h.x) : null;
}"""


def test_home_opens_without_errors_and_links_to_the_pages(browser_page, app_url):
    goto(browser_page, app_url, "")
    assert errors_on_page(browser_page) == []
    assert browser_page.get_by_text("why gates work").count() > 0
    assert browser_page.locator('[data-testid="stPageLink"]').filter(has_text="Gate Explorer").count() >= 1
    screenshot(browser_page, "e2e_home")


def test_home_opens_at_slash_home_too_and_back_leaves_it(browser_page, app_url):
    """/home, the menu's name for the page, shows Home (not Streamlit's "page not found"), and Back leaves it for the
    page before (a redirect to / would have sent Back to /home and on to / again)."""
    page = browser_page
    goto(page, app_url, "lessons")
    goto(page, app_url, "home")
    assert errors_on_page(page) == [] and page.get_by_text("Page not found").count() == 0
    assert page.get_by_text("why gates work").count() > 0 and page.url.split("?")[0].endswith("/home")
    page.go_back()
    page.wait_for_url("**/lessons*")
    wait_for_app(page)
    assert page.get_by_text("why gates work").count() == 0


def test_gate_explorer_opens_and_a_slider_redraws_the_chart(browser_page, app_url):
    browser_page.set_viewport_size({"width": 1400, "height": 2200})
    goto(browser_page, app_url, "gate-explorer?weights=random&T=60")
    assert errors_on_page(browser_page) == []
    before = browser_page.evaluate(CHART_STEPS)
    assert before == list(range(1, 61))
    screenshot(browser_page, "e2e_gate_explorer")
    chart = browser_page.locator('[data-testid="gvChart"]')
    assert chart.get_attribute("aria-label").startswith("The input, then every gate and the hidden state of a GRU")  # its caption
    assert chart.locator('[data-title="Full screen (Esc to leave)"]').count() == 1  # our modebar button
    chart.evaluate("g => { g.__before_the_move = true; }")

    set_slider(browser_page, "sequence length T", 10, key="ArrowLeft")
    browser_page.wait_for_function(f"({CHART_STEPS})()?.length === 50", timeout=90_000)
    wait_for_app(browser_page)
    assert browser_page.evaluate(CHART_STEPS) == list(range(1, 51))
    # redrawn in place (Plotly.react on the same <div>), not mounted afresh
    assert chart.evaluate("g => g.__before_the_move === true")
    assert "T=50" in browser_page.url  # the link reproduces the picture
    assert errors_on_page(browser_page) == []
    screenshot(browser_page, "e2e_gate_explorer_T50")


def test_gate_explorer_bad_link_shows_a_warning_not_a_traceback(browser_page, app_url):
    goto(browser_page, app_url, "gate-explorer?weights=random&T=banana&cell=LSTM")
    assert errors_on_page(browser_page) == []
    assert browser_page.get_by_text("was ignored").count() >= 1
    assert browser_page.locator('[data-testid="gvChart"]').count() == 1


def test_a_chart_goes_full_screen_for_the_projector_and_back(browser_page, app_url):
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    goto(browser_page, app_url, "gate-explorer?weights=random&T=40")
    chart = browser_page.locator('[data-testid="gvChart"]')
    width_on_page, height_on_page = chart.evaluate("g => [g._fullLayout.width, g._fullLayout.height]")
    chart.hover()
    chart.locator('[data-title="Full screen (Esc to leave)"]').click()
    browser_page.wait_for_function("() => document.fullscreenElement?.dataset.testid === 'gvChart'", timeout=10_000)
    browser_page.wait_for_function("() => document.fullscreenElement._fullLayout.width === screen.width", timeout=10_000)
    # as high as the screen, or as the figure when it is taller (the Gate Explorer's six panels): then it scrolls
    # instead of squeezing its panels until the tick labels run into the next panel's title
    screen_height = browser_page.evaluate("screen.height")
    assert chart.evaluate("g => g._fullLayout.height") == max(screen_height, height_on_page)
    assert height_on_page > screen_height and chart.evaluate("g => g.scrollHeight > g.clientHeight")
    screenshot(browser_page, "full-screen-chart")
    browser_page.evaluate("document.exitFullscreen()")
    browser_page.wait_for_function(f"() => !document.fullscreenElement && "
                                   f"document.querySelector('[data-testid=gvChart]')._fullLayout.width === {width_on_page}",
                                   timeout=10_000)
    assert errors_on_page(browser_page) == []
