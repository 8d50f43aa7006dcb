"""Classroom helpers for every page: presentation mode and how charts are shown.

Presentation mode (``?present=1`` in the URL, or the sidebar toggle) makes the
app readable from the back of a lecture hall: larger text and chart labels, the
sidebar collapsed, one figure per screen in lessons, and keyboard navigation
(Left/Right or PageUp/PageDown) between lesson steps.

``show_chart`` is the one way pages put a Plotly figure on screen: it scales
the fonts in presentation mode, configures the modebar's download (PNG or SVG,
crisp at 2x), and writes the figure's one-line text alternative underneath, so
every figure has a description a screen reader (and a student at the back) can
read.
"""

from __future__ import annotations

import html
import re

import streamlit as st

PRESENT_KEY = "present"  # query parameter and session_state key
PRESENT_ON, PRESENT_OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")  # how a link may say it
FORMAT_KEY = "figure_format"  # session_state key for the modebar download format

# On every page. Captions: Streamlit draws them at 60 % opacity, 3.9:1 on white, below the 4.5:1 that WCAG AA asks
# of small text, and they carry each chart's one-line reading: 72 % gives about 5.5:1. A folded sidebar: Streamlit
# only slides it out of view, so Tab walked through its 14 controls off screen before reaching the page.
BASE_CSS = """
<style>
  [data-testid="stCaptionContainer"] { opacity: 0.72; }
  [data-testid="stSidebar"][data-collapsed="true"] [data-testid="stSidebarContent"] { display: none; }
</style>
"""

