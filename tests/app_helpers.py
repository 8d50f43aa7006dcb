"""Reading the app's charts in AppTest (imported by the tests/test_app_*.py files).

Every chart goes through gru_viz.components.plotly_chart, an st.components.v2
component: AppTest shows it as a "bidi_component" element whose ``proto.bytes``
is the message the browser receives, UTF-8 JSON {"config", "alt", "figure"}.

    from tests.app_helpers import charts, chart_message, figure_json
"""

from __future__ import annotations

import json

CHART_COMPONENT = "gru-viz.plotly_chart"


def charts(node) -> list:
    """The chart elements under ``node`` (an AppTest or any block of it), in page order."""
    return [el for el in node.get("bidi_component") if el.proto.component_name == CHART_COMPONENT]


def chart_message(el) -> dict:
    """What the browser receives for one chart: {"config": ..., "alt": ..., "figure": {"data", "layout"}}."""
    return json.loads(el.proto.bytes)


def figure_json(el) -> str:
    """The chart's Plotly figure as JSON text (changes whenever anything drawn changes)."""
    return json.dumps(chart_message(el)["figure"], ensure_ascii=False)


def chart_specs(node) -> list[dict]:
    """The Plotly figures under ``node``, as dicts."""
    return [chart_message(el)["figure"] for el in charts(node)]
