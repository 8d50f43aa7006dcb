"""Training with torch: seeded, deterministic, lowers the loss, and hands exact weights to the NumPy core."""

import copy
import json
import time

import numpy as np
import pytest
import torch

from gru_viz import checkpoints as ck
from gru_viz import training
from gru_viz.training import TrainConfig, Trainer, train, train_together

TINY = {"task": "adding", "task_params": {"T": 8}, "hidden_size": 6, "batch_size": 16, "lr": 1e-2, "eval_every": 10, "test_n": 64}


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("cell", ["RNN", "GRU", "LSTM"])
def test_a_few_steps_lower_the_test_loss(cell):
    tr = train(TrainConfig(cell=cell, steps=40, **TINY))
    assert tr.test["step"][0] == 0 and tr.test["step"][-1] == 40
    assert tr.test["loss"][-1] < 0.8 * tr.test["loss"][0]


def test_same_config_gives_the_same_losses_and_weights():
    a, b = (train(TrainConfig(cell="GRU", steps=15, **TINY)) for _ in range(2))
    assert a.history["loss"] == b.history["loss"] and a.history["grad_norm"] == b.history["grad_norm"]
    for p, q in zip(a.rnn.parameters(), b.rnn.parameters(), strict=True):
        assert torch.equal(p, q)


def test_a_different_seed_gives_different_weights():
    a = Trainer(TrainConfig(cell="GRU", steps=1, seed=0, **TINY))
    b = Trainer(TrainConfig(cell="GRU", steps=1, seed=1, **TINY))
    assert not torch.equal(a.rnn.weight_hh_l0, b.rnn.weight_hh_l0)


def test_training_does_not_touch_torchs_global_random_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Trainer(TrainConfig(cell="LSTM", **TINY))
    assert torch.equal(torch.rand(3), expected)


def test_callback_sees_every_step_and_can_stop_training():
    seen = []

    def callback(step, loss, grad_norm):
        seen.append((step, loss, grad_norm))
        return step == 5

    tr = train(TrainConfig(cell="RNN", steps=50, **TINY), callback=callback)
    assert [s for s, _, _ in seen] == [1, 2, 3, 4, 5] and tr.step == 5
    assert all(np.isfinite(loss) and g >= 0 for _, loss, g in seen)
    assert tr.test["step"][-1] == 5  # the stopped model is evaluated too


def test_clipping_bounds_the_applied_update_not_the_reported_norm():
    cfg = TrainConfig(cell="GRU", steps=1, clip=1e-6, **{**TINY, "lr": 1.0})
    tr = Trainer(cfg)
    before = [p.detach().clone() for p in tr.params]
    _, gnorm = tr.train_step()
    assert gnorm > 1e-3  # the norm before clipping is what we report
    moved = max(float((p.detach() - q).abs().max()) for p, q in zip(tr.params, before, strict=True))
    assert moved <= 1.0 + 1e-6  # Adam's step is ~lr per coordinate whatever the gradient scale


def test_training_in_lockstep_is_the_same_as_training_alone():
    cfgs = [TrainConfig(cell=c, steps=12, **TINY) for c in ("RNN", "GRU")]
    together = train_together(cfgs, steps=7)
    together = train_together(cfgs, steps=100, trainers=together)  # resumable; stops at cfg.steps
    alone = train(cfgs[1])
    assert together[1].history["loss"] == alone.history["loss"]
    assert together[0].step == together[1].step == 12


def test_copy_task_and_delayed_recall_train_with_their_own_losses():
    copy_tr = train(TrainConfig(task="copy", task_params={"n_symbols": 3, "length": 2, "delay": 3}, cell="GRU",
                                steps=20, hidden_size=8, batch_size=16, eval_every=10, test_n=32))
    assert copy_tr.output_size == 4 and copy_tr.loss_kind == "ce_seq" and copy_tr.test["loss"][-1] < copy_tr.test["loss"][0]
    rec = train(TrainConfig(task="delayed_recall", task_params={"T": 10, "delay": 2}, cell="LSTM", steps=20, **{
        k: v for k, v in TINY.items() if k not in ("task", "task_params")}))
    assert rec.loss_kind == "mse_seq" and np.isfinite(rec.test["loss"][-1])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"steps": 10**6}, r"training steps must be in \[1, 5000\]"),
        ({"cell": "Transformer"}, "cell must be one of"),
        ({"task": "sorting"}, "task must be one of"),
        ({"lr": float("nan")}, "learning rate"),
        ({"clip": -1.0}, "clip"),
        ({"task_params": {"T": 1}}, "T >= 2"),
        ({"task_params": {"length": 3}}, "bad parameters"),
    ],
)
def test_bad_settings_raise_a_clear_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**{**TINY, **kwargs})


# ----------------------------------------------------------------------------
# trained weights in the NumPy core: exactly torch's computation


