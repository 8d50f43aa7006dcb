"""Checkpoints and uploads: shipped models keep their promise, bad files get clear errors, no file ever runs code."""

import io
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import gru_viz as gv
from gru_viz import checkpoints as ck
from gru_viz import limits


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _x(D, T=12, seed=0):
    return np.random.default_rng(seed).standard_normal((T, D))


# ----------------------------------------------------------------------------
# shipped checkpoints

SHIPPED = ck.list_checkpoints()


def test_checkpoints_module_does_not_import_torch():
    code = "import sys, gru_viz.checkpoints; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_the_repo_ships_gru_lstm_and_rnn_on_adding_and_copy():
    have = {(e["cell"], e["task"]) for e in SHIPPED}
    assert {(c, t) for c in ("GRU", "LSTM", "RNN") for t in ("adding", "copy")} <= have


@pytest.mark.parametrize("entry", SHIPPED, ids=[e["name"] for e in SHIPPED])
def test_shipped_checkpoint_meets_its_stated_test_loss_on_fresh_data(entry):
    loaded = ck.load_checkpoint(entry["name"])
    assert loaded.model.hidden_size == entry["hidden_size"] and loaded.model.kind == entry["cell"]
    fresh = ck.evaluate(loaded, n=150, seed=424242)  # NumPy core only, data never seen in training or in the manifest
    assert fresh <= 1.3 * entry["test_loss"] + 0.003, (fresh, entry["test_loss"])


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_shipped_gru_beats_the_trivial_baseline_and_the_rnn_does_not_come_close(task):
    by = {e["cell"]: e for e in SHIPPED if e["task"] == task}
    assert by["GRU"]["test_loss"] < 0.1 * by["GRU"]["baseline"]
    assert by["RNN"]["test_loss"] > 0.5 * by["RNN"]["baseline"]


def test_example_input_is_a_sequence_of_the_models_task():
    model, readout, entry = ck.load_checkpoint("gru_adding_T100")
    x, y = ck.example_input(entry, seed=3)
    assert x.shape == (entry["task_params"]["T"], 2) and np.ndim(y) == 0
    pred = readout(model.run(x).h)[-1, 0]
    assert abs(pred - y) < 0.3  # a trained GRU adds the two marked numbers


@pytest.mark.parametrize("name", ["gru_adding_T100", "gru_copy"])
def test_a_trained_gru_describes_its_answer_on_a_task_sequence(name):
    model, readout, entry = ck.load_checkpoint(name)
    x, y = ck.example_input(entry, seed=1)
    said = ck.describe_prediction(entry, readout(model.run(x).h), y)
    assert ("the model answers" in said) if entry["task"] == "adding" else said.endswith("✓")
    assert len(ck.channel_names(entry)) == entry["input_size"]


def test_a_modified_checkpoint_file_is_rejected_by_its_hash(tmp_path):
    for e in SHIPPED[:1]:
        (tmp_path / e["file"]).write_bytes((ck.CHECKPOINT_DIR / e["file"]).read_bytes() + b"\0")
        (tmp_path / "manifest.json").write_text(json.dumps({"checkpoints": [e]}))
        with pytest.raises(ValueError, match="sha256"):
            ck.load_checkpoint(e["name"], tmp_path)


def test_unknown_checkpoint_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="available"):
        ck.load_checkpoint("../../etc/passwd")


def test_save_then_load_round_trips_exactly(tmp_path):
    model = gv.LSTM(3, 5, seed=1)
    readout = ck.Readout(np.random.default_rng(0).standard_normal((2, 5)), np.zeros(2))
    ck.save_checkpoint(tmp_path / "m.npz", model, readout)
    m2, r2, info = ck.load_uploaded_weights((tmp_path / "m.npz").read_bytes(), "m.npz")
    assert info["cell"] == "LSTM" and r2.output_size == 2
    np.testing.assert_array_equal(m2.run(_x(3)).h, model.run(_x(3)).h)  # float64 kept when float32 is not exact


