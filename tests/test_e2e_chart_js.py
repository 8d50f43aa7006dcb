"""The chart component's JavaScript (gru_viz/components/plotly_chart/chart.js) in real headless Chromium,
outside Streamlit: the page imports the module and calls it the way Streamlit does (the default export with
``data`` bytes and a ``parentElement``, its return value as the unmount cleanup).

The files are served from a made-up origin through Playwright's routing (an ES module cannot be imported
from file://), so nothing goes to the network.
"""

import json

import pytest

from gru_viz import components

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ORIGIN = "http://chart.test"


def _open(page) -> None:
    def serve(route):
        name = route.request.url.removeprefix(ORIGIN + "/")
        if name == "index.html":
            return route.fulfill(body="<!doctype html><html><body></body></html>", content_type="text/html")
        path = components.ASSET_DIR / name
        if not path.is_file():
            return route.fulfill(status=404)
        return route.fulfill(body=path.read_bytes(), content_type="text/javascript")

    page.route(ORIGIN + "/**", serve)
    page.goto(ORIGIN + "/index.html")


def _message(n: int) -> str:
    return json.dumps({"figure": {"data": [{"type": "scatter", "y": list(range(n))}], "layout": {"height": 300}},
                      "config": {}, "alt": f"{n} points"})


# Streamlit mounts the chart (draw 1), unmounts it while Plotly is still drawing, and mounts it again with a
# newer figure (draw 2). Plotly's first draw fails half-way (here on purpose: its react is made to reject after
# the second draw is done, as a redraw that a purge interrupts does); that stale failure must not replace the
# chart that the second draw put on the page.
OVERTAKEN_DRAW = """async ([first, second]) => {
    const mod = await import('/chart.js');
    const Plotly = await new Promise(resolve => {
        const wait = () => window.Plotly ? resolve(window.Plotly) : setTimeout(wait, 20); wait(); });
    const react = Plotly.react, parent = document.createElement('div');
    document.body.appendChild(parent);
    let release;
    const failure = new Error("Cannot read properties of undefined (reading '_rehover')");  // as seen after a purge
    const stale = new Promise((_, reject) => { release = () => reject(failure); });
    Plotly.react = (...args) => { Plotly.react = react; return stale; };  // the first draw hangs, then fails
    const bytes = s => new TextEncoder().encode(s);
    const cleanup = mod.default({data: bytes(first), parentElement: parent});
    await new Promise(r => setTimeout(r, 50));
    cleanup();                                                       // Streamlit unmounts the chart ...
    mod.default({data: bytes(second), parentElement: parent});       // ... and mounts it again
    const div = parent.querySelector('[data-testid="gvChart"]');
    await new Promise(r => { const wait = () => div.dataset.state === 'drawn' ? r() : setTimeout(wait, 20); wait(); });
    release();                                                       // now the overtaken draw fails
    await new Promise(r => setTimeout(r, 100));
    return {state: div.dataset.state, text: div.textContent, points: div.data[0].y.length, label: div.getAttribute('aria-label')};
}"""


def test_a_draw_that_a_newer_figure_overtook_does_not_replace_the_chart_with_an_error(browser_page):
    _open(browser_page)
    out = browser_page.evaluate(OVERTAKEN_DRAW, [_message(3), _message(7)])
    assert out["state"] == "drawn"
    assert "could not be drawn" not in out["text"]
    assert out["points"] == 7 and out["label"] == "7 points"


def test_a_chart_that_cannot_be_drawn_says_so(browser_page):
    # the latest draw failing is still reported on the page, not swallowed
    _open(browser_page)
    out = browser_page.evaluate("""async (message) => {
        const mod = await import('/chart.js');
        const Plotly = await new Promise(resolve => {
            const wait = () => window.Plotly ? resolve(window.Plotly) : setTimeout(wait, 20); wait(); });
        const react = Plotly.react;
        Plotly.react = () => { Plotly.react = react; return Promise.reject(new Error("boom")); };
        const parent = document.createElement('div'); document.body.appendChild(parent);
        mod.default({data: new TextEncoder().encode(message), parentElement: parent});
        const div = parent.querySelector('[data-testid="gvChart"]');
        await new Promise(r => { const wait = () => div.dataset.state !== 'drawing' ? r() : setTimeout(wait, 20); wait(); });
        return {state: div.dataset.state, text: div.textContent};
    }""", _message(3))
    assert out == {"state": "error", "text": "This chart could not be drawn: boom"}


# A chart in a parent 400 px wide; then the parent widens to 700 px without the window changing size (what folding
# Streamlit's sidebar does). Returns the drawn <svg>'s [width, height] before and after.
WIDENED_PARENT = """async (message) => {
    const mod = await import('/chart.js');
    const parent = document.createElement('div'); parent.style.width = '400px'; document.body.appendChild(parent);
    mod.default({data: new TextEncoder().encode(message), parentElement: parent});
    const div = parent.querySelector('[data-testid="gvChart"]');
    await new Promise(r => { const wait = () => div.dataset.state === 'drawn' ? r() : setTimeout(wait, 20); wait(); });
    const size = () => { const box = div.querySelector('svg.main-svg').getBoundingClientRect(); return [box.width, box.height]; };
    const before = size();
    parent.style.width = '700px';
    const deadline = performance.now() + 5000;  // Plotly redraws after its own 100 ms debounce
    while (size()[0] !== 700 && performance.now() < deadline) await new Promise(r => setTimeout(r, 50));
    return {before, after: size()};
}"""


def test_a_chart_follows_its_parents_width_when_the_window_keeps_its_size(browser_page):
    """Folding Streamlit's sidebar widens the page but not the window, and Plotly's `responsive` follows the window
    only: every chart stayed at its old width until its figure changed."""
    _open(browser_page)
    out = browser_page.evaluate(WIDENED_PARENT, _message(5))
    assert out["before"] == [400, 300]
    assert out["after"] == [700, 300]  # the new width, the figure's own height
