"""The floor of a slider move in this app's stack: Streamlit, one fragment, one slider, one tiny chart.

bench/bench_app.py runs this next to the app, in the same browser and on the
same machine, as the reference its page timings are read against: what any page
built this way pays before it computes or draws anything of its own (Streamlit's
rerun and re-render, the websocket, the chart component and a Plotly.react of
three points). Not part of the app.
"""

import plotly.graph_objects as go
import streamlit as st

from gru_viz import components, tcp_nodelay

tcp_nodelay.apply(st.get_option("server.port"))  # as app.py: the same server, without the 40 ms stalls


@st.fragment
def floor():
    T = st.slider("sequence length T", 2, 500, 200)
    fig = go.Figure(go.Scatter(y=[0, T, 0]), layout=dict(height=240, margin=dict(l=40, r=10, t=10, b=30)))
    components.plotly_chart(fig, key="floor", config={"displaylogo": False}, alt=f"three points, T = {T}")


floor()
