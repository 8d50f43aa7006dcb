"""Small Streamlit components of the app (plain HTML + JS in a folder each, no build step, nothing downloaded).

    plotly_chart(fig, key=..., config=..., alt=...)             every Plotly chart of the app
    scroll_to_top_on_change(marker, key=...)                    a new lesson step opens at its top
    browser_memory(name, entries, forget=..., key=...)          quiz answers kept in the browser across reloads
    fold_sidebar_on_page_change(page, key=...)                  presentation mode: the sidebar folds after a page switch
    counting_button(label, key=..., help=...)                   a button that loses no press (the Step-Through's prev/next)
    coloured_text(**figures_text.text_payload(...), key=...)   the text view's coloured text

A component has to be declared from a module (Streamlit names it after the
module), not from a page script, hence this file. Importing it imports
streamlit, so only pages import it.

``plotly_chart`` is an ``st.components.v2`` component: no iframe, its JavaScript
(``plotly_chart/chart.js``) runs in the page and keeps each chart's ``<div>``
across reruns, updating it with ``Plotly.react``. Its files are served from the
``asset_dir`` declared in pyproject.toml (``[[tool.streamlit.component.components]]``).
"""

import functools
import json
import logging
from pathlib import Path

import plotly.io
import streamlit as st
import streamlit.components.v1 as components
from streamlit.errors import StreamlitAPIException

HERE = Path(__file__).resolve().parent
ASSET_DIR = HERE / "plotly_chart"  # chart.js and the Plotly it loads (built by tools/plotly-bundle)

coloured_text = components.declare_component("coloured_text", path=str(HERE / "coloured_text"))


@functools.cache
def _plotly_chart_component():
    """Register the chart component (on first use: Streamlit resolves "chart.js" in the asset dir it found
    in pyproject.toml when its runtime started, so this cannot run at import outside a running app)."""
    return st.components.v2.component("gru-viz.plotly_chart", js="chart.js", isolate_styles=False)


def chart_message(fig, config: dict, alt: str) -> bytes:
    """What the browser receives for one chart: UTF-8 JSON {"config", "alt", "figure"}.

    The figure is serialised as st.plotly_chart does (plotly.io.to_json, NumPy
    arrays as base64 typed arrays) and spliced in, not parsed and dumped again.
    """
    head = json.dumps({"config": config, "alt": alt})[:-1]
    return f'{head}, "figure": {plotly.io.to_json(fig, validate=False)}}}'.encode()


def plotly_chart(fig, *, key: str, config: dict, alt: str):
    """Show a Plotly figure that stays on the page and is redrawn in place when it changes.

    Args:
        fig: a plotly.graph_objects.Figure.
        key: the chart's name on the page; the same key across reruns keeps the same chart.
        config: Plotly config (modebar, download options).
        alt: the chart's text alternative (its aria-label).
    """
    try:
        mount = _plotly_chart_component()
    except StreamlitAPIException as err:
        # gru-viz is not installed as a package (the README's commands run `pip install -e .`), so Streamlit
        # found no asset_dir to serve chart.js from: draw with Streamlit's own chart instead (remounted on
        # every change, and the full Plotly bundle) rather than fail.
        _warn_once(f"gru-viz charts fall back to st.plotly_chart: {err}")
        return st.plotly_chart(fig, key=key, config=config, theme=None, width="stretch", alt=alt)
    return mount(key=key, data=chart_message(fig, config, alt), width="stretch", height="content")


# Called by Streamlit when the element mounts and whenever its data changes: data names the step shown, so a new
# step starts at its top (Streamlit keeps the scroll position of the page it replaces), and a rerun of the same
# step (a quiz answered, a slider moved) leaves the reader where they are.
SCROLL_TO_TOP_JS = """
export default function () {
  for (const el of [document.querySelector('[data-testid="stMain"]'), document.scrollingElement]) {
    if (el) el.scrollTo({ top: 0, left: 0, behavior: "instant" });
  }
}
"""


