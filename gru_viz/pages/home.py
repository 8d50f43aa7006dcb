"""Home: what the app teaches, and a link to every page and lesson."""

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from gru_viz import classroom

HERE = Path(__file__).resolve().parent
LESSON_DIR = HERE.parents[1] / "lessons"

# (page file, title, URL path, icon, one line on what it shows) in the order a class would meet them
PAGES = [
    ("gate_explorer.py", "Gate Explorer", "gate-explorer", "🔬",
     "Every gate and the hidden state as heatmaps over time: watch the update gate hold a memory."),
    ("step_through.py", "Cell Step-Through", "step-through", "👣",
     "One timestep at a time: the GRU equations with the actual numbers, and the cell diagram."),
    ("gradient_lab.py", "Gradient Lab", "gradient-lab", "📉",
     "A plain RNN's gradient shrinks by a steady factor at every step back; a GRU's survives. Gate surgery included."),
    ("compare.py", "Compare Cells", "compare", "⚖️", "RNN, GRU, LSTM and slimmer variants (MGU, minGRU) side by side."),
    ("phase_portrait.py", "Phase Portrait", "phase-portrait", "🌀", "Where the hidden state travels, in two dimensions."),
    ("training_lab.py", "Training Lab", "training-lab", "🏋️", "Train a small cell on a memory task and watch the gates learn."),
    ("attention.py", "Attention on a GRU", "attention", "🎯", "What attention adds on top of a recurrent encoder."),
    ("text_view.py", "Gates on Text", "text", "📝", "Gates of a character-level model, coloured over the text it reads."),
]


def link(file: str, label: str, url_path: str, icon: str | None = None, query_params: dict | None = None) -> None:
    """st.page_link to a page of the app; a plain link when the page runs on its own (e.g. in a test)."""
    try:
        st.page_link(str(HERE / file), label=label, icon=icon, query_params=query_params)
    except (StreamlitAPIException, KeyError):
        query = "?" + "&".join(f"{k}={v}" for k, v in query_params.items()) if query_params else ""
        st.markdown(f"{icon or ''} [{label}](/{url_path}{query})")


def lesson_titles() -> list[str]:
    """The title (first '# ' line) of each lesson file, in file order."""
    titles = []
    for path in sorted(LESSON_DIR.glob("*.md")):
        first = next((ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()), "")
        titles.append(first[2:].strip() if first.startswith("# ") else path.stem)
    return titles


st.title("🔁 gru-viz: why gates work")
st.markdown(
    "#### A recurrent network reads a sequence one step at a time and must carry what matters in its hidden state.\n"
    "#### A plain RNN rewrites that state at every step, so memories fade and gradients shrink step after step.\n"
    "#### A GRU adds gates, numbers between 0 and 1 computed at every step, that decide how much of the old state "
    "to keep (**update gate z: z = 1 keeps the old state**) and how much of it to use (reset gate r); "
    "this app lets you watch them do it."
)

st.divider()
st.subheader("Explore")
presenting = classroom.is_presenting()  # on a projector: two wider cards a row, as tall as their text
per_row = 2 if presenting else 4
for row in range(0, len(PAGES), per_row):
    for col, (file, title, url_path, icon, blurb) in zip(st.columns(per_row), PAGES[row : row + per_row], strict=False):
        with col, st.container(border=True, height="content" if presenting else "stretch"):  # as tall as the row
            link(file, f"**{title}**", url_path, icon)
            st.caption(blurb)

st.subheader("Lessons, step by step")
titles = lesson_titles()
if not titles:
    st.info("No lessons yet.")
half = (len(titles) + 1) // 2
for col, first in zip(st.columns(2), (0, half), strict=True):
    with col:
        for i in range(first, first + half if first == 0 else len(titles)):
            link("lessons.py", f"{i + 1}. {titles[i]}", "lessons", "📚", query_params={"lesson": i + 1})
st.caption("Every page keeps its settings in the link: copy the address bar to share the exact picture.")