@pytest.mark.parametrize("cell", ["RNN", "GRU", "LSTM"])
def test_numpy_trace_of_the_trained_model_equals_torch(cell):
    tr = train(TrainConfig(cell=cell, steps=20, **TINY))
    model, readout, entry = tr.to_numpy()
    assert entry["cell"] == cell and entry["steps"] == 20 and entry["source"] == "trained"
    x = ck.example_input(entry, seed=5)[0]  # (T, 2)
    trace = model.run(x)
    ref = copy.deepcopy(tr.rnn).double()
    head = copy.deepcopy(tr.head).double()
    with torch.no_grad():
        out, state = ref(torch.from_numpy(x)[None])  # (1, T, H)
        y = head(out)[0].numpy()  # (T, 1)
    assert np.abs(trace.h - out[0].numpy()).max() <= 1e-10
    assert np.abs(readout(trace.h) - y).max() <= 1e-10
    if cell == "LSTM":
        assert np.abs(trace.c[-1] - state[1][0, 0].numpy()).max() <= 1e-10
    # the weights are the trained ones, not a fresh init
    assert not np.allclose(model.weight_hh, Trainer(tr.cfg).rnn.weight_hh_l0.detach().double().numpy())


def test_numpy_evaluation_agrees_with_torchs_test_loss():
    tr = train(TrainConfig(cell="GRU", steps=20, **TINY))
    assert ck.evaluate(tr.to_numpy(), n=64, seed=77) == pytest.approx(tr.evaluate(n=64, seed=77), rel=1e-5)


def test_make_checkpoints_writes_files_that_load_with_the_stated_loss(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "CHECKPOINT_SPECS", {"tiny_gru": TrainConfig(cell="GRU", steps=10, **TINY)})
    monkeypatch.setattr(training, "CHECKPOINT_TEST", {"test_n": 50, "test_seed": 31})
    training.main(["make-checkpoints", "--out", str(tmp_path)])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (entry,) = manifest["checkpoints"]
    assert entry["reproduce"] == "python -m gru_viz.training make-checkpoints --only tiny_gru"
    assert entry["steps"] == 10 and entry["seed"] == 0 and entry["baseline"] == pytest.approx(1 / 6)
    assert "| tiny_gru | GRU | adding problem (T=8) | 6 | 10 |" in training.checkpoint_table(manifest["checkpoints"])
    loaded = ck.load_checkpoint("tiny_gru", tmp_path)
    assert ck.evaluate(loaded, n=50, seed=31) == pytest.approx(entry["test_loss"], rel=1e-4)


# ----------------------------------------------------------------------------
# the Training Lab's figure


def test_smooth_averages_into_at_most_max_points_bins():
    from gru_viz.figures_training import smooth

    s, v = smooth(np.arange(1, 1001), np.arange(1000.0), max_points=100)
    assert len(s) == 100 and v[0] == pytest.approx(4.5) and s[-1] == pytest.approx(995.5)
    s, v = smooth(np.arange(1, 11), np.ones(10), max_points=3)  # 4 per bin, 2 left over
    assert len(s) == 3 and np.all(v == 1)


def test_loss_figure_has_log_axes_one_curve_pair_per_cell_and_the_baseline():
    from gru_viz.figures_training import loss_figure

    curves = [{"cell": c, "train_step": [1, 2, 3], "train_loss": [0.3, 0.2, 0.1], "test_step": [0, 3], "test_loss": [0.3, 0.05]}
              for c in ("RNN", "GRU")]
    fig = loss_figure(curves, baseline=1 / 6, loss="mse_last", task="adding", steps=10)
    assert fig.layout.yaxis.type == "log" and tuple(fig.layout.xaxis.range) == (0, 10)
    assert [t.name for t in fig.data if t.showlegend is not False] == ["RNN", "GRU"]
    assert fig.layout.shapes[0].y0 == pytest.approx(1 / 6)
    assert "0.167" in fig.layout.annotations[0].text


def test_the_baseline_label_sits_on_its_line_on_the_log_axis():
    from gru_viz.figures_training import loss_figure

    curves = [{"cell": "GRU", "train_step": [1, 2], "train_loss": [0.3, 0.01], "test_step": [0, 2], "test_loss": [0.3, 0.01]}]
    for baseline in (1 / 6, 1 / 3, 1.2):
        fig = loss_figure(curves, baseline=baseline, steps=2)
        label = fig.layout.annotations[0]
        assert label.yref == "y" and label.yanchor == "bottom"  # just above the dashed line
        assert label.y == pytest.approx(np.log10(baseline))  # a log axis places annotations in log10 units
        lo, hi = fig.layout.yaxis.range
        assert lo < label.y < hi
        assert label.xref == "x domain" and (label.x, label.xanchor) == (1, "right")  # inside the plot, at its right end