# The components without anything to show take no room: Streamlit gives every element a row of the page's
# flex column, with a gap of 1rem, so two of them moved a lesson down by 32 px. Their keys carry HIDDEN_PREFIX.
HIDDEN_PREFIX = "gv-hidden-"
HIDDEN_CSS = f'[class*="st-key-{HIDDEN_PREFIX}"] {{\n  display: none;\n}}\n'  # a newline: Streamlit reads it as CSS, not a path


@functools.cache
def _hidden_component(name: str, js: str):
    """A component that only runs ``js``: its markup marks it as no chart (for the tests' and benchmarks' "every
    chart drawn" check) and its keys (HIDDEN_PREFIX) take it off the page."""
    return st.components.v2.component(name, html="<span data-gv-not-a-chart hidden></span>", js=js, css=HIDDEN_CSS,
                                      isolate_styles=False)


def _mount_hidden(name: str, js: str, key: str, data, **kwargs):
    return _hidden_component(name, js)(key=HIDDEN_PREFIX + key, data=data, height="content", **kwargs)


def scroll_to_top_on_change(marker: str, key: str) -> None:
    """Scroll the page to its top whenever ``marker`` differs from the last run's (e.g. "lesson 3, step 2")."""
    _mount_hidden("gru_viz_scroll_to_top", SCROLL_TO_TOP_JS, key, marker)


# Called on mount and whenever data changes. data = {name, entries, forget}: ``entries`` are what this session holds;
# the browser's localStorage keeps the union of every session's entries (this session's win), and sends back what it
# held that the session lacks (one rerun after a reload). Storage may be blocked (private windows, policies): then
# the session alone keeps its entries, as before.
BROWSER_MEMORY_JS = """
export default function ({ data, setStateValue }) {
  const { name, entries, forget } = data;
  let stored = {};
  try {
    if (forget) window.localStorage.removeItem(name);
    stored = JSON.parse(window.localStorage.getItem(name) || "{}") || {};
  } catch (e) { stored = {}; }
  try { window.localStorage.setItem(name, JSON.stringify({ ...stored, ...entries })); } catch (e) {}
  if (Object.keys(stored).some((k) => !(k in entries))) setStateValue("stored", stored);
}
"""


def browser_memory(name: str, entries: dict, *, forget: bool = False, key: str) -> dict:
    """Keep ``entries`` (JSON-able values) in the browser's localStorage under ``name``, so a reload or a new tab of
    the same browser gets them back; returns what the browser had stored ({} until it has answered, one rerun later).

    forget: wipe what the browser stored under ``name`` first (then give the component a new ``key``, so the
    entries it reported before are not returned again).
    """
    result = _mount_hidden("gru_viz_browser_memory", BROWSER_MEMORY_JS, key,
                           {"name": name, "entries": entries, "forget": forget},
                           default={"stored": None}, on_stored_change=lambda: None)
    stored = getattr(result, "stored", None)
    return stored if isinstance(stored, dict) else {}


# Presentation mode starts with the sidebar folded (app.py: initial_sidebar_state), but once a teacher opens it to
# switch pages Streamlit keeps it open, and the enlarged page is squeezed beside it (1280 px: "seed" broke in two).
# Called on mount and whenever data (the page's path) changes: a new page folds the sidebar, as a menu closes.
FOLD_SIDEBAR_JS = """
export default function ({ data }) {
  const previous = window.__gvSidebarPage;
  window.__gvSidebarPage = data;
  if (previous === undefined || previous === data) return;
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (sidebar && sidebar.dataset.collapsed === "false") {
    sidebar.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
  }
}
"""


def fold_sidebar_on_page_change(page: str, key: str) -> None:
    """Fold the sidebar whenever ``page`` (the page's URL path) differs from the last run's: mount it only in
    presentation mode, in the sidebar."""
    _mount_hidden("gru_viz_fold_sidebar", FOLD_SIDEBAR_JS, key, page)


