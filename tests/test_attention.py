"""The attention encoder-decoder: NumPy = torch, shapes, softmax rows, the shipped checkpoint, bad input."""

import json

import numpy as np
import pytest
import torch

from gru_viz import attention_training as at
from gru_viz import figures_attention
from gru_viz.attention import (
    Seq2Seq,
    accuracy,
    encode,
    load_manifest,
    load_shipped,
    mirror_weight,
    random_tokens,
    reversal_batch,
)

MANIFEST = load_manifest()
FRESH_SEED = 777  # neither the training stream nor the manifest's test strings


@pytest.fixture(scope="module")
def shipped():
    return {a: load_shipped(a) for a in (True, False)}


def _torch_forward(model, x, y):
    """Teacher-forced torch float64 forward of ``model``'s weights: logits (B, U, V), alpha (B, U, T), enc (B, T, 2H)."""
    module = at.to_torch(model)
    V = model.n_symbols
    y_in = np.concatenate([np.full((len(x), 1), V), y[:, :-1]], 1)  # BOS, then the previous targets
    with torch.no_grad():
        logits, alpha = module(torch.from_numpy(x), torch.from_numpy(y_in))
        enc, _, _ = module.encode(torch.from_numpy(x))
    return logits.numpy(), None if alpha is None else alpha.numpy(), enc.numpy()


@pytest.mark.parametrize("use_attention", [True, False])
def test_numpy_forward_matches_torch_float64(use_attention):
    model = Seq2Seq(hidden_size=12, attention_size=7, attention=use_attention, seed=3)
    x, y = reversal_batch(3, 9, seed=1)
    logits, alpha, enc = _torch_forward(model, x, y)
    for b in range(3):
        tr = model.run(x[b], teacher=y[b])
        assert np.abs(tr.logits - logits[b]).max() <= 1e-10
        assert np.abs(tr.annotations - enc[b]).max() <= 1e-10  # both encoder directions
        if use_attention:
            assert np.abs(tr.attention - alpha[b]).max() <= 1e-10


@pytest.mark.parametrize("use_attention", [True, False])
def test_shipped_checkpoint_numpy_forward_matches_torch(shipped, use_attention):
    model = shipped[use_attention]
    x, y = reversal_batch(2, 15, seed=FRESH_SEED)
    logits, alpha, _ = _torch_forward(model, x, y)
    for b in range(2):
        tr = model.run(x[b], teacher=y[b])
        assert np.abs(tr.logits - logits[b]).max() <= 1e-10
        if use_attention:
            assert np.abs(tr.attention - alpha[b]).max() <= 1e-10


def test_greedy_decoding_matches_torch(shipped):
    model = shipped[True]
    x, _ = reversal_batch(8, 25, seed=FRESH_SEED)
    pred = at.to_torch(model).greedy(torch.from_numpy(x), 25).numpy()
    assert np.array_equal(np.stack([model.run(xi).output for xi in x]), pred)


def test_torch_to_numpy_round_trip_is_exact():
    model = Seq2Seq(hidden_size=6, attention_size=5, seed=2)
    back = at.to_numpy(at.to_torch(model), model.symbols)
    for k, v in model.state_dict().items():
        assert np.array_equal(back.state_dict()[k], v), k


def test_trace_shapes():
    model = Seq2Seq(hidden_size=10, attention_size=6, seed=0)
    tr = model.run(random_tokens(7, seed=0), n_steps=5)
    V, H = model.n_symbols, 10
    assert tr.attention.shape == (5, 7)
    assert tr.encoder.gates["update"].shape == (7, H)
    assert tr.decoder.h.shape == (5, H) and tr.decoder.gates["reset"].shape == (5, H)
    assert tr.logits.shape == tr.probs.shape == (5, V)
    assert tr.output.shape == tr.decoder_inputs.shape == (5,)
    assert tr.decoder_inputs[0] == model.bos