def test_resolve_model_prefers_the_sessions_trained_models():
    trained = {"mine": ck.LoadedModel(gv.GRU(2, 3), None, {"name": "mine", "title": "my GRU"})}
    assert ck.resolve_model("mine", trained).entry["title"] == "my GRU"
    assert ck.model_choices(trained)["mine"] == "my GRU"
    assert ck.resolve_model(SHIPPED[0]["name"], trained).entry["source"] == "checkpoint"


# ----------------------------------------------------------------------------
# uploads that fit


@pytest.mark.parametrize("name,cls", [("GRU", gv.GRU), ("LSTM", gv.LSTM), ("RNN", gv.VanillaRNN)])
def test_uploaded_state_dict_gives_the_same_model_as_from_torch(name, cls):
    torch.manual_seed(0)
    m = getattr(torch.nn, name)(3, 6, batch_first=True)
    model, readout, entry = ck.load_uploaded_weights(_torch_bytes(m.state_dict()), "m.pt")
    assert entry["cell"] == name and (entry["input_size"], entry["hidden_size"]) == (3, 6) and readout is None
    np.testing.assert_array_equal(model.run(_x(3)).h, cls.from_torch(m).run(_x(3)).h)


def test_prefixed_state_dict_with_readout_inside_a_training_checkpoint_dict():
    torch.manual_seed(0)
    net = torch.nn.ModuleDict({"rnn": torch.nn.GRU(2, 4), "fc": torch.nn.Linear(4, 1)})
    blob = {"epoch": 7, "model_state_dict": net.state_dict()}
    model, readout, entry = ck.load_uploaded_weights(_torch_bytes(blob), "train.pth")
    assert entry["cell"] == "GRU" and readout.output_size == 1
    np.testing.assert_allclose(readout.weight, net["fc"].weight.detach().double().numpy())


def test_cell_module_without_bias_and_half_precision_load():
    m = torch.nn.GRUCell(2, 4, bias=False).half()
    model, _, entry = ck.load_uploaded_weights(_torch_bytes(m.state_dict()), "cell.pt")
    assert not model.bias and entry["hidden_size"] == 4


def test_npz_with_torch_key_names_loads_and_rnn_nonlinearity_can_be_declared():
    rnn = gv.VanillaRNN(2, 3, nonlinearity="relu")
    data = _npz_bytes(weight_ih_l0=rnn.weight_ih, weight_hh_l0=rnn.weight_hh, nonlinearity=np.array("relu"))
    model, _, _ = ck.load_uploaded_weights(data, "w.npz")
    assert model.nonlinearity == "relu" and not model.bias


# ----------------------------------------------------------------------------
# uploads that do not fit: a clear ValueError


def _gru_sd(**changes):
    sd = {k: v.clone() for k, v in torch.nn.GRU(2, 4).state_dict().items()}
    sd.update(changes)
    return {k: v for k, v in sd.items() if v is not None}


