"""The Gate Explorer shows models trained or uploaded in this session, and exports its trace."""

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gru_viz import checkpoints
from tests.app_helpers import charts, figure_json

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "gru_viz" / "pages" / "gate_explorer.py")
TIMEOUT = 120


def _gate_names(at: AppTest) -> set[str]:
    fig = figure_json(charts(at)[0])
    return {name for name in ("update", "reset", "forget", "input", "output") if f'"name":"{name}"' in fig.replace(" ", "")}


def test_an_uploaded_lstm_is_shown_at_once():
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(2, 6).state_dict(), buf)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value(("mine.pt", buf.getvalue(), "application/octet-stream")).run()
    assert not at.exception
    assert at.selectbox(key="w_weights").value == "upload: mine.pt"
    assert {"forget", "input", "output"} <= _gate_names(at)
    assert "hidden size H = **6**" in " ".join(m.value for m in at.markdown)
    # no task is known for an upload: the page says so and feeds it noise, not "a sample of its training task"
    inputs = at.selectbox(key="w_input")
    assert inputs.value == "task" and inputs.options[0] == "seeded noise on its 2 inputs (100 steps)"
    said = " ".join(c.value for c in at.caption)
    assert "no training task is known" in said and "unknown task" not in said and "training task" not in " ".join(
        at.selectbox(key="w_input").options)
    assert "uploaded weights" in said and "trained checkpoint" not in said


def test_a_model_trained_in_this_session_is_offered_and_opened_on_request():
    loaded = checkpoints.load_checkpoint("lstm_adding_T100")
    entry = dict(loaded.entry, name="LSTM · run 1", title="LSTM · run 1", source="trained")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["trained_models"] = {"LSTM · run 1": checkpoints.LoadedModel(loaded.model, loaded.readout, entry)}
    at.session_state["open_model"] = "LSTM · run 1"  # what the Training Lab's "Open in Gate Explorer" sets
    at.run()
    assert not at.exception
    weights = at.selectbox(key="w_weights")
    assert weights.value == "LSTM · run 1"
    assert "this session: LSTM · run 1" in weights.options
    assert "forget" in _gate_names(at)


def test_the_trace_can_be_downloaded_as_csv_and_npz():
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "⬇ Trace as CSV" in labels and "⬇ Trace as NPZ" in labels
    assert at.selectbox(key="w_input").options[0] == "a sample of its training task"  # a shipped, trained GRU
    assert any("a trained model" in c.value for c in at.caption)


LAB = str(ROOT / "gru_viz" / "pages" / "gradient_lab.py")


def test_gradient_lab_shows_the_shipped_adding_checkpoints_by_default():
    at = AppTest.from_file(LAB, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.multiselect(key="w_trained").value == ["gru_adding_T100", "lstm_adding_T100", "rnn_adding_T100"]
    caption = at.caption[-1].value
    assert "GRU" in caption and "RNN" in caption and "after 100 steps" in caption


def test_gradient_lab_trained_curve_equals_the_cores_decay_on_the_task_sample():

    import gru_viz as gv

    at = AppTest.from_file(LAB, default_timeout=TIMEOUT).run()
    for cell in ("RNN", "LSTM"):  # the hidden state, as the lab's own curves: for the LSTM the h block of [h, c]
        model, _, entry = checkpoints.load_checkpoint(f"{cell.lower()}_adding_T100")
        expected = gv.gradient_decay(model, checkpoints.example_input(entry, seed=0)[0], hidden_only=True)
        assert f"{cell} {expected[-1]:.1e} after 100 steps" in at.caption[-1].value


def test_gradient_lab_adds_the_model_the_training_lab_asked_to_open():
    loaded = checkpoints.load_checkpoint("gru_copy")
    entry = dict(loaded.entry, name="GRU · run 2", title="GRU · run 2", source="trained")
    at = AppTest.from_file(LAB, default_timeout=TIMEOUT)
    at.session_state["trained_models"] = {"GRU · run 2": checkpoints.LoadedModel(loaded.model, loaded.readout, entry)}
    at.session_state["open_model"] = "GRU · run 2"
    at.run()
    assert not at.exception
    assert "GRU · run 2" in at.multiselect(key="w_trained").value
