"""Gate Explorer: pick a cell and an input, watch every gate and the hidden state over time.

controls (model_ui, input_ui; all in the URL) -> cached run (ui.run_model) ->
figures.trace_figure -> chart. Everything sits in one fragment, so moving a
widget reruns only this part of the page.
"""

import streamlit as st

from gru_viz import export, figures, presets, ui, ui_models

st.title("🔬 Gate Explorer")
st.markdown(
    "Feed a sequence to a recurrent cell and watch **every gate and the hidden state, timestep by timestep**. "
    "Each heatmap has time left to right and one row per hidden unit; gates use the same colours everywhere "
    "(dark = 0 closed, yellow = 1 open) and states run blue (−1) to red (+1). "
    "**Update-gate convention: z = 1 keeps the old state** "
    "(h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ h<sub>t−1</sub>), as in PyTorch.",
    unsafe_allow_html=True,
)


@ui.fragment
def explorer():
    with st.expander("Use your own weights (upload a state_dict)"):
        uploaded = ui_models.upload_ui()
        if uploaded and st.session_state.get("last_upload") != uploaded:
            st.session_state["last_upload"] = st.session_state["open_model"] = uploaded  # show it right away
    with st.container(border=True):
        # a trained GRU by default (when one is shipped): its gates tell the story; random gates sit near 0.5.
        # A link that sets the cell, its size, scale or seed but no weights asks for random weights: only they
        # have those settings (a trained model fixes them).
        asks_random = any(ui.query_get(k) is not None for k in ui.RANDOM_WEIGHT_KEYS)
        default = "random" if asks_random else ui.first_checkpoint("GRU")
        m = ui.model_ui(weights=ui.weight_choices(), horizontal=True, default_weights=default)
        # a checkpoint reads only inputs as wide as its own (the copy task's 6 channels: its task alone)
        w = m["weights"]
        offered = presets.PRESETS if w == "random" else presets.presets_for(ui.checkpoint_entry(w)["input_size"])
        inp = ui.input_ui(task=ui.task_input_label(w), presets_offered=offered, horizontal=True)
    try:
        trace, names = ui.run_model(**m, **inp)
    except ValueError as e:  # e.g. a checkpoint that does not fit this input, or a corrupted file
        st.error(f"Cannot run this combination: {e}")
        return
    ui.finite_or_warn(trace)
    st.markdown(f"#### {figures.key_number(trace)}")
    labels = list(inp["text"]) if inp["preset"] == "text" else None  # characters on the time axis
    hide = panels_ui(trace)
    fig = figures.trace_figure(trace, channel_names=names, step_labels=labels, hide=hide)
    what = {"random": f"random weights (seed {m['seed']}, scale {m['init_scale']:g})", "trained": "a trained model",
            "uploaded": "uploaded weights"}[ui.weights_kind(m["weights"])]
    kind = type_name(trace)
    shown = "the hidden state" if not trace.gates else "every gate and the hidden state"  # a plain RNN has no gates
    caption = (f"The input, then {shown} of {'an' if kind == 'LSTM' else 'a'} {kind} with "
               f"H = {trace.hidden_size} unit{'s' * (trace.hidden_size != 1)} over T = {trace.T} step{'s' * (trace.T != 1)}, "
               f"{what}. Hover any cell for its exact value.")
    ui.plot(fig, caption, key="gate_explorer_chart", filename=f"gate-explorer-{m['cell']}")
    downloads_ui(trace, {**m, **{k: v for k, v in inp.items() if k != "text" or inp["preset"] == "text"}})


def panel_label(name: str) -> str:
    return {"x": "input x", "h": "state h", "c": "cell c", "mean": "gate means"}.get(
        name, f"{name} {figures.GATE_SYMBOLS.get(name, '')}".strip())


def panels_ui(trace) -> tuple:
    """Which panels to draw; returns the ones left out (in the URL as ?hide=reset,candidate). A teacher telling
    one story ("z holds a memory": input, z and h) shows only its panels, on one projector screen."""
    names = figures.trace_panels(trace)

    def from_link() -> list[str]:
        raw = ui.query_get("hide") or ""
        hidden = [n.strip() for n in raw.split(",") if n.strip()]
        if unknown := [n for n in hidden if n not in figures.TRACE_PANELS]:  # another cell's panels are no error
            st.warning(f"The link hides `{ui.shorten(', '.join(unknown))}`, which is no panel; the panels are "
                       f"{', '.join(names)}.", icon="⚠️")
        return [n for n in names if n not in hidden]

    wkey = ui.init_widget(f"show_{type_name(trace)}", from_link)  # one per kind of cell: each has its own panels
    shown = st.pills("panels shown", names, selection_mode="multi", key=wkey, format_func=panel_label,
                     help="Leave out panels to fit one story on a screen; the link keeps the choice.")
    if not shown:
        st.caption("No panel picked: all of them are drawn.")
    hidden = [n for n in names if n not in shown] if shown else []
    ui.write_query(hide=",".join(hidden) or None)
    return tuple(hidden)


def downloads_ui(trace, settings: dict) -> None:
    """The trace as CSV and NPZ (inputs, every gate, hidden states), with a header naming model, sizes and seed."""
    meta = export.trace_meta(trace, settings)
    name = f"gru-viz-{settings['cell']}-H{trace.hidden_size}-T{trace.T}"
    left, right, _ = st.columns([1.5, 1.5, 2])  # room for the button labels in presentation mode too
    left.download_button("⬇ Trace as CSV", lambda: export.trace_to_csv(trace, meta), file_name=f"{name}.csv",
                         mime="text/csv", on_click="ignore", key="dl_csv",
                         help="One row per timestep: inputs, hidden state and every gate; settings in the # header lines.")
    right.download_button("⬇ Trace as NPZ", lambda: export.trace_to_npz(trace, meta), file_name=f"{name}.npz",
                          mime="application/octet-stream", on_click="ignore", key="dl_npz",
                          help="NumPy arrays x, h, gate_<name> (and c for the LSTM) plus a 'meta' JSON string; "
                               "load with np.load(path, allow_pickle=False).")


def type_name(trace) -> str:
    return "GRU" if "update" in trace.gates else "LSTM" if "forget" in trace.gates else "plain RNN"


explorer()
