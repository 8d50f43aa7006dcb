"""The chart component every page draws with (gru_viz.components.plotly_chart), without a browser.

What the browser receives, that a chart keeps its identity across reruns (so
the browser updates it in place), and that the Plotly it loads is the one the
figures are written for. The browser side is in tests/test_e2e.py.
"""

import json
import re

import plotly.graph_objects as go
import plotly.io
from plotly.offline import get_plotlyjs_version
from streamlit.testing.v1 import AppTest

from gru_viz import components
from tests.app_helpers import chart_message, charts

ASSETS = components.ASSET_DIR


def test_the_message_carries_the_figure_as_plotly_writes_it_and_its_text_alternative():
    fig = go.Figure(go.Heatmap(z=[[0.25, 0.5], [0.75, 1.0]], zmin=0, zmax=1), layout=dict(title="gate r"))
    message = json.loads(components.chart_message(fig, {"displaylogo": False}, "r ≈ 0.6 — mean"))
    assert message["figure"] == json.loads(plotly.io.to_json(fig, validate=False))
    assert message["config"] == {"displaylogo": False}
    assert message["alt"] == "r ≈ 0.6 — mean"


def _page():
    import plotly.graph_objects as go
    import streamlit as st

    from gru_viz import classroom

    n = st.slider("n", 1, 10, 3)
    classroom.show_chart(go.Figure(go.Scatter(y=list(range(n)))), f"a line of {n} points", key="line")


def test_a_chart_keeps_its_identity_when_its_figure_changes():
    at = AppTest.from_function(_page).run()
    assert not at.exception
    (before,) = charts(at)
    assert before.proto.js_source_path.endswith("chart.js")  # served from the asset dir, not inlined
    assert chart_message(before)["alt"] == "a line of 3 points"
    at.slider[0].set_value(7).run()
    (after,) = charts(at)
    assert chart_message(after)["figure"]["data"][0]["y"] != chart_message(before)["figure"]["data"][0]["y"]
    assert after.proto.id == before.proto.id  # same element: the browser redraws the same <div>


def test_the_shipped_plotly_is_the_version_the_figures_are_written_for():
    head = (ASSETS / "plotly-gru-viz.min.js").read_text(encoding="utf-8")[:200]
    assert head.startswith(f"/* plotly.js v{get_plotlyjs_version()} (core + bar + heatmap)")
    assert (ASSETS / "chart.js").is_file() and (ASSETS / "LICENSE-plotly.js.txt").is_file()
    assert 'new URL("./plotly-gru-viz.min.js", import.meta.url)' in (ASSETS / "chart.js").read_text(encoding="utf-8")


AXIS_AND_SHAPE_TYPES = {"log", "linear", "category", "date", "line", "rect", "circle", "path"}


def test_every_trace_type_the_figure_builders_use_is_in_the_shipped_bundle():
    # tools/plotly-bundle/entry.js registers bar and heatmap beside the core's scatter; a figure with any
    # other trace type (say scatterpolar) would draw nothing in the app, so it must be added there too.
    shipped = {"scatter", "bar", "heatmap"}
    entry = (ASSETS.parent.parent.parent / "tools" / "plotly-bundle" / "entry.js").read_text(encoding="utf-8")
    assert set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) == (shipped - {"scatter"}) | {"core"}
    used = set()
    for path in (ASSETS.parent.parent).glob("figures*.py"):
        text = path.read_text(encoding="utf-8")
        used |= {name.lower() for name in re.findall(r"\bgo\.(\w+)\(", text)} - {"figure"}
        used |= set(re.findall(r'(?<![\w.])type="(\w+)"', text)) - AXIS_AND_SHAPE_TYPES
    assert used == shipped, used ^ shipped  # the scan finds what we know is there, and nothing else


def _page_without_the_component():
    import plotly.graph_objects as go
    from streamlit.errors import StreamlitAPIException

    from gru_viz import classroom, components

    def not_declared():
        raise StreamlitAPIException("Component 'gru-viz.plotly_chart' must be declared in pyproject.toml with asset_dir")

    components._plotly_chart_component = not_declared  # as when gru-viz runs from a folder, not installed
    classroom.show_chart(go.Figure(go.Scatter(y=[1, 2, 3])), "three points", key="line")


def test_without_the_installed_component_charts_fall_back_to_streamlits_own():
    import importlib

    from gru_viz import components

    try:
        at = AppTest.from_function(_page_without_the_component).run()
        assert not at.exception
        (chart,) = at.get("plotly_chart")
        assert json.loads(chart.proto.spec)["data"][0]["y"] == [1, 2, 3]
        assert at.caption[0].value == "three points"
    finally:
        importlib.reload(components)  # the real registration back for the other tests


def test_the_benchmarks_floor_app_runs_and_its_slider_redraws_its_chart():
    # bench/bench_app.py reads every page's latency against this app; a broken floor would void those figures
    from pathlib import Path

    at = AppTest.from_file(str(Path(__file__).parent.parent / "bench" / "floor_app.py")).run()
    assert not at.exception
    (chart,) = charts(at)
    assert chart_message(chart)["figure"]["data"][0]["y"] == [0, 200, 0]
    at.slider[0].set_value(201).run()
    assert not at.exception
    (chart,) = charts(at)
    assert chart_message(chart)["figure"]["data"][0]["y"] == [0, 201, 0]
    assert chart_message(chart)["alt"] == "three points, T = 201"
