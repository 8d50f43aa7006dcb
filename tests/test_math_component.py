"""The math component (gru_viz.components.formulas): KaTeX typesets the Step-Through's equations in the page.

It relies on Streamlit's own KaTeX stylesheet and fonts, so its KaTeX must be the version Streamlit's Markdown
uses; then a formula looks exactly as st.latex draws it (the screenshots in test-artifacts/ show it).
"""

import re
from pathlib import Path

import pytest
import streamlit

from tests.e2e_helpers import errors_on_page, goto, screenshot, wait_for_app

VENDORED = Path(__file__).resolve().parents[1] / "gru_viz" / "components" / "math" / "katex.min.js"
STREAMLIT_JS = Path(streamlit.__file__).parent / "static" / "static" / "js"


def _katex_version(source: str) -> str:
    return re.search(r"version:[\"`](\d+\.\d+\.\d+)[\"`]", source).group(1)


def test_the_vendored_katex_is_the_one_streamlits_markdown_typesets_with():
    """Streamlit draws st.latex through rehype-katex; its stylesheet (loaded on every page) styles our HTML too."""
    (markdown_katex,) = STREAMLIT_JS.glob("rehype-katex*.js")
    assert _katex_version(VENDORED.read_text()) == _katex_version(markdown_katex.read_text())


FORMULAS = """() => Array.from(document.querySelectorAll('[data-testid="gvMath"] .gv-formula'), f => ({
    tex: f._gvTex, height: f.getBoundingClientRect().height,
    sub: f.querySelector('.msupsub .vlist') ? f.querySelector('.msupsub .vlist').getBoundingClientRect().height : 0}))"""


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_the_step_through_typesets_its_four_equations_and_retypesets_them_on_the_next_step(app_url, browser_page):
    page = browser_page
    goto(page, app_url, "step-through?t=10", timeout=120)
    before = page.evaluate(FORMULAS)
    assert len(before) == 4 and all(f["tex"] and f["height"] > 40 and f["sub"] > 0 for f in before)
    assert page.locator('[data-testid="gvMath"] .katex-mathml').count() == 4  # MathML for screen readers
    page.get_by_role("button", name="next ▶").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('t') === '11'", timeout=30_000)
    wait_for_app(page, timeout=60)
    after = page.evaluate(FORMULAS)
    assert len(after) == 4 and [f["tex"] for f in after] != [f["tex"] for f in before]
    assert errors_on_page(page) == []
    screenshot(page, "e2e-step-through-formulas")
