"""Character models on real text: corpus, checkpoints, parity with torch, unit finding, figures."""

import json
from pathlib import Path

import numpy as np
import plotly.colors
import pytest

import gru_viz as gv
from gru_viz import corpus, interpret, limits, text_models
from gru_viz import figures_text as ft
from gru_viz.text_training import NGram

KINDS = ("GRU", "LSTM")


@pytest.fixture(scope="module")
def models():
    return {k: text_models.load_shipped(k) for k in KINDS}


@pytest.fixture(scope="module")
def held_out_runs(models):
    text = text_models.held_out_text()
    return {k: m.read(text) for k, m in models.items()}


# ----------------------------------------------------------------------------
# corpus and vocabulary


def test_vocabulary_has_unknown_symbol_first_then_newline_and_printable_ascii():
    assert corpus.VOCAB[0] == corpus.UNK and corpus.VOCAB[1] == "\n"
    assert corpus.V == 97 and len(set(corpus.VOCAB)) == corpus.V


def test_any_unicode_maps_to_unknown_and_is_flagged():
    ids, unknown = corpus.encode("a\té😀\ufffdz")
    assert ids.tolist() == [corpus.VOCAB.index("a"), 0, 0, 0, 0, corpus.VOCAB.index("z")]
    assert unknown.tolist() == [False, True, True, True, True, False]


def test_windows_line_endings_become_newlines():
    assert corpus.normalise("a\r\nb\rc") == "a\nb\nc"


def test_corpus_splits_by_file_deterministically():
    a, b = corpus.load(), corpus.load()
    names = [{n for n, _ in getattr(a, s)} for s in ("train", "val", "test")]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert a.test_excerpt() == b.test_excerpt() and len(a.val) > 0 and len(a.test) > 0


def test_zen_of_python_is_decoded_from_rot13():
    assert corpus.zen_of_python().startswith("The Zen of Python, by Tim Peters")


# ----------------------------------------------------------------------------
# checkpoints


def test_manifest_records_what_the_issue_asks_for():
    m = text_models.manifest()
    assert m["vocab"] == corpus.VOCAB and m["unknown_symbol"] == corpus.UNK
    for kind in KINDS:
        e = m["models"][kind]
        assert e["hidden_size"] == 128 and e["steps_done_total"] >= 1
        assert e["threads"] <= 2 and e["wall_time_s_total"] <= 15 * 60  # the budget: 15 minutes on 2 cores
        assert {"seed", "test_bpc", "val_bpc", "n_params"} <= set(e)
    assert {"unigram", "ngram"} <= set(m["baselines"])


@pytest.mark.parametrize("kind", KINDS)
def test_checkpoint_meets_its_stated_held_out_bpc_and_beats_both_baselines(kind, held_out_runs):
    m = text_models.manifest()
    bpc = float(held_out_runs[kind].bits().mean())
    assert bpc == pytest.approx(m["models"][kind]["test_bpc"], abs=1e-9)
    assert bpc < m["baselines"]["ngram"]["test_bpc"]
    assert bpc < m["baselines"]["unigram"]["test_bpc"]


def test_stored_test_split_is_the_text_the_manifest_was_scored_on():
    m = text_models.manifest()
    text = text_models.held_out_text()
    assert len(text) == m["corpus"]["test_chars"]
    pieces = m["corpus"]["test_pieces"]
    assert [p["file"] for p in pieces] == m["corpus"]["test_files"]
    assert pieces[-1]["end"] == len(text)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_model_matches_torch_float64_on_the_trained_weights(kind, models):
    torch = pytest.importorskip("torch")
    model = models[kind]
    ids, _ = corpus.encode(text_models.held_out_text()[:400])
    rnn = model.cell.to_torch()  # float64, the stored weights
    head = torch.nn.Linear(model.hidden_size, corpus.V, dtype=torch.float64)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(model.readout_weight))
        head.bias.copy_(torch.from_numpy(model.readout_bias))
        out, _ = rnn(torch.from_numpy(corpus.one_hot(ids))[:, None])  # (T, 1, V) -> (T, 1, H), not batch-first
        logp = torch.log_softmax(head(out[:, 0]), dim=-1).numpy()  # (T, V)
    run = model.read(corpus.decode(ids))
    assert np.abs(run.trace.h - out[:, 0].numpy()).max() <= 1e-10
    assert np.abs(run.logp - logp).max() <= 1e-10


def test_long_text_is_read_in_chunks_with_the_state_carried(models, monkeypatch):
    model = models["LSTM"]
    ids, _ = corpus.encode(text_models.held_out_text()[:250])
    whole = model.trace(ids)
    monkeypatch.setattr(limits, "SEQ_LEN", limits.Bound("sequence length T", 1, 100))
    chunked = model.trace(ids)  # three chunks of at most 100
    assert chunked.h.shape == whole.h.shape
    assert np.abs(chunked.h - whole.h).max() <= 1e-12
    assert np.abs(chunked.gates["forget"] - whole.gates["forget"]).max() <= 1e-12