PRESENTATION_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.55; }
  [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: inherit; line-height: inherit; }
  [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
  h1 { font-size: 2.6rem !important; } h2 { font-size: 2.1rem !important; } h3 { font-size: 1.7rem !important; }
  [data-testid="stWidgetLabel"] p { font-size: 1.15rem; }
  .block-container { padding-top: 4.25rem; max-width: 100%; }  /* below Streamlit's header (~79 px) */
  [data-testid="stSliderThumbValue"] { transform: translateY(-0.4rem); }  /* the larger value clear of the thumb */
  [data-testid="stSelectbox"] input, [data-testid="stNumberInput"] input, [data-testid="stTextInput"] input,
  textarea { font-size: 1rem; }  /* the chosen values grow with their labels */
  .katex-display .katex { font-size: 1.3em; }
  [data-testid="stTable"] th, [data-testid="stTable"] td { font-size: 1.15rem; }  /* st.table: what a projector shows */
</style>
"""


def presentation_requested() -> bool:
    """True when presentation mode is on, from the URL or from this session."""
    from gru_viz import ui

    value = ui.query_get(PRESENT_KEY)
    if value is not None:
        word = value.strip().lower()
        on = word in PRESENT_ON
        if not on and word not in PRESENT_OFF:
            ui.warn_ignored(PRESENT_KEY, value, "use present=1 for presentation mode (0 for off)", "off")
            ui.write_query(**{PRESENT_KEY: None})
        st.session_state[PRESENT_KEY] = on
        return on
    return bool(st.session_state.get(PRESENT_KEY, False))


def is_presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def _sync_present_to_url() -> None:
    from gru_viz import ui

    ui.write_query(**{PRESENT_KEY: "1" if st.session_state.get(PRESENT_KEY) else None})


def sidebar_controls(page: str = "") -> None:
    """The toggle and download-format choice shown on every page (call once per run; ``page``: its URL path)."""
    with st.sidebar:
        st.toggle(
            "Presentation mode",
            key=PRESENT_KEY,
            on_change=_sync_present_to_url,
            help="Large text and charts for a projector; lessons show one figure per screen "
            "and the Left/Right arrow keys move between steps. Kept in the link (?present=1).",
        )
        st.radio(
            "Figure download format",
            ["png", "svg"],
            key=FORMAT_KEY,
            horizontal=True,
            help="What the camera icon above each chart saves.",
        )
        if st.session_state.get(PRESENT_KEY):  # on a projector the sidebar is a menu: it folds once a page is chosen
            from gru_viz import components

            components.fold_sidebar_on_page_change(page, key="fold-sidebar")
    st.html(BASE_CSS)
    if st.session_state.get(PRESENT_KEY):
        from gru_viz import ui

        st.html(PRESENTATION_CSS)
        ui.write_query(**{PRESENT_KEY: "1"})


def chart_config(filename: str = "gru-viz") -> dict:
    """Plotly config for every chart: modebar download in the chosen format, at 2x."""
    fmt = st.session_state.get(FORMAT_KEY, "png")
    safe_name = re.sub(r"[^A-Za-z0-9_-]+", "-", filename).strip("-") or "gru-viz"
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": safe_name, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


PRESENT_HEIGHT_FACTOR = 1.2  # presentation mode's charts are a fifth taller


def scale_for_presentation(fig, factor: float = 1.45):
    """Scale every font of the figure by ``factor`` and make it a fifth taller.

    Every font size the figure sets, wherever it sets it (the base font, titles,
    axis ticks and axis titles, legends, colour bars, annotations, hover labels,
    text on traces), so a panel that chose small tick labels grows with the rest.
    """
    base = fig.layout.font.size or 14
    fig.update_layout(font_size=round(base * factor))
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    layout.pop("font", None)  # done above
    for path, size in _font_sizes(layout):
        fig.layout[path] = round(size * factor)
    for trace in fig.data:
        for path, size in _font_sizes(trace.to_plotly_json()):
            trace[path] = round(size * factor)
    margin = fig.layout.margin  # it holds titles and tick labels, which just grew
    fig.update_layout(margin={side: round(getattr(margin, side) * factor) for side in "tblr"
                              if getattr(margin, side) is not None})
    title = fig.layout.title.text if fig.layout.title else None
    split = _two_lines(title) if title else None
    if split:  # one more title line: the top margin grows by one line height
        line = round((fig.layout.title.font.size or fig.layout.font.size) * 1.25)
        fig.update_layout(title_text=split, margin_t=(fig.layout.margin.t or 100) + line)
    if fig.layout.height:
        fig.update_layout(height=round(fig.layout.height * PRESENT_HEIGHT_FACTOR))
    return fig


TITLE_CHARS = 60  # a longer title, enlarged for presentation, runs off a 1024-1280 px screen: it gets two lines


def _two_lines(title: str) -> str | None:
    """A title longer than TITLE_CHARS (shown text) split at the ", " nearest its middle; None when it is
    short, already on two lines, or has no such place."""
    if "<br>" in title or len(re.sub(r"<[^>]+>", "", title)) <= TITLE_CHARS:
        return None
    cuts = [m.start() for m in re.finditer(", ", title)]
    if not cuts:
        return None
    cut = min(cuts, key=lambda c: abs(c - len(title) / 2))
    return f"{title[: cut + 1]}<br>{title[cut + 2 :]}"


def _font_sizes(spec, path: tuple = ()):
    """(path, size) of every font size set in a figure's plain-dict spec: e.g. (("xaxis2", "tickfont", "size"), 14)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                yield (*path, key, "size"), value["size"]
            if isinstance(value, (dict, list, tuple)):
                yield from _font_sizes(value, (*path, key))
    elif isinstance(spec, (list, tuple)):
        for i, value in enumerate(spec):
            if isinstance(value, dict):
                yield from _font_sizes(value, (*path, i))


def chart_columns(spec, gap: str = "medium") -> list:
    """``st.columns(spec)`` for charts side by side, or one full-width container each in presentation mode:
    enlarged for a projector, two charts side by side no longer have room for their titles and tick labels."""
    n = spec if isinstance(spec, int) else len(spec)
    return [st.container() for _ in range(n)] if is_presenting() else st.columns(spec, gap=gap)


def show_chart(fig, caption: str | None, *, key: str, filename: str | None = None, alt: str | None = None):
    """Show a Plotly figure, full width, with its one-line reading underneath.

    The chart is gru_viz.components.plotly_chart: the same ``key`` on the next
    rerun updates the drawn chart in place (Plotly.react) instead of building it
    again, so keep keys fixed for a place on the page.

    Args:
        fig: a plotly.graph_objects.Figure (built by a gru_viz.figures* builder).
        caption: one line saying what the figure shows at the current settings and
            the key number to notice; also the chart's text alternative. None: no
            line underneath (the figure's title is then its text alternative).
        key: the chart's unique name on the page.
        filename: names the modebar download (default: the key).
        alt: the text alternative when it should differ from the caption (e.g. no caption, no title).
    """
    from gru_viz import components, lessons, ui

    ui.flush_query_before_charts()
    if is_presenting():
        fig = scale_for_presentation(fig)
    alt = alt or (lessons.plain_text(caption) if caption else _title_text(fig)) or "chart"  # its math as plain text
    result = components.plotly_chart(fig, key=key, config=chart_config(filename or key), alt=alt)
    if caption:
        st.caption(caption)
    return result


def _title_text(fig) -> str:
    """The figure's title as plain text: <br> becomes a space, other tags go, entities are read (a "<" in the
    text, as in "(< 0.1)", is not a tag)."""
    title = fig.layout.title.text if fig.layout.title else None
    text = re.sub(r"<br\s*/?>", " ", title or "", flags=re.IGNORECASE)
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)
    return " ".join(html.unescape(text).split())


def share_link() -> None:
    """Tell the reader how to share this view (call after the page ran).

    Every page writes all of its settings into the URL as they change (fragment
    reruns included), so the address bar always holds the link to the current
    picture; a copy shown here would lag behind a fragment's rerun.
    """
    with st.sidebar:
        st.caption("🔗 **Share this view:** the address bar holds the page's settings; "
                   "copy it and the same link reopens the same picture.")