def test_a_loss_that_stays_within_one_decade_still_gets_numbers_on_its_axis():
    """A delayed-recall run between 0.21 and 0.79 had no decade tick inside its range: no numbers at all."""
    from gru_viz.figures_training import loss_figure

    curves = [{"cell": "GRU", "train_step": [1, 2], "train_loss": [0.7, 0.3], "test_step": [0, 2], "test_loss": [0.79, 0.21]}]
    fig = loss_figure(curves, baseline=1 / 3, loss="mse_seq", task="delayed_recall", steps=2)
    lo, hi = fig.layout.yaxis.range
    inside = [t for t in fig.layout.yaxis.tickvals if lo <= np.log10(t) <= hi]
    assert len(inside) >= 3 and list(fig.layout.yaxis.ticktext) == [f"{t:g}" for t in fig.layout.yaxis.tickvals]
    wide = loss_figure([{**curves[0], "test_loss": [0.79, 1e-4]}], baseline=1 / 3, steps=2)
    assert all(np.log10(t) == round(np.log10(t)) for t in wide.layout.yaxis.tickvals)  # many decades: one tick each


def test_loss_figure_survives_exploding_losses():
    from gru_viz.figures_training import loss_figure

    curves = [{"cell": "RNN", "train_step": [1, 2], "train_loss": [np.inf, np.nan], "test_step": [0, 2],
               "test_loss": [0.2, np.nan]}]
    fig = loss_figure(curves, baseline=0.26, loss="ce_seq", task="copy")
    assert fig.layout.yaxis.type == "log" and len(fig.data) == 2


# ----------------------------------------------------------------------------
# TrainingRun: found again by its id, stopped when nobody wants it any more


def _run_config(steps: int) -> list[TrainConfig]:
    return [TrainConfig(cell="GRU", steps=steps, seed=0, **TINY)]


def test_a_run_nobody_wants_any_more_stops_and_frees_its_slot(monkeypatch):
    monkeypatch.setattr(training, "ORPHAN_GRACE_S", 0.5)
    wanted = [True]
    run = training.TrainingRun(_run_config(5000), still_wanted=lambda: wanted[0]).start()
    assert training.find_run(run.id) is run
    deadline = time.time() + 60
    while run.step < 3 and time.time() < deadline:  # training, and wanted: it goes on
        time.sleep(0.05)
    assert run.active and not run.abandoned
    wanted[0] = False  # its tab was closed
    run.join(30)
    assert run.status == "stopped" and run.abandoned and 3 <= run.step < 5000
    for _ in range(training.MAX_CONCURRENT_RUNS):  # every slot is free again
        assert training._SLOTS.acquire(timeout=5)
    for _ in range(training.MAX_CONCURRENT_RUNS):
        training._SLOTS.release()


def test_a_wanted_run_trains_to_the_end_and_tells_runs_apart_by_their_titles():
    runs = [training.TrainingRun([TrainConfig(cell="GRU", steps=4, seed=0, **{**TINY, "lr": lr})], still_wanted=lambda: True)
            for lr in (1e-2, 1e-3)]
    for run in runs:
        run.start().join(60)
        assert run.status == "done" and not run.abandoned
    titles = [next(iter(run.results(label=f" · run {k}").values())).entry["title"] for k, run in enumerate(runs, 1)]
    assert titles[0] != titles[1] and "lr 0.01" in titles[0] and "lr 0.001" in titles[1] and "H=6" in titles[0]
    assert titles[1].endswith("run 2")


# ----------------------------------------------------------------------------
# the library entry point and the CLI (review 27, #4, #25)


def test_train_runs_torch_on_one_thread_and_restores_the_previous_count():
    seen = []
    torch.set_num_threads(2)
    train(TrainConfig(cell="GRU", steps=2, **TINY), callback=lambda step, loss, g: seen.append(torch.get_num_threads()))
    assert seen == [1, 1] and torch.get_num_threads() == 2


def test_train_with_threads_none_leaves_torch_as_it_is():
    seen = []
    torch.set_num_threads(2)
    train(TrainConfig(cell="GRU", steps=1, **TINY), callback=lambda step, loss, g: seen.append(torch.get_num_threads()),
          threads=None)
    assert seen == [2]


def test_make_checkpoints_help_explains_every_option_and_its_default(capsys):
    with pytest.raises(SystemExit) as exit_:
        training.main(["make-checkpoints", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines to the terminal's width
    assert exit_.value.code == 0
    assert "--out DIR" in out and "(default: checkpoints)" in out and "--threads N" in out and "(default: 1)" in out
    assert "train only these checkpoints (default: all of" in out


def test_the_checkpoints_example_in_docs_training_md_runs_and_unpacks_x_and_y():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "training.md").read_text()
    (block,) = [b.split("\n", 1)[1] for b in text.split("```python")[1:] if "example_input" in b.split("```")[0]]
    code = block.split("```")[0]
    namespace = {}
    exec(code, namespace)  # the docs' own lines: load a shipped checkpoint, x, y = example_input, model.run(x)
    assert namespace["x"].shape == (100, 2) and namespace["trace"].h.shape == (100, 32)
    assert "`example_input(entry, seed) -> (x, y)`" in text