def test_attention_rows_sum_to_one(shipped):
    alpha = shipped[True].run(random_tokens(30, seed=4)).attention  # (30, 30)
    assert np.allclose(alpha.sum(axis=1), 1.0, atol=1e-12)
    assert (alpha >= 0).all()


def test_model_without_attention_records_no_weights(shipped):
    tr = shipped[False].run("abc")
    assert tr.attention is None and tr.output.shape == (3,)
    with pytest.raises(ValueError, match="no attention"):
        figures_attention.alignment_figure(tr, shipped[False].symbols)


def test_save_load_round_trip_float64(tmp_path):
    model = Seq2Seq(hidden_size=5, attention_size=4, seed=1)
    model.save(tmp_path / "m.npz", dtype=np.float64)
    back = Seq2Seq.load(tmp_path / "m.npz")
    assert np.array_equal(back.run("abcba").logits, model.run("abcba").logits)


@pytest.mark.parametrize("length", [10, 20])
def test_shipped_checkpoint_meets_stated_accuracy_on_fresh_strings(shipped, length):
    """NumPy forward on 150 fresh strings: within 5 points of the manifest's (500-string) figure."""
    x, y = reversal_batch(150, length, seed=[FRESH_SEED, length])
    stated = MANIFEST["models"]["with_attention"]["accuracy"][str(length)]["symbol"]
    assert accuracy(shipped[True], x, y)["symbol"] >= stated - 0.05


def test_attention_beats_no_attention_at_length_20(shipped):
    x, y = reversal_batch(100, 20, seed=[FRESH_SEED, 20])
    with_att, without = accuracy(shipped[True], x, y)["symbol"], accuracy(shipped[False], x, y)["symbol"]
    assert with_att >= 0.95
    assert with_att - without >= 0.3


def test_manifest_accuracy_reproduces_exactly(shipped):
    row = MANIFEST["models"]["without_attention"]["accuracy"]["10"]
    assert at.evaluate(shipped[False], [10], MANIFEST["config"]["eval_n"], MANIFEST["config"]["eval_seed"])["10"] == row


def test_shipped_alignment_is_a_clean_anti_diagonal(shipped):
    weights = [mirror_weight(shipped[True].run(random_tokens(12, seed=s)).attention) for s in range(5)]
    assert np.mean(weights) >= 0.8


def test_mirror_weight_of_a_perfect_anti_diagonal_is_one():
    assert mirror_weight(np.fliplr(np.eye(6))) == 1.0
    assert mirror_weight(np.eye(6)) == 0.0


@pytest.mark.parametrize(
    "text, message",
    [("abz", "unknown symbol"), ("", "empty"), ("   ", "empty"), ("a" * 41, r"\[1, 40\]"), (None, "string")],
)
def test_bad_text_raises_a_clear_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        encode(text)


def test_bad_tokens_and_teacher_raise_value_errors():
    model = Seq2Seq(hidden_size=4, attention_size=3)
    with pytest.raises(ValueError, match="whole numbers"):
        model.run([0, 8])
    with pytest.raises(ValueError, match="1-D"):
        model.run([[0, 1]])
    with pytest.raises(ValueError, match="n_steps"):
        model.run([0, 1], teacher=[1, 0], n_steps=3)
    with pytest.raises(ValueError, match="sequence length"):
        model.run([0, 1], n_steps=0)


def test_missing_or_malformed_checkpoint_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint"):
        Seq2Seq.load(tmp_path / "nope.npz")
    np.savez(tmp_path / "bad.npz", W_o=np.zeros(3))
    with pytest.raises(ValueError, match="not an attention checkpoint"):
        Seq2Seq.load(tmp_path / "bad.npz")
    d = Seq2Seq(hidden_size=4, attention_size=3).state_dict()
    d["W_a"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match="W_a has shape"):
        Seq2Seq.from_state_dict(d)


