"""gru-viz: the Streamlit entry point. Run with `streamlit run app.py`.

This file only wires the pages together; each page's code lives in
gru_viz/pages/.
"""

from pathlib import Path

import streamlit as st

from gru_viz import _blas, classroom, tcp_nodelay, ui, workers

_blas.one_thread_for_this_process()  # a server of many small requests: no BLAS thread spinning between them
workers.start()  # the Gradient Lab's worker processes, in the background: ready before anyone opens it
tcp_nodelay.apply(st.get_option("server.port"))  # Streamlit's sockets hold small responses ~40 ms (see the module)
PAGES_DIR = Path(__file__).parent / "gru_viz" / "pages"

presenting = classroom.presentation_requested()
st.set_page_config(
    page_title="gru-viz: why gates work",
    page_icon="🔁",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting else "auto",
)


def page(file: str, title: str, icon: str, **kwargs) -> st.Page:
    return st.Page(str(PAGES_DIR / file), title=title, icon=icon, **kwargs)


pages = {
    "Start": [
        # Home is Streamlit's default page, served at /; its own url_path only has to differ from the hidden copy's,
        # which shows Home at /home too (what a teacher may type, by the menu's name) instead of "page not found".
        # A copy, not a redirect: a redirect would push / on top of /home, and Back would land on /home again
        page("home.py", "Home", "🏠", url_path="start", default=True),
        page("home.py", "Home", "🏠", url_path="home", visibility="hidden"),
        page("lessons.py", "Lessons", "📚", url_path="lessons"),
    ],
    "Explore": [
        page("gate_explorer.py", "Gate Explorer", "🔬", url_path="gate-explorer"),
        page("step_through.py", "Cell Step-Through", "👣", url_path="step-through"),
        page("gradient_lab.py", "Gradient Lab", "📉", url_path="gradient-lab"),
        page("compare.py", "Compare Cells", "⚖️", url_path="compare"),
        page("phase_portrait.py", "Phase Portrait", "🌀", url_path="phase-portrait"),
    ],
    "Train and apply": [
        page("training_lab.py", "Training Lab", "🏋️", url_path="training-lab"),
        page("attention.py", "Attention on a GRU", "🎯", url_path="attention"),
        page("text_view.py", "Gates on Text", "📝", url_path="text"),
    ],
}

navigation = st.navigation(pages)
ui.repair_mixed_history_entry(navigation.url_path)  # Back onto an entry of a Streamlit race: this page's own settings
ui.forget_other_pages_widgets(navigation.url_path)
ui.follow_browser_history()  # Back/Forward: the page's widgets take the settings in the URL
st.session_state[ui.FULL_RUN] = True  # the settings pages write go into the URL at the end, in one message
try:
    classroom.sidebar_controls(navigation.url_path)
    navigation.run()
    classroom.share_link()
finally:
    st.session_state[ui.FULL_RUN] = False
    ui.flush_query()