def test_load_shipped_accepts_the_kind_in_any_case(models):
    for kind in ("gru", "Lstm"):
        assert text_models.load_shipped(kind).kind == kind.upper()


def test_the_jacobians_of_a_long_text_read_in_chunks_equal_those_of_one_run(models, monkeypatch):
    model = models["GRU"]
    ids, _ = corpus.encode(text_models.held_out_text()[:250])
    whole = model.trace(ids)
    monkeypatch.setattr(limits, "SEQ_LEN", limits.Bound("sequence length T", 1, 100))
    chunked = model.trace(ids)  # three chunks of at most 100, glued into one Trace
    assert np.abs(gv.jacobians(model.cell, chunked) - gv.jacobians(model.cell, whole)).max() <= 1e-12

def test_checkpoint_with_a_wrong_shape_is_refused(models, tmp_path):
    path = tmp_path / "bad.npz"
    text_models.save(models["GRU"], path)
    with np.load(path) as f:
        data = dict(f)
    data["readout_bias"] = np.zeros(5, np.float32)
    np.savez(path, **data)
    with pytest.raises(ValueError, match="readout_bias"):
        text_models.load(path)


def test_checkpoint_holding_a_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weight_ih=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="cannot read"):
        text_models.load(path)


def test_save_then_load_round_trips_in_float64(models, tmp_path):
    path = tmp_path / "m.npz"
    text_models.save(models["GRU"], path, dtype=np.float64)
    back = text_models.load(path)
    assert np.array_equal(back.cell.weight_hh, models["GRU"].cell.weight_hh)
    assert np.array_equal(back.readout_weight, models["GRU"].readout_weight)


def test_empty_text_is_a_clear_error(models):
    with pytest.raises(ValueError, match="empty"):
        models["GRU"].read("")


# ----------------------------------------------------------------------------
# baselines


def test_ngram_probabilities_sum_to_one_over_the_vocabulary():
    m = NGram("abracadabra\n" * 3, order=3, k=0.1)
    total = sum(2 ** -m.bits("ab" + ch)[-1] for ch in corpus.VOCAB)
    assert total == pytest.approx(1.0, abs=1e-12)


def test_ngram_prefers_what_it_has_seen():
    m = NGram("abcabcabc", order=3, k=0.01)
    assert m.bits("abc")[-1] < m.bits("abx")[-1]


# ----------------------------------------------------------------------------
# interpretation


def test_patterns_mark_strings_comments_and_brackets():
    text = 'x = f("a(b", [1])  # c(\ny = 2\n'
    p, method = interpret.patterns(text)
    assert method == "tokenize"
    assert "".join(text[i] for i in np.flatnonzero(p["string"])) == '"a(b"'
    assert "".join(text[i] for i in np.flatnonzero(p["comment"])) == "# c("
    assert p["depth"][text.index("[")] == 2 and p["depth"][text.index("y")] == 0
    assert p["column"][text.index("y")] == 0 and p["indent"].max() == 0


def test_patterns_survive_broken_code():
    text = "s = '''never closed\n  foo(  'x\n"
    p, method = interpret.patterns(text)
    assert method == "scanner"
    assert p["string"][text.index("never")] == 1 and p["indent"][text.index("foo")] == 2


def test_ranking_finds_a_planted_unit_for_a_yes_no_pattern():
    rng = np.random.default_rng(0)
    T, H = 600, 40
    label = (rng.random(T) < 0.3).astype(float)  # (T,)
    acts = rng.normal(size=(T, H))  # (T, H) noise
    acts[:, 17] -= 1.5 * label  # unit 17 drops inside the pattern
    best = interpret.rank_units(acts, label)[0]
    assert best["unit"] == 17 and best["sign"] == -1 and best["auc"] < 0.2


def test_ranking_finds_a_planted_unit_for_a_graded_pattern():
    rng = np.random.default_rng(1)
    T, H = 500, 30
    depth = rng.integers(0, 4, T).astype(float)
    acts = rng.normal(size=(T, H))
    acts[:, 4] += 0.8 * depth
    best = interpret.rank_units(acts, depth, binary=False)[0]
    assert best["unit"] == 4 and best["auc"] is None and best["corr"] > 0.5


def test_auc_equals_the_pairwise_definition_with_ties():
    v = np.array([[0.1], [0.4], [0.4], [0.9], [0.2]])
    y = np.array([0, 1, 0, 1, 0])
    pos, neg = v[y == 1, 0], v[y == 0, 0]
    pairs = np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    assert interpret.auc(v, y)[0] == pytest.approx(pairs)