@pytest.mark.parametrize(
    "data,match",
    [
        (b"", "empty"),
        (b"hello, this is not a model", "not a weight file"),
        (b"\x93NUMPY" + b"\0" * 100, "single .npy"),
        (_torch_bytes(torch.nn.GRU(2, 4, num_layers=2).state_dict()), "single-layer"),
        (_torch_bytes(torch.nn.GRU(2, 4, bidirectional=True).state_dict()), "bidirectional"),
        (_torch_bytes(torch.nn.LSTM(2, 4, proj_size=2).state_dict()), "proj_size"),
        (_torch_bytes(_gru_sd(weight_hh_l0=torch.zeros(12, 5))), r"weight_hh has shape \(12, 5\)"),
        (_torch_bytes(_gru_sd(weight_ih_l0=torch.zeros(9, 2))), r"weight_ih has shape \(9, 2\)"),
        (_torch_bytes(_gru_sd(bias_hh_l0=None)), "both biases or neither"),
        (_torch_bytes(_gru_sd(bias_ih_l0=torch.zeros(5))), r"bias_ih has shape \(5,\)"),
        (_torch_bytes(_gru_sd(weight_hh_l0=torch.full((12, 4), float("nan")))), "NaN or infinity"),
        (_torch_bytes(_gru_sd(weight_hh_l0=torch.zeros(12, 4, dtype=torch.int64))), "floating point"),
        (_torch_bytes(_gru_sd(**{"fc.weight": torch.zeros(1, 7)})), r"readout fc.weight has shape \(1, 7\)"),
        (_torch_bytes(_gru_sd(**{"a.weight": torch.zeros(1, 4), "b.weight": torch.zeros(1, 4)})), "at most one linear"),
        (_torch_bytes({"embedding.weight": torch.zeros(5, 2)}), "no recurrent layer found"),
        (_torch_bytes([torch.zeros(3)]), "not a state_dict"),
        (_torch_bytes(torch.nn.GRU(2, 4).state_dict())[:200], "truncated"),
        (b"\x80\x04garbage", "refused"),
        (_npz_bytes(weight_ih=np.zeros((12, 2)), weight_hh=np.zeros((12, 4)), bias_ih=np.zeros(12), bias_hh=np.zeros(12),
                    cell=np.array("LSTM")), "says cell='LSTM'"),
        (_npz_bytes(weight_ih=np.zeros((8, 2)), weight_hh=np.zeros((8, 4))), "G = 1 .RNN., 3 .GRU. or 4 .LSTM."),
        (_npz_bytes(weight_ih=np.zeros((3, 2)), weight_hh=np.zeros((3, 1000))), "G = 1"),
        (_npz_bytes(weight_ih=np.zeros((600, 2)), weight_hh=np.zeros((600, 600))), "hidden size H must be in"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_file_that_does_not_fit_raises_a_clear_value_error(data, match):
    with pytest.raises(ValueError, match=match):
        ck.load_uploaded_weights(data, "upload.pt")


def test_a_whole_pickled_module_is_refused_with_advice():
    with pytest.raises(ValueError, match=r"refused.*state_dict\(\)"):
        ck.load_uploaded_weights(_torch_bytes(torch.nn.GRU(2, 4)), "model.pt")


def test_an_upload_over_the_size_cap_is_refused_before_reading():
    with pytest.raises(ValueError, match=f"the limit is {limits.UPLOAD_MB} MB"):
        ck.load_uploaded_weights(b"\0" * (limits.UPLOAD_MB * 2**20 + 1), "big.pt")


def test_a_zip_bomb_npz_is_refused_before_expanding():
    buf = io.BytesIO()
    np.savez_compressed(buf, weight_hh=np.zeros((ck.MAX_UNZIPPED_MB * 2**20 // 8 + 1000,)))
    assert len(buf.getvalue()) < limits.UPLOAD_MB * 2**20
    with pytest.raises(ValueError, match="expands to more than"):
        ck.load_uploaded_weights(buf.getvalue(), "bomb.npz")


# ----------------------------------------------------------------------------
# a pickle carrying code: refused, and nothing runs


class _Payload:
    """Unpickling this object calls open(marker, "w"), which creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_payload_really_runs_code_when_unpickled_unsafely(tmp_path):
    """Control: proves the payload used below would leave a marker if anything unpickled it."""
    marker = tmp_path / "control"
    pickle.loads(pickle.dumps(_Payload(marker))).close()
    assert marker.exists()


@pytest.mark.parametrize(
    "make,filename",
    [
        (lambda m: pickle.dumps(_Payload(m)), "evil.pt"),  # a bare pickle
        (lambda m: pickle.dumps({"weight_ih_l0": _Payload(m)}), "evil.pkl"),
        (lambda m: _torch_bytes({"weight_ih_l0": torch.zeros(3, 2), "x": _Payload(m)}), "evil.pth"),  # torch zip format
        (lambda m: _npz_bytes(weight_ih=np.array([_Payload(m)], dtype=object)), "evil.npz"),  # object array inside NPZ
    ],
    ids=["bare-pickle", "pickled-dict", "torch-zip", "npz-object-array"],
)
def test_a_pickle_carrying_code_is_refused_and_nothing_runs(tmp_path, make, filename):
    marker = tmp_path / "PWNED"
    data = make(marker)
    assert not marker.exists()
    with pytest.raises(ValueError, match="refused.*nothing from it was run"):
        ck.load_uploaded_weights(data, filename)
    assert not marker.exists(), "the upload executed code"
