"""Helpers for the browser tests (imported by every tests/test_*e2e*.py file).

    from tests.e2e_helpers import wait_for_app, goto, screenshot
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
STARTUP_TIMEOUT = 60.0  # seconds for the server to answer its health check

# Launch arguments for /usr/bin/chromium in a container without a GPU or network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_for_app(page, timeout: float = 90.0, settle: float = 0.3) -> None:
    """Block until the Streamlit app has rendered and finished running.

    Streamlit marks its root element with ``data-test-script-state``
    ("initial", "running", "notRunning", ...). We wait until it has said
    "notRunning" for ``settle`` seconds in a row (one rerun can follow another),
    no loading skeleton is left and every chart on the page has drawn its
    latest figure (gru_viz/components/plotly_chart marks its ``<div>``
    ``data-state="drawn"``; its JavaScript and Plotly load lazily). Raises TimeoutError
    after ``timeout`` seconds.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        idle = page.evaluate(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
                const status = '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]';
                if (document.querySelector(status)) return false;
                if (document.querySelector('[data-testid="stSkeleton"]')) return false;
                // every chart component has drawn its latest figure (its JavaScript and Plotly load lazily)
                for (const c of document.querySelectorAll('[data-testid="stBidiComponentRegular"]')) {
                    if (c.querySelector('[data-gv-not-a-chart]')) continue;  // e.g. the lessons' scroll-to-top
                    const chart = c.querySelector('[data-testid="gvChart"]');
                    if (!chart || chart.dataset.state !== 'drawn' || !chart.querySelector('.main-svg')) return false;
                }
                return true;
            }"""
        )
        now = time.monotonic()
        if not idle:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= settle:
            return
        page.wait_for_timeout(50)
    raise TimeoutError(f"the app was still running after {timeout} s")


def goto(page, app_url: str, path: str = "", timeout: float = 90.0) -> None:
    """Open a page of the app (``path`` like 'gate-explorer?T=50') and wait for it to finish."""
    page.goto(f"{app_url.rstrip('/')}/{path.lstrip('/')}", timeout=timeout * 1000)
    wait_for_app(page, timeout=timeout)


def errors_on_page(page) -> list[str]:
    """Texts of any exception or error elements on the page (empty list when clean)."""
    loc = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    return [loc.nth(i).inner_text() for i in range(loc.count())]


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def plotly_data(page, index: int = 0):
    """The traces of the index-th Plotly chart on the page as drawn (type, name, x, y, z), JSON-able.

    Reads Plotly's ``_fullData``: NumPy arrays travel as binary and are decoded
    there (``data`` may still hold the encoded form).
    """
    return page.evaluate(
        """(i) => {
            const g = document.querySelectorAll('[data-testid="gvChart"]')[i];
            if (!g || !g._fullData) return null;
            const row = r => (r && typeof r === 'object' && r.length !== undefined) ? Array.from(r) : r;
            const arr = a => a ? Array.from(a, row) : null;
            return g._fullData.map(t => ({type: t.type, name: t.name, x: arr(t.x), y: arr(t.y), z: arr(t.z)}));
        }""",
        index,
    )


def set_slider(page, label: str, presses: int, key: str = "ArrowRight") -> None:
    """Move the Streamlit slider whose label contains ``label`` by pressing an arrow key ``presses`` times."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    thumb = slider.locator('input[type="range"], [role="slider"]').first
    thumb.focus()
    for _ in range(presses):
        thumb.press(key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(port: int | None = None, log_name: str = "streamlit-e2e.log", script: Path | None = None):
    """Run `streamlit run app.py` (or ``script``) headless on a free port; yield its base URL; stop it afterwards.

    Waits at most STARTUP_TIMEOUT seconds for /_stcore/health; the server's
    output goes to test-artifacts/<log_name>.
    """
    port = port or free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer within {STARTUP_TIMEOUT:.0f} s; see {log.name}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