def test_constant_pattern_is_a_clear_error():
    with pytest.raises(ValueError, match="everywhere or nowhere"):
        interpret.rank_units(np.ones((5, 2)), np.zeros(5))


def test_saturation_counts_time_below_and_above_the_thresholds():
    g = np.array([[0.05, 0.5], [0.95, 0.5], [0.02, 0.91], [0.5, 0.99]])  # (T=4, H=2)
    lo, hi = interpret.saturation(g)
    assert lo.tolist() == [0.5, 0.0] and hi.tolist() == [0.25, 0.5]


def test_gallery_scores_are_reproduced_on_the_held_out_text(held_out_runs):
    gallery = json.loads((text_models.CHECKPOINT_DIR / "gallery.json").read_text())
    labels = interpret.patterns_of_pieces(text_models.held_out_text(), [tuple(p) for p in gallery["pieces"]])
    for kind in KINDS:
        e = gallery["models"][kind]["patterns"]["string"][0]
        values = interpret.signals(held_out_runs[kind].trace)[e["signal"]]
        again = interpret.rank_units(values, labels["string"])
        assert again[0]["unit"] == e["unit"] and again[0]["score"] == pytest.approx(e["score"], abs=1e-12)


def test_gallery_records_the_units_a_newcomer_finds_on_the_pages_sample(models):
    gallery = json.loads((text_models.CHECKPOINT_DIR / "gallery.json").read_text())
    assert gallery["snippet"]["text"] == interpret.SNIPPET
    labels, _ = interpret.patterns(interpret.SNIPPET)
    for kind in KINDS:
        for pattern in ("string", "literal"):
            e = gallery["snippet"]["models"][kind][pattern][0]
            values = interpret.signals(models[kind].read(interpret.SNIPPET).trace)[e["signal"]]
            again = interpret.rank_units(values, labels[pattern])[0]
            assert (again["unit"], again["sign"]) == (e["unit"], e["sign"]) and again["score"] == pytest.approx(e["score"])


def test_literal_pattern_leaves_docstrings_and_comments_unscored():
    text = 'def f():\n    """Doc."""\n    return "x"  # note\n'
    lit = interpret.patterns(text)[0]["literal"]
    assert "".join(ch for ch, v in zip(text, lit, strict=True) if v == 1) == '"x"'
    assert "".join(ch for ch, v in zip(text, lit, strict=True) if np.isnan(v)) == '"""Doc."""# note'
    rng = np.random.default_rng(2)
    acts = rng.normal(size=(len(text), 3))
    kept = ~np.isnan(lit)
    assert interpret.rank_units(acts, lit)[0]["auc"] in interpret.auc(acts[kept], lit[kept])  # NaN rows left out


# ----------------------------------------------------------------------------
# figures


def test_colouring_equals_the_trace_values(models):
    text = 'def f(x):\n    return "hi" + x\n'
    run = models["GRU"].read(text)
    values = run.trace.gates["update"][:, 7]  # (T,)
    shown = ft.text_payload(text, values, "update", label="update[7]")
    assert shown["chars"] == text.replace("\n", "↵")  # one character each, in order
    # each background is the Viridis colour of that character's value, as a Plotly heatmap would draw it
    expected = plotly.colors.sample_colorscale("Viridis", list(values), colortype="tuple")
    assert shown["bg"] == ["#" + "".join(f"{round(255 * c):02x}" for c in rgb) for rgb in expected]
    assert [float(t.split(" = ")[1]) for t in shown["tips"]] == [round(v, 4) for v in values]


def test_colour_scales_are_fixed_and_centred():
    assert ft.signal_range("update", np.array([0.4, 0.6])) == (0.0, 1.0)
    assert ft.signal_range("h", np.array([0.1])) == (-1.0, 1.0)
    assert ft.signal_range("c", np.array([-3.0, 1.0])) == (-3.0, 3.0)
    rgb = ft.colours(np.array([-1.0, 0.0, 1.0, 5.0, np.nan]), ft.signal_scale("h"), -1.0, 1.0)
    ends = plotly.colors.sample_colorscale("RdBu_r", [0.0, 0.5, 1.0], colortype="tuple")
    assert np.allclose(rgb[:3], np.array(ends) * 255) and np.array_equal(rgb[3], rgb[2])  # clipped at the top
    assert np.isnan(rgb[4]).all()  # a non-finite value gets no colour


