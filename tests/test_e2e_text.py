"""Browser test of the "Gates on text" page: typing new text recolours it."""

import pytest

from tests.e2e_helpers import errors_on_page, goto, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

VIEW = """k => { for (const f of document.querySelectorAll('iframe')) {  // the coloured text is in a component's iframe
    const v = f.contentDocument && f.contentDocument.querySelector(`.gv-view[data-kind="${k}"]`); if (v) return v; } }"""
SPANS = f"""k => [...({VIEW})(k).querySelectorAll('.gv-text .l > span')].map(
    s => [s.textContent, getComputedStyle(s).backgroundColor])"""
UNDERLINED = f"() => ['GRU', 'LSTM'].map(k => ({VIEW})(k).querySelectorAll('.gv-text .m').length)"


def test_typing_text_changes_the_colouring(app_url, browser_page):
    page = browser_page
    goto(page, app_url, "text?pattern=string", timeout=120)
    assert errors_on_page(page) == []
    before = page.evaluate(SPANS, "GRU")

    text = 'name = "a string that goes on"  # and a comment\n'
    box = page.locator('[data-testid="stTextArea"] textarea').first
    box.fill(text)
    box.press("Control+Enter")  # Streamlit applies a text area on Ctrl+Enter
    wait_for_app(page, timeout=120)
    after = {k: page.evaluate(SPANS, k) for k in ("GRU", "LSTM")}

    assert errors_on_page(page) == []
    assert len(before) > len(text)  # the sample snippet was longer
    for spans in after.values():
        assert "".join(ch for ch, _ in spans) == text.replace("\n", "↵")  # every character drawn, in order
        assert len({bg for _, bg in spans}) > 5  # ... each coloured by its own value, not all alike
    # the pattern is underlined, and the ranking names a best unit for each model
    assert page.evaluate(UNDERLINED) == [len('"a string that goes on"')] * 2
    assert page.locator(".gv-rank tr.sel").count() == 2
    screenshot(page, "e2e_text_typed")
