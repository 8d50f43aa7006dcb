"""Shared fixtures. The browser ones (``app_url``, ``browser_page``) start one
``streamlit run app.py`` per test session on a free port and one headless
Chromium; tests using them must be marked ``@pytest.mark.e2e``.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest
from streamlit.components.v2 import manifest_scanner

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so tests can `from tests.e2e_helpers import wait_for_app`
    sys.path.insert(0, str(ROOT))

from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402

# Every AppTest run scans all installed packages for Streamlit component manifests (~0.4 s here, most of a
# short AppTest); the installed packages do not change during a test session, so scan once.
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


@pytest.fixture(scope="session")
def app_url():
    """Base URL (no trailing slash) of a fresh `streamlit run app.py`, stopped at the end of the session."""
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def _browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (install Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser):
    """A fresh Playwright page (own context, 1400x900 viewport) per test, closed afterwards."""
    context = _browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()