def test_user_text_reaches_the_page_as_data_never_as_html():
    text = '<b>x</b>&"\'\n<script>alert(1)</script>é'
    shown = ft.text_payload(text, np.zeros(len(text)), "h", notes=ft.position_notes(text))
    assert shown["chars"] == text.replace("\n", "↵").replace("é", corpus.UNK)  # as typed, not escaped
    assert shown["tips"][0].endswith("<   char 0, line 1")  # the hover text too: it is set with textContent
    component = (Path(ft.__file__).parent / "components" / "coloured_text" / "index.html").read_text()
    script = component[component.index("<script>") :]
    assert "textContent" in script and "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_unknown_characters_are_outlined_and_the_pattern_underlined():
    text = "é = 'x'"
    unknown = np.array([ch not in corpus.VOCAB for ch in text])
    marked = interpret.patterns(text)[0]["string"] > 0.5
    shown = ft.text_payload(text, np.zeros(len(text)), "h", unknown=unknown, marked=marked)
    assert shown["chars"][0] == corpus.UNK and shown["unknown"] == "1000000"
    assert shown["marked"] == "".join("1" if m else "0" for m in marked)


def test_dark_backgrounds_get_white_text():
    shown = ft.text_payload("ab", np.array([0.0, 1.0]), "update")  # Viridis: dark purple at 0, yellow at 1
    assert shown["dark"] == "10"


def test_ranking_html_shows_strength_and_direction():
    ranked = [{"unit": 62, "signal": "c", "score": 0.84, "auc": 0.08, "corr": -0.5, "sign": -1},
              {"unit": 7, "signal": "c", "score": 0.40, "auc": 0.70, "corr": 0.2, "sign": 1}]
    doc = ft.ranking_html("LSTM", ranked, "inside <a> string", shown=7)
    assert "c[62]" in doc and "AUC 0.08, lower inside ↓" in doc and "AUC 0.70, higher inside ↑" in doc
    assert "&lt;a&gt;" in doc and "<a>" not in doc
    assert doc.index('class="sel"') > doc.index("c[62]")  # the shown unit (7, second row) is highlighted


def test_text_grid_puts_each_value_at_its_line_and_column():
    text = "ab\n'c'"
    values = np.arange(len(text), dtype=float) / 10  # (6,)
    inside = interpret.patterns(text)[0]["string"] > 0.5  # 'c' and its quotes
    fig = ft.text_grid_figure(text, values, "h", "title", "h[3]", marked=inside)
    heat, marks = fig.data
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (2, 3) and z[0, 0] == 0.0 and z[0, 2] == 0.2 and z[1, 1] == 0.4  # "b" at (0, 1), "c" at (1, 1)
    assert heat.text[1][1] == "c" and heat.text[0][2] == "↵" and (heat.zmin, heat.zmax) == (-1.0, 1.0)
    assert list(marks.x) == [int(c) for c in np.nonzero(inside)[0] - 3] and set(np.asarray(marks.y) - 0.42) == {1.0}
    assert "h[3] = +0.4000" in heat.customdata[1][1]


def test_lesson_text_unit_shows_the_best_ranked_unit_of_the_shipped_model(models):
    from gru_viz import figures_lessons

    fig = figures_lessons.text_unit_figure("lstm", "c", "string")
    run = models["LSTM"].read(interpret.SNIPPET)
    best = interpret.rank_units(run.trace.c, interpret.patterns(interpret.SNIPPET)[0]["string"], binary=True)[0]
    assert fig.layout.title.text.startswith(f"LSTM c[{best['unit']}], inside a string: AUC {best['auc']:.2f}")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z[0, 0] == run.trace.c[0, best["unit"]]  # the first character, coloured by that unit


def test_gallery_stores_the_saturation_the_page_would_compute(held_out_runs):
    """The text view draws the held-out saturation from gallery.json; it must be what the models give."""
    gallery = json.loads((text_models.CHECKPOINT_DIR / "gallery.json").read_text())
    for kind, run in held_out_runs.items():
        stored = gallery["models"][kind]["saturation_per_unit"]
        sigmoid_gates = [g for g in run.trace.gates if g not in ("candidate", "cell")]
        assert sorted(stored) == sorted(sigmoid_gates)
        for g in sigmoid_gates:
            lo, hi = interpret.saturation(run.trace.gates[g])
            assert stored[g]["left"] == lo.tolist() and stored[g]["right"] == hi.tolist()


def test_saturation_figure_keeps_its_text_short_enough_for_presentation_fonts():
    """At 1.45x fonts on a 1280 px screen, long axis titles overlapped between the panels and ran off the plot."""
    g = np.array([0.05, 0.5, 0.95])
    fig = ft.saturation_figure({k: {"update": (g, g[::-1])} for k in ("GRU", "LSTM")})
    titles = [fig.layout[a].title.text for a in ("xaxis", "xaxis2", "yaxis") if fig.layout[a].title.text]
    assert len(titles) == 3 and all(len(t) <= 25 for t in titles)
    assert all(len(line) <= 45 for line in fig.layout.title.text.split("<br>"))