def test_training_command_writes_checkpoints_and_manifest(tmp_path):
    manifest = at.main(["--out", str(tmp_path), "--steps", "3", "--hidden", "6", "--max-len", "4", "--eval-n", "4",
                        "--lengths", "3", "6"])
    assert set(manifest["models"]) == {"with_attention", "without_attention"}
    assert json.loads((tmp_path / "manifest.json").read_text()) == json.loads(json.dumps(manifest))
    model = Seq2Seq.load(tmp_path / "with_attention.npz")
    assert model.hidden_size == 6 and model.attention
    assert set(manifest["models"]["without_attention"]["accuracy"]) == {"3", "6"}
    assert manifest["config"]["steps"] == 3 and manifest["models"]["with_attention"]["sha256"]


def test_page_figure_draws_the_attention_weights_and_both_gate_directions(shipped):
    tr = shipped[True].run("abcdefg")
    fig = figures_attention.alignment_with_gates_figure(tr, shipped[True].symbols, tr.tokens[::-1], gate="reset")
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 3
    assert np.allclose(heat[0].z, tr.attention, atol=1e-6)  # (U, T) sent as float32
    assert np.allclose(heat[2].z, tr.backward("reset").T, atol=1e-6)  # (H, T): units as rows, input order
    with pytest.raises(ValueError, match="gate must be"):
        figures_attention.alignment_with_gates_figure(tr, shipped[True].symbols, gate="candidate")


def test_shipped_checkpoint_with_a_changed_byte_is_refused(tmp_path):
    import shutil

    for name in ("manifest.json", "with_attention.npz"):
        shutil.copy(at.CHECKPOINT_DIR / name, tmp_path / name)
    data = bytearray((tmp_path / "with_attention.npz").read_bytes())
    data[-30] ^= 0xFF
    (tmp_path / "with_attention.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        load_shipped(True, tmp_path)


def test_manifest_states_sizes_steps_seed_and_a_clear_gain_from_attention():
    cfg, models = MANIFEST["config"], MANIFEST["models"]
    assert cfg["steps"] > 0 and isinstance(cfg["seed"], int) and cfg["hidden_size"] > 0
    for m in models.values():
        assert (at.CHECKPOINT_DIR / m["file"]).stat().st_size == m["bytes"]
    w, wo = models["with_attention"]["accuracy"], models["without_attention"]["accuracy"]
    assert [int(L) for L in w] == sorted(int(L) for L in w)
    assert w[str(cfg["max_len"])]["symbol"] > wo[str(cfg["max_len"])]["symbol"] + 0.3


@pytest.mark.parametrize("length", [1, 12, 20, 21, 30, 40])
def test_accuracy_figures_shown_length_label_stays_inside_and_clear_of_the_other_labels(length):
    fig = figures_attention.accuracy_figure(MANIFEST, "symbol", length=length)
    notes = {a.text: a for a in fig.layout.annotations}
    label = notes.pop("shown above")
    x_lo, x_hi = fig.layout.xaxis.range
    width = 10  # x units: far more than the label takes on any plot the page draws (~5 at 700 px for 41 units)
    start = label.x if label.xanchor == "left" else label.x - width
    assert x_lo <= start and start + width <= x_hi  # never past the plot's edge (length 40 used to overflow it)
    assert (label.y, label.yanchor) == (0, "bottom")  # at the foot of its line
    chance = notes.pop("chance")  # left end, above its line: clear of the foot of the line and of the right-hand note
    assert (chance.x, chance.xanchor, chance.yanchor) == (0, "left", "bottom") and chance.y > 0.1
    (beyond,) = notes.values()  # "longer than any training string", at the top right
    assert (beyond.y, beyond.yanchor) == (1, "top")


def test_the_help_option_explains_every_option_with_its_default_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exit_:
        at.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines to the terminal's width
    assert exit_.value.code == 0 and out.startswith("usage: python -m gru_viz.attention_training")
    for option, default in [("--steps", at.Config.steps), ("--hidden", at.Config.hidden_size),
                            ("--max-len", at.Config.max_len), ("--seed", at.Config.seed), ("--eval-n", at.Config.eval_n)]:
        assert option in out and f"(default: {default})" in out
