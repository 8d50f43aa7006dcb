"""Trace exports round-trip to exactly the same arrays, with a header naming the model."""

import numpy as np
import pytest

import gru_viz as gv
from gru_viz import export


@pytest.fixture(params=["GRU", "LSTM", "RNN"])
def model_and_trace(request):
    model = {"GRU": gv.GRU, "LSTM": gv.LSTM, "RNN": gv.VanillaRNN}[request.param](2, 3, seed=7)
    x = np.random.default_rng(1).standard_normal((6, 2))
    return model, model.run(x, h0=np.linspace(-0.5, 0.5, 3))


def test_npz_round_trip_is_exact(model_and_trace):
    model, trace = model_and_trace
    arrays, meta = export.trace_from_npz(export.trace_to_npz(trace, export.model_meta(model)))
    for name, values in export.trace_arrays(trace).items():
        np.testing.assert_array_equal(arrays[name], values)
    assert meta["model"] == type(model).__name__ and meta["hidden_size"] == 3 and meta["seed"] == 7


def test_csv_round_trip_is_exact(model_and_trace):
    model, trace = model_and_trace
    text = export.trace_to_csv(trace, export.model_meta(model, input="noise"))
    arrays, meta = export.trace_from_csv(text)
    for name, values in export.trace_arrays(trace).items():
        np.testing.assert_array_equal(arrays[name], values)
    assert meta["input"] == "noise" and meta["model"] == type(model).__name__


def test_csv_has_one_row_per_timestep_and_named_columns(model_and_trace):
    model, trace = model_and_trace
    lines = [ln for ln in export.trace_to_csv(trace, export.model_meta(model)).splitlines() if not ln.startswith("#")]
    assert len(lines) == 1 + trace.T
    header = lines[0].split(",")
    assert header[0] == "step" and "h_2" in header and "x_1" in header
    H = trace.hidden_size  # units numbered 1..H, as in every figure
    assert f"h_{H}" in header and "h_0" not in header and "x_0" not in header
    for gate in trace.gates:
        assert f"gate_{gate}_1" in header and f"gate_{gate}_{H}" in header and f"gate_{gate}_0" not in header


def test_npz_export_contains_no_pickled_objects(model_and_trace):
    model, trace = model_and_trace
    import io

    data = export.trace_to_npz(trace, export.model_meta(model))
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:  # would raise on object arrays
        assert "h" in npz.files


def test_the_gate_explorers_header_gives_the_traces_own_length_and_random_weights_only_their_seed(model_and_trace):
    _, trace = model_and_trace  # T = 6
    task = {"cell": "GRU", "weights": "gru_adding_T100", "hidden_size": 3, "seed": 0, "init_scale": 1.0,
            "preset": "task", "T": 0, "input_seed": 2}  # what the page holds for a trained model's task sample
    meta = export.trace_meta(trace, task)
    assert meta["T"] == 6 and meta["input_seed"] == 2 and "seed" not in meta and "init_scale" not in meta
    assert "# T: 6" in export.trace_to_csv(trace, meta).splitlines()[:20]
    random = dict(task, weights="random", preset="noise", T=6, seed=5, init_scale=1.5)
    meta = export.trace_meta(trace, random)
    assert (meta["T"], meta["seed"], meta["init_scale"]) == (6, 5, 1.5)
