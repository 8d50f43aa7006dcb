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


def test_the_coloured_text_reads_each_characters_value_from_the_keyboard(app_url, browser_page):
    """The per-character notes came on mouse hover only: with the text focused, the arrow keys move a cursor over
    the characters, the note shows there and a screen reader hears it (an aria-live region)."""
    page = browser_page
    goto(page, app_url, "text?pattern=string", timeout=120)
    frame = next(f for f in page.frames if f.locator('.gv-view[data-kind="GRU"]').count())
    text = frame.locator("#text")
    text.focus()
    for key in ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft"]:  # the first press puts the cursor on 0
        page.keyboard.press(key)
    state = frame.evaluate("""() => {
        const spans = [...document.querySelectorAll('#text .l > span')];
        return {at: spans.findIndex(s => s.classList.contains('k')), tip: document.getElementById('tip').textContent,
                shown: getComputedStyle(document.getElementById('tip')).display,
                said: document.getElementById('said').textContent,
                lines: document.querySelectorAll('#text .l').length}; }""")
    assert state["at"] == 1 and state["shown"] == "block"
    assert state["tip"] and state["said"] == state["tip"]  # the note of character 1, shown and spoken
    page.keyboard.press("End")
    end = frame.evaluate("() => [...document.querySelectorAll('#text .l > span')].findIndex(s => s.classList.contains('k'))")
    assert end == frame.locator("#text .l > span").count() - 1
    if state["lines"] > 1:  # up from the last line lands on the line before it
        page.keyboard.press("ArrowUp")
        line = frame.evaluate("() => [...document.querySelectorAll('#text .l')].findIndex(l => l.querySelector('.k'))")
        assert line == state["lines"] - 2
    assert errors_on_page(page) == []