# A button that disables itself when pressed (▶ Train while its run trains) drops the keyboard focus to the page:
# the next Tab starts from the top. When data (a marker of what the page now offers) changes, give the focus to
# the enabled button ``label``, if the focus was lost (or is still on ``other``, the button disabling itself); a
# focus the reader put elsewhere stays. Not on a mount's first call: a page opened, reloaded or come back to keeps
# the browser's own focus (the marker is kept on the component's own element, which a new visit replaces).
FOCUS_BUTTON_JS = """
export default function ({ data, parentElement }) {
  const { label, other, marker } = data;
  const previous = parentElement.dataset.gvFocusMarker;
  parentElement.dataset.gvFocusMarker = marker;
  if (previous === undefined || previous === marker) return;
  const deadline = performance.now() + 3000;  // the button may be enabled a frame or a rerun later
  const text = (el) => (el && el.textContent ? el.textContent.trim() : "");
  const lost = () => { const a = document.activeElement; return !a || a === document.body || a.disabled || text(a) === other; };
  const tryFocus = () => {
    if (parentElement.dataset.gvFocusMarker !== marker || !lost()) return;
    const button = [...document.querySelectorAll("button")].find((b) => text(b) === label && !b.disabled);
    if (button) button.focus({ preventScroll: true });  // a reader scrolled down to the results stays there
    else if (performance.now() < deadline) setTimeout(tryFocus, 50);
  };
  tryFocus();
}
"""


def focus_button_after_change(label: str, other: str, marker: str, key: str) -> None:
    """Give the keyboard focus to the button labelled ``label`` when ``marker`` changes and the focus was lost or is
    still on the button ``other`` (e.g. to ■ Stop once ▶ Train, pressed, has disabled itself)."""
    _mount_hidden("gru_viz_focus_button", FOCUS_BUTTON_JS, key, {"label": label, "other": other, "marker": marker})


# st.button loses presses made quickly one after another: while the browser is busy drawing, presses queue up,
# reach the server together, and Streamlit merges the pending triggers of one button into one rerun. This button
# counts its presses itself and sends the count, a value whose newest message carries every press before it.
# State {"mount": id, "n": count}: the id tells a new mount (a page left and opened again), whose count starts at 0.
COUNTING_BUTTON_JS = """
export default function ({ data, parentElement, setStateValue }) {
  let button = parentElement.querySelector(":scope > button.gv-counting-button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "gv-counting-button";
    button.dataset.gvNotAChart = "";  // for the tests' and benchmarks' "every chart drawn" check
    const mount = Math.random().toString(36).slice(2);
    let n = 0;
    button.addEventListener("click", () => { n += 1; setStateValue("clicks", { mount, n }); });
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  button.title = data.help || "";
}
"""
# Streamlit's secondary button, in the app's theme (primary colour #1f77b4, .streamlit/config.toml)
COUNTING_BUTTON_CSS = """
.gv-counting-button {
  width: 100%; min-height: 2.5rem; padding: 0.25rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2); background: #ffffff; color: inherit; font: inherit; line-height: 1.6;
  cursor: pointer; user-select: none;
}
.gv-counting-button:hover { border-color: #1f77b4; color: #1f77b4; }
.gv-counting-button:active { background: #1f77b4; border-color: #1f77b4; color: #ffffff; }
.gv-counting-button:focus-visible { outline: none; border-color: #1f77b4; box-shadow: 0 0 0 0.2rem rgba(31, 119, 180, 0.5); }
"""


@functools.cache
def _counting_button_component():
    return st.components.v2.component("gru_viz_counting_button", js=COUNTING_BUTTON_JS, css=COUNTING_BUTTON_CSS,
                                      isolate_styles=False)


def counting_button(label: str, *, key: str, help: str = "") -> int:
    """A button that counts every press: returns how many arrived since the last run (0 or more).

    For presses that must all count (a presenter's "next step"): st.button merges presses that reach the server
    together into one.
    """
    result = _counting_button_component()(key=key, data={"label": label, "help": help}, default={"clicks": None},
                                          height="content", on_clicks_change=lambda: None)
    clicks = getattr(result, "clicks", None)
    if not isinstance(clicks, dict):
        return 0
    seen = st.session_state.setdefault("_counting_button_seen", {})  # key -> (mount, count) already acted on
    mount, n = clicks.get("mount"), int(clicks.get("n") or 0)
    last_mount, last_n = seen.get(key, (None, 0))
    seen[key] = (mount, n)
    return max(0, n - (last_n if mount == last_mount else 0))


@functools.cache
def _warn_once(message: str) -> None:
    logging.getLogger(__name__).warning(message)
