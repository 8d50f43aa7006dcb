"""Small Streamlit components of the app (plain HTML + JS in a folder each, no build step, nothing downloaded).

    coloured_text(**figures_text.text_payload(...), key=...)   the text view's coloured text

A component has to be declared from a module (Streamlit names it after the
module), not from a page script, hence this file. Importing it imports
streamlit, so only pages import it.
"""

from pathlib import Path

import streamlit.components.v1 as components

coloured_text = components.declare_component("coloured_text", path=str(Path(__file__).resolve().parent / "coloured_text"))
