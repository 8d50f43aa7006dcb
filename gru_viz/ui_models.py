"""Streamlit helpers for trained models: the weight-file upload and the session's model list.

Trained models of a session live in ``st.session_state["trained_models"]`` (name -> LoadedModel):
the Training Lab puts its results there, and ``upload_ui`` puts a valid uploaded file there,
so every page can offer them with ``checkpoints.model_choices`` and load them with
``checkpoints.resolve_model``.

    from gru_viz import ui_models
    name = ui_models.upload_ui()          # None, or the name of the uploaded model (now in trained_models)
"""

from __future__ import annotations

import hashlib

import streamlit as st

from gru_viz import checkpoints, limits


def trained_models() -> dict:
    """This session's trained and uploaded models: name -> LoadedModel (a finished Training Lab run's included)."""
    register_finished_run()
    return st.session_state.setdefault("trained_models", {})


def register_finished_run() -> list[str]:
    """The names of the models of this session's latest Training Lab run once it has finished, put into
    trained_models the first time they are asked for (by any page: the run may end while the user is on
    another one). [] while it trains or when there is none."""
    run = st.session_state.get("training_run")
    if run is None or run.active or not run.trainers:
        return []
    registered = st.session_state.get("training_lab_registered")  # (run, its model names), for the latest run only
    if registered is None or registered[0] is not run:
        k = st.session_state["training_lab_count"] = st.session_state.get("training_lab_count", 0) + 1
        models = run.results(label=f" · run {k}")
        st.session_state.setdefault("trained_models", {}).update(models)
        registered = st.session_state["training_lab_registered"] = (run, list(models))
    return registered[1]


def upload_ui(key: str = "weights_upload") -> str | None:
    """A file uploader for weights. A valid file joins trained_models; returns its name (None if no valid file).

    Bad files get an st.error saying what does not fit; nothing in an uploaded file is ever executed.
    """
    f = st.file_uploader(
        "upload weights (.npz, or a torch state_dict .pt/.pth)", type=checkpoints.UPLOAD_TYPES, key=key,
        help=f"One single-layer nn.GRU / nn.LSTM / nn.RNN (optionally with one nn.Linear readout), saved with "
             f"torch.save(model.state_dict(), 'file.pt') or np.savez. At most {limits.UPLOAD_MB} MB. "
             "Files are read without running any code in them.",
    )
    if f is None:
        return None
    data = f.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    seen = st.session_state.setdefault("uploaded_weights", {})  # sha256 -> name or error, so reruns do not re-parse
    if digest not in seen:
        try:
            loaded = checkpoints.load_uploaded_weights(data, f.name)
        except ValueError as e:
            seen[digest] = ("error", str(e))
        else:
            trained_models()[loaded.entry["name"]] = loaded
            seen[digest] = ("ok", loaded.entry["name"])
    status, value = seen[digest]
    if status == "error":
        st.error(f"Cannot use this file: {value}")
        return None
    loaded = trained_models().get(value)
    if loaded is not None:
        e = loaded.entry
        readout = "with" if loaded.readout is not None else "without"
        article = "an" if e["cell"] in ("LSTM", "RNN") else "a"  # an LSTM, an RNN (said "ar-en-en")
        st.success(f"Loaded {article} {e['cell']} with H = {e['hidden_size']} units reading D = {e['input_size']} inputs "
                   f"({readout} a readout).")
    return value
