"""Browser test of the "Gates on text" page: typing new text recolours it."""

import pytest

from tests.e2e_helpers import errors_on_page, goto, plotly_data, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def text_chart_z(page) -> list:
    """z of the first chart (the GRU's coloured text), one list per display row."""
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot').length >= 2",
                           timeout=60_000)
    data = plotly_data(page, 0)
    return next(t["z"] for t in data if t["type"] == "heatmap")


def test_typing_text_changes_the_colouring(app_url, browser_page):
    page = browser_page
    goto(page, app_url, "text?pattern=string", timeout=120)
    assert errors_on_page(page) == []
    before = text_chart_z(page)

    box = page.locator('[data-testid="stTextArea"] textarea').first
    box.fill('name = "a string that goes on"  # and a comment\n')
    box.press("Control+Enter")  # Streamlit applies a text area on Ctrl+Enter
    wait_for_app(page, timeout=120)
    after = text_chart_z(page)

    assert errors_on_page(page) == []
    assert len(after) == 1 and len(before) > 1  # one line now, several before
    row = [v for v in after[0] if v is not None and v == v]  # NaN: no character there
    assert len(row) == 48 and max(row) - min(row) > 0.1  # every character coloured, and not all alike
    screenshot(page, "e2e_text_typed")
