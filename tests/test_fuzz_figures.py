"""Fuzzing the figure builders: any input gives a Figure that serialises, or a ValueError; never another exception.

Every public builder of gru_viz.figures*, fed random shapes (within the
library limits), extreme weights, and traces whose entries are overwritten
with NaN, +-inf and huge numbers (1e300). On top of "it does not crash":

    * the figure serialises to strict JSON (``fig.to_json()``, no NaN/Infinity tokens);
    * where a builder promises to mark non-finite cells (the heatmaps, the step
      bars, the decay curves, the influence panels, the text view), a NaN/inf
      input cell is NaN/None in the figure, marked with a ✕ trace, and counted in
      the title; a finite input cell is never shown as NaN (or as infinite).
"""

import base64
import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gru_viz as gv
from gru_viz import (
    attention,
    dynamics,
    figures,
    figures_attention,
    figures_compare,
    figures_gradients,
    figures_lessons,
    figures_text,
    figures_training,
    lessons,
    limits,
)

FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                derandomize=True)
SMALL = settings(FUZZ, max_examples=6)
pytestmark = pytest.mark.timeout(180)

SPECIALS = [math.nan, math.inf, -math.inf, 1e300, -1e300, 5e-324, 0.0]
NONFINITE = [math.nan, math.inf, -math.inf]
WARN_WORDS = ("⚠", "NaN", "inf", "non-finite", "overflow", "exploded", "∞", "not finite")

# ----------------------------------------------------------------------------
# helpers


def _strict(token):
    raise AssertionError(f"figure JSON holds {token}: not valid JSON for the browser")


def serialised(fig) -> dict:
    """The figure as the browser receives it; fails on anything but a Figure that serialises to strict JSON."""
    assert isinstance(fig, go.Figure), f"expected a plotly Figure, got {type(fig).__name__}"
    d = json.loads(fig.to_json(), parse_constant=_strict)
    # figures carry a template trimmed to figures.TRACE_TYPES: a new kind of trace needs its defaults there
    drawn = {t.get("type", "scatter") for t in d["data"]}
    assert drawn <= set(figures.TRACE_TYPES), f"trace types {drawn - set(figures.TRACE_TYPES)} are not in figures.TRACE_TYPES"
    return d


def array(v) -> np.ndarray:
    """A data array of the serialised figure: Plotly's typed-array dict {dtype, bdata, shape} or a (nested) list."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if shape:
            a = a.reshape([int(s) for s in str(shape).split(",")])
        return a.astype(np.float64)
    return np.array(v, dtype=np.float64)  # None -> nan


def words(d: dict) -> str:
    """Everything a reader sees as text: title, annotations, trace names."""
    layout = d.get("layout", {})
    title = layout.get("title", {})
    parts = [title.get("text") or "" if isinstance(title, dict) else str(title)]
    parts += [a.get("text") or "" for a in layout.get("annotations", [])]
    parts += [t.get("name") or "" for t in d["data"]]
    return " ".join(parts)


def warns(d: dict) -> bool:
    return any(w in words(d) for w in WARN_WORDS)


def result_or_value_error(fn):
    """fn()'s result, or None if it raised a ValueError (which must say what is wrong)."""
    try:
        return fn()
    except ValueError as e:
        assert str(e).strip(), "a ValueError must say what is wrong"
        return None


def check_heatmap_panel(d: dict, values: np.ndarray, name: str, index: int = 0):
    """The index-th heatmap named ``name`` shows ``values`` (T, H) cell for cell: NaN exactly where
    the input is not finite, the finite cells unchanged (float32), and a ✕ trace over the bad cells."""
    heats = [t for t in d["data"] if t["type"] == "heatmap" and t.get("name") == name]
    z = array(heats[index]["z"])  # (H, T)
    v = np.asarray(values, dtype=np.float64).T  # (H, T)
    assert z.shape == v.shape
    bad = ~np.isfinite(v)
    assert np.array_equal(np.isnan(z), bad), f"{name}: NaN cells in the figure differ from the non-finite input cells"
    assert np.isfinite(z[~bad]).all(), f"{name}: a finite input cell is shown as infinite"
    np.testing.assert_allclose(z[~bad], v[~bad], rtol=1e-6, atol=1e-37)  # float32 rounding, or float64 when huge
    marks = [t for t in d["data"] if t.get("name") == f"{name} non-finite"]
    if bad.any():
        assert marks, f"{name}: non-finite cells are not marked"
        n = sum(len(array(m["x"])) for m in marks)
        assert n >= bad.sum() if len(heats) == 1 else n > 0
    else:
        assert not marks


# ----------------------------------------------------------------------------
# strategies

KINDS = {
    "rnn": lambda D, H, s: gv.VanillaRNN(D, H, seed=s),
    "relu": lambda D, H, s: gv.VanillaRNN(D, H, nonlinearity="relu", seed=s),
    "gru": lambda D, H, s: gv.GRU(D, H, seed=s),
    "cho": lambda D, H, s: gv.GRU(D, H, variant="cho2014", seed=s),
    "hard": lambda D, H, s: gv.GRU(D, H, gate_activation="hard_sigmoid", seed=s),
    "lstm": lambda D, H, s: gv.LSTM(D, H, seed=s),
}
GRU_KINDS = ("gru", "cho", "hard")


@st.composite
def traces(draw, kinds=tuple(KINDS), T=(1, 10), H=(1, 6)):
    """A real run of a random cell (weights up to 1e300: real explosions), then up to 5 entries of h, c or a gate
    overwritten with NaN / +-inf / +-1e300 / subnormal."""
    kind = draw(st.sampled_from(kinds))
    D, Hn, Tn = draw(st.integers(1, 3)), draw(st.integers(*H)), draw(st.integers(*T))
    seed = draw(st.integers(0, 2**16))
    model = KINDS[kind](D, Hn, seed)
    scale = draw(st.sampled_from([1.0, 1.0, 30.0, 1e300]))
    model.weight_hh = model.weight_hh * scale
    x = np.random.default_rng(seed).standard_normal((Tn, D)) * draw(st.sampled_from([1.0, 1e3, 1e200]))
    with np.errstate(all="ignore"):
        trace = model.run(x)
    arrays = {"h": trace.h, **trace.gates, **({"c": trace.c} if trace.c is not None else {})}
    for name, t, u, v in draw(st.lists(st.tuples(st.sampled_from(sorted(arrays)), st.integers(0, Tn - 1),
                                                 st.integers(0, Hn - 1), st.sampled_from(SPECIALS[:6])), max_size=5)):
        arrays[name][t, u] = v
    return trace


def all_values(trace) -> list[np.ndarray]:
    return [trace.h, *trace.gates.values()] + ([trace.c] if trace.c is not None else [])


def special_arrays(shape):
    return st.lists(st.one_of(st.sampled_from(SPECIALS + [-1.0, 1.0, 0.5]), st.floats(-10, 10)),
                    min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(lambda v: np.array(v).reshape(shape))


# ----------------------------------------------------------------------------
# gru_viz.figures


@FUZZ
@given(trace=traces())
def test_trace_builders_mark_every_non_finite_cell(trace):
    bad_anywhere = not all(np.isfinite(v).all() for v in all_values(trace))
    for gate, values in trace.gates.items():
        d = serialised(figures.gate_heatmap(trace, gate))
        check_heatmap_panel(d, values, gate)
        assert warns(d) == (not np.isfinite(values).all())
    d = serialised(figures.state_heatmap(trace, "h"))
    check_heatmap_panel(d, trace.h, "h")
    if trace.c is not None:
        check_heatmap_panel(serialised(figures.state_heatmap(trace, "c")), trace.c, "c")
    else:
        assert result_or_value_error(lambda: figures.state_heatmap(trace, "c")) is None
    assert result_or_value_error(lambda: figures.gate_heatmap(trace, "no such gate")) is None

    d = serialised(figures.trace_figure(trace))
    for gate, values in trace.gates.items():
        check_heatmap_panel(d, values, gate)
    check_heatmap_panel(d, trace.h, "h")
    title = d["layout"].get("title", {}).get("text") or ""
    assert ("⚠" in title) == bad_anywhere, "the title must warn exactly when something is not finite"

    d = serialised(figures.gate_summary(trace))
    for line, (gate, values) in zip(d["data"], figures.gate_means(trace).items(), strict=True):
        y = array(line["y"])
        none_finite = ~np.isfinite(trace.gates[gate]).any(axis=1)  # (T,) steps where no unit is finite
        assert np.array_equal(np.isnan(y), none_finite | ~np.isfinite(values))
    assert isinstance(figures.key_number(trace), str)


@SMALL
@given(trace=traces(kinds=("rnn", "gru", "lstm"), T=(40, 300), H=(1, 3)), max_cells=st.integers(1, 200))
def test_a_strided_trace_figure_still_warns(trace, max_cells):
    bad = not all(np.isfinite(v).all() for v in all_values(trace))
    d = serialised(figures.trace_figure(trace, max_cells=max_cells))
    title = d["layout"].get("title", {}).get("text") or ""
    assert ("⚠" in title) == bad
    if figures.time_stride(trace.T, trace.hidden_size, max_cells) > 1:
        assert "every" in title


@FUZZ
@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=3), data=st.data())
def test_heatmap_and_input_figure_take_any_array(shape, data):
    values = data.draw(special_arrays(shape))
    fig = result_or_value_error(lambda: figures.heatmap(values, title="t", name="v"))
    if fig is not None:
        d = serialised(fig)
        v = values if values.ndim == 2 else values[:, None]
        if v.size:
            check_heatmap_panel(d, v, "v")
        assert ("⚠" in words(d)) == (not np.isfinite(v).all())
    else:
        assert values.ndim not in (1, 2)
    names = data.draw(st.none() | st.lists(st.text(max_size=5), max_size=7))
    fig = result_or_value_error(lambda: figures.input_figure(values, names))
    if fig is not None:
        serialised(fig)


curve_names = st.sampled_from(["RNN (tanh)", "GRU", "LSTM", "MGU", "x"])


@FUZZ
@given(curves=st.dictionaries(curve_names, st.integers(0, 12).flatmap(lambda n: special_arrays((n,))), max_size=4),
       threshold=st.sampled_from([1e-6, 1e-300, 0.5, 1.0, 1e300, 0.0, -1.0, math.nan, math.inf]),
       dashed=st.lists(curve_names, max_size=2))
def test_decay_figures_drop_and_name_what_a_log_axis_cannot_show(curves, threshold, dashed):
    d = serialised(figures.decay_figure(curves))
    for line, (name, c) in zip(d["data"], curves.items(), strict=True):
        y = array(line["y"]) if c.size else np.zeros(0)
        assert np.array_equal(np.isnan(y), ~(np.isfinite(c) & (c > 0))), f"{name}: hidden points differ from bad points"
        title = d["layout"]["title"]["text"]
        assert (f"{name}: overflow" in title) == (not np.isfinite(c).all())
        assert (f"{name}: exactly 0" in title) == bool((np.isfinite(c) & (c <= 0)).any())
    colors = {k: "#123456" for k in list(curves)[:1]}
    serialised(figures_compare.compare_decay_figure(curves, colors, dashed=dashed))
    fig = result_or_value_error(lambda: figures_gradients.mark_threshold(figures.decay_figure(curves), curves, threshold))
    if fig is None:
        assert not (math.isfinite(threshold) and threshold > 0), "a positive threshold must be drawn"
    else:
        serialised(fig)


# ----------------------------------------------------------------------------
# gru_viz.figures_gradients


@FUZZ
@given(trace=traces(kinds=tuple(KINDS)), data=st.data())
def test_cell_diagram_and_step_bars(trace, data):
    T, H = trace.T, trace.hidden_size
    t = data.draw(st.integers(-1, T + 1) | st.sampled_from([1.5, True]))
    units = data.draw(st.none() | st.lists(st.integers(-2, H + 1), max_size=4, unique=True))
    fig = result_or_value_error(lambda: figures_gradients.cell_diagram(trace, t, units))
    ok_units = units is None or all(0 <= u < H for u in units)
    gru = "update" in trace.gates and "reset" in trace.gates
    ok_step = not isinstance(t, bool) and t == int(t) and 1 <= t <= T
    assert (fig is not None) == (gru and ok_step and ok_units)
    if fig is not None:
        d = serialised(fig)
        flows = d["layout"]["meta"]["flows"]
        u = list(range(H)) if units is None else units
        z = trace.gates["update"][t - 1][u]
        assert (flows["z"] is None) == (not np.isfinite(z).any()), "the keep-path number is NaN iff no unit's z is finite"
        if not np.isfinite(z).all():
            assert warns(d), "a mean that leaves out non-finite units must say so"
    fig = result_or_value_error(lambda: figures_gradients.step_bars(trace, t, highlight=units or ()))
    assert (fig is not None) == (gru and ok_step)
    if fig is not None:
        d = serialised(fig)
        vecs = figures_gradients.step_vectors(trace, t)
        for key, v in vecs.items():
            bar = next(b for b in d["data"] if b.get("name") == key)
            x, custom = array(bar["x"]), array(bar["customdata"])
            bad = ~np.isfinite(v)
            assert np.array_equal(np.isnan(custom), bad) and (x[bad] == 0).all() and np.isfinite(x).all()
            marks = [m for m in d["data"] if m.get("name") == f"{key} non-finite"]
            assert len(array(marks[0]["y"])) == bad.sum() if bad.any() else not marks


def complex_array(parts) -> np.ndarray:
    """real + i imag, part by part (arithmetic would turn 1 + i inf into nan + i inf)."""
    real, imag = parts
    out = np.empty(real.shape, dtype=complex)
    out.real, out.imag = real, imag
    return out


@FUZZ
@given(eigs=st.dictionaries(curve_names, st.integers(0, 6).flatmap(
    lambda n: st.tuples(special_arrays((n,)), special_arrays((n,))).map(complex_array)), max_size=3))
def test_eigen_figure(eigs):
    d = serialised(figures_gradients.eigen_figure(eigs))
    for name, lam in eigs.items():
        pts = next(t for t in d["data"] if t.get("name") == name)
        assert len(array(pts["x"])) == int(np.isfinite(lam).sum())
        assert np.isfinite(array(pts["x"])).all()


@FUZZ
@given(panels=st.dictionaries(curve_names, st.tuples(st.integers(1, 8), st.integers(1, 4)).flatmap(special_arrays),
                              min_size=1, max_size=3), max_cells=st.sampled_from([12_000, 5]))
def test_influence_figure_marks_exploded_cells(panels, max_cells):
    d = serialised(figures_gradients.influence_figure(panels, max_cells=max_cells))
    heats = [t for t in d["data"] if t["type"] == "heatmap"]
    assert len(heats) == len(panels)
    for heat, (name, v) in zip(heats, panels.items(), strict=True):
        k = figures.time_stride(*v.shape, max_cells)
        shown = v[::k].T
        z = array(heat["z"])
        assert np.array_equal(np.isnan(z), ~np.isfinite(shown))
        assert (z[shown == 0] == figures_gradients.UNDERFLOW_LOG).all()
        title = d["layout"]["title"]["text"]
        assert (f"{name}: " in title and "NaN/inf" in title) if not np.isfinite(shown).all() else True


# ----------------------------------------------------------------------------
# gru_viz.figures_compare


@FUZZ
@given(runs=st.lists(traces(T=(3, 3)), min_size=0, max_size=3), with_candidates=st.booleans(),
       max_cells=st.sampled_from([6000, 4]))
def test_compare_gates_figure(runs, with_candidates, max_cells):
    labelled = [(f"cell {i}", "GRU" if "update" in tr.gates else "LSTM", tr) for i, tr in enumerate(runs)]
    fig = result_or_value_error(lambda: figures_compare.compare_gates_figure(labelled, with_candidates, max_cells))
    if not runs:
        assert fig is None, "nothing to compare must be refused with a ValueError"
        return
    d = serialised(fig)
    bad = any(not np.isfinite(v).all() for tr in runs for v in [tr.h, *tr.gates.values()])
    assert ("⚠" in d["layout"]["title"]["text"]) == bad


@SMALL
@given(W=special_arrays((2, 2)).filter(lambda w: np.isfinite(w).all()), b_update=st.sampled_from([-8.0, 0.0, 8.0, 1e300]),
       lim=st.sampled_from([0.1, 1.2, 5.0, 1e6]), n=st.integers(2, 5), same_scale=st.booleans(),
       poison=st.lists(st.tuples(st.sampled_from(["d1", "speed"]), st.sampled_from(NONFINITE)), max_size=2))
def test_phase_portrait_figure(W, b_update, lim, n, same_scale, poison):
    rnn, gru = dynamics.two_unit_cells(W, b_update=b_update)
    panels = []
    with np.errstate(all="ignore"):
        for title, m in (("RNN", rnn), ("GRU", gru)):
            h1, h2, d1, d2 = dynamics.vector_field(m, 0.3, lim, n)
            panels.append({"title": title, "field": (h1, h2, d1.copy(), d2), "speed": dynamics.speed_grid(m, 0.3, lim, n),
                           "fixed_points": dynamics.fixed_points(m, 0.3, lim, starts=2, max_iter=5),
                           "trajectories": [dynamics.trajectory(m, [1.0, -1.0], 0.3, 4)]})
    for what, v in poison:
        (panels[0]["field"][2] if what == "d1" else panels[0]["speed"][1])[0] = v
    fig = result_or_value_error(lambda: figures_compare.phase_portrait_figure(panels, lim, same_scale))
    if fig is not None:
        serialised(fig)


# ----------------------------------------------------------------------------
# gru_viz.figures_training


losses = st.integers(0, 30).flatmap(lambda n: special_arrays((n,)))


@FUZZ
@given(curves=st.lists(st.tuples(st.sampled_from(["RNN", "GRU", "LSTM", "?"]), losses, losses), max_size=3,
                unique_by=lambda c: c[0]),
       baseline=st.sampled_from([1 / 6, 0.26, 1e-300, 1e300, 0.0, -1.0, math.nan, math.inf]),
       loss=st.sampled_from(["mse_last", "ce_seq", "mse_seq", "other"]), steps=st.none() | st.integers(1, 5000),
       title=st.none() | st.text(max_size=20))
def test_loss_figure(curves, baseline, loss, steps, title):
    cs = [{"cell": c, "train_step": np.arange(len(tr)), "train_loss": tr, "test_step": np.arange(len(te)), "test_loss": te}
          for c, tr, te in curves]
    fig = result_or_value_error(lambda: figures_training.loss_figure(cs, baseline, loss, "adding", steps, title))
    if fig is None:
        assert not (math.isfinite(baseline) and baseline > 0), "a positive baseline must be drawn"
        return
    d = serialised(fig)
    for c in cs:  # the test curve is drawn as given: non-finite points stay non-finite, never numbers
        line = next(t for t in d["data"] if t.get("name") == c["cell"])
        y = array(line["y"]) if len(c["test_loss"]) else np.zeros(0)
        assert np.array_equal(~np.isfinite(y), ~np.isfinite(c["test_loss"]))


# ----------------------------------------------------------------------------
# gru_viz.figures_text

text_chars = st.sampled_from(list("ab c\n<>&\"'é漢😀\t\x00") + ["\ufffd"])


@FUZZ
@given(text=st.lists(text_chars, min_size=0, max_size=60).map("".join), data=st.data(),
       signal=st.sampled_from(list(figures_text.SIGNAL_LABELS) + ["other"]))
def test_text_payload(text, data, signal):
    values = data.draw(special_arrays((len(text),)))
    unknown = np.array([ch not in "ab c\n" for ch in text], dtype=bool)
    notes = figures_text.position_notes(text, None, None, unknown)
    shown = result_or_value_error(lambda: figures_text.text_payload(text, values, signal, notes=notes, unknown=unknown))
    assert (shown is None) == (text == "")
    if shown is None:
        return
    json.dumps(shown, allow_nan=False)  # plain JSON for the component
    assert len(shown["chars"]) == len(shown["chars"].encode("utf-16-le")) // 2 == len(text)  # one UTF-16 unit each
    assert [bool(c) for c in shown["bg"]] == np.isfinite(values).tolist(), "a non-finite value must stay uncoloured"
    assert len(shown["tips"]) == len(shown["dark"]) == len(shown["unknown"]) == len(text)
    # a wrong number of values is refused
    assert result_or_value_error(lambda: figures_text.text_payload(text, np.zeros(len(text) + 1), signal)) is None


@FUZZ
@given(text=st.lists(text_chars, min_size=0, max_size=60).map("".join), data=st.data(),
       signal=st.sampled_from(list(figures_text.SIGNAL_LABELS) + ["other"]))
def test_text_grid_figure(text, data, signal):
    values = data.draw(special_arrays((len(text),)))
    marked = np.array(data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text))), dtype=bool)
    fig = result_or_value_error(lambda: figures_text.text_grid_figure(text, values, signal, "t <b>", "h[0]", marked))
    assert (fig is None) == (text == "")
    if fig is None:
        return
    d = serialised(fig)
    z = array(d["data"][0]["z"])
    assert np.isfinite(z).sum() == np.isfinite(values).sum(), "a non-finite value must stay uncoloured, a finite one coloured"
    assert len(array(d["data"][1]["x"])) == marked.sum()
    assert "<b>" not in d["layout"]["title"]["text"]
    assert not any("<" in t or ">" in t for row in d["data"][0]["text"] for t in row), "typed text must not form a tag"


entry = st.fixed_dictionaries({
    "unit": st.integers(0, 127), "signal": st.sampled_from(["h", "c", "update"]),
    "auc": st.none() | st.sampled_from(SPECIALS), "corr": st.sampled_from(SPECIALS), "sign": st.sampled_from([1, -1]),
    "score": st.sampled_from(SPECIALS + [0.3])})


@FUZZ
@given(ranked=st.dictionaries(st.sampled_from(["RNN", "GRU", "LSTM"]), st.lists(entry, max_size=12), min_size=1),
       label=st.text(max_size=30), top=st.integers(0, 12),
       stats=st.dictionaries(st.sampled_from(["GRU", "LSTM"]), st.dictionaries(
           st.sampled_from(["update", "reset", "forget"]),
           st.integers(0, 5).flatmap(lambda n: st.tuples(special_arrays((n,)), special_arrays((n,))))), min_size=1))
def test_ranking_and_saturation_figures(ranked, label, top, stats):
    for kind, entries in ranked.items():
        doc = figures_text.ranking_html(kind, entries, label, top=top)
        assert figures_text.esc(label) in doc and doc.count("<tr") == 1 + min(top, len(entries))
    serialised(figures_text.saturation_figure(stats))


# ----------------------------------------------------------------------------
# gru_viz.figures_attention

SYMBOLS = "abcde"


@SMALL
@given(H=st.integers(1, 4), T=st.integers(1, 8), seed=st.integers(0, 99), with_attention=st.booleans(),
       gate=st.sampled_from(["update", "reset", "candidate"]),
       poison=st.lists(st.tuples(st.sampled_from(["attention", "update", "reset"]), st.sampled_from(SPECIALS[:5])), max_size=3))
def test_attention_figures(H, T, seed, with_attention, gate, poison):
    model = attention.Seq2Seq(SYMBOLS, hidden_size=H, attention_size=H, attention=with_attention, seed=seed)
    tokens = attention.random_tokens(T, seed=seed, n_symbols=len(SYMBOLS))
    trace = model.run(tokens)
    for i, (what, v) in enumerate(poison):
        if what == "attention" and trace.attention is not None:
            trace.attention[i % trace.attention.shape[0], 0] = v
        elif what != "attention":
            trace.encoder.gates[what][i % T, 0] = v
    target = tokens[::-1]
    for build, gated in ((lambda: figures_attention.alignment_figure(trace, SYMBOLS, target), False),
                         (lambda: figures_attention.alignment_with_gates_figure(trace, SYMBOLS, target, gate), True)):
        fig = result_or_value_error(build)
        assert (fig is None) == (trace.attention is None or (gated and gate == "candidate"))
        if fig is not None:
            serialised(fig)
    fig = result_or_value_error(lambda: figures_attention.encoder_gates_figure(trace, SYMBOLS, gate))
    assert (fig is None) == (gate == "candidate")
    if fig is not None:
        d = serialised(fig)
        check_heatmap_panel(d, trace.encoder.gates[gate], gate, index=0)
        check_heatmap_panel(d, trace.backward(gate), gate, index=1)
    serialised(figures_attention.output_figure(tokens, target, {"with": trace.output, "echo": tokens}, SYMBOLS))


@SMALL
@given(poison=st.lists(st.tuples(st.booleans(), st.sampled_from(["symbol", "sequence"]), st.sampled_from(SPECIALS[:5])),
                       max_size=3),
       metric=st.sampled_from(["symbol", "sequence", "bits"]), length=st.none() | st.integers(1, 40))
def test_accuracy_figure(poison, metric, length):
    manifest = json.loads((__import__("gru_viz.attention_training", fromlist=["x"]).CHECKPOINT_DIR / "manifest.json")
                          .read_text())
    for with_att, m, v in poison:
        acc = manifest["models"]["with_attention" if with_att else "without_attention"]["accuracy"]
        acc[sorted(acc)[0]][m] = v
    fig = result_or_value_error(lambda: figures_attention.accuracy_figure(manifest, metric, length))
    assert (fig is None) == (metric == "bits")
    if fig is not None:
        serialised(fig)


# ----------------------------------------------------------------------------
# gru_viz.figures_lessons: every figure kind, with parameters drawn from the engine's own schema


def param_values(p: lessons.Param, size: str):
    """A strategy over the legal values of one schema parameter, biased to its edges."""
    if p.type == "int":
        lo, hi = p.bound.lo, p.bound.hi
        if p.bound in (limits.UI_SEQ_LEN,):  # T: long sequences only with few units (keeps the test fast)
            hi = hi if size == "long" else min(hi, 24)
        if p.bound in (limits.UI_HIDDEN_SIZE, limits.HIDDEN_SIZE):
            hi = hi if size == "wide" else min(hi, 6)
        return st.sampled_from([lo, hi]) | st.integers(lo, hi)
    if p.type == "float":
        b = p.bound
        return st.sampled_from([b.lo, b.hi]) | st.floats(b.lo, b.hi)
    if p.type == "choice":
        return st.sampled_from(p.choices)
    if p.type == "choices":
        return st.lists(st.sampled_from(p.choices), min_size=1, max_size=3, unique=True)
    if p.type == "str":
        return st.text(alphabet=st.sampled_from(list("ab \n<é漢😀")), min_size=0, max_size=30)
    return st.booleans()


@st.composite
def lesson_figures(draw, kinds=tuple(lessons.FIGURE_KINDS)):
    kind = draw(st.sampled_from(kinds))
    schema = lessons.FIGURE_KINDS[kind]["params"]
    size = draw(st.sampled_from(["small", "small", "long", "wide"]))
    params = {k: p.default for k, p in schema.items()}
    chosen = draw(st.lists(st.sampled_from(sorted(schema)), max_size=6, unique=True)) if schema else []
    if size == "long" and "T" in schema:
        chosen = [c for c in chosen if c != "hidden"] + ["T"]
        params["hidden"] = min(params.get("hidden", 2), 2)
    if size == "wide" and "T" in schema:
        chosen = [c for c in chosen if c != "T"] + [c for c in ("hidden",) if c in schema]
        params["T"] = min(params["T"], 6)
    for k in chosen:
        params[k] = draw(param_values(schema[k], size))
    return kind, params


def check_lesson_output(kind, out):
    if kind == "equations":
        assert isinstance(out, list) and all(isinstance(s, str) and s for s in out)
    else:
        serialised(out)


LESSON_FUZZ = settings(FUZZ, max_examples=20)


@LESSON_FUZZ
@given(fig=lesson_figures())
def test_every_lesson_figure_kind_with_legal_parameters(fig):
    kind, params = fig
    with np.errstate(all="ignore"):
        out = result_or_value_error(lambda: lessons.build_figure(kind, params))
    if out is not None:
        check_lesson_output(kind, out)


FLOAT_PARAMS = sorted({k for spec in lessons.FIGURE_KINDS.values() for k, p in spec["params"].items() if p.type == "float"})


@FUZZ
@given(fig=lesson_figures(kinds=("lines", "trace", "decay", "jacobian", "heatmap", "influence", "unrolled", "step_bars",
                                 "cell_diagram", "eigenvalues", "activation", "input", "equations")),
       key=st.sampled_from(FLOAT_PARAMS), value=st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300]))
def test_lesson_builders_called_with_out_of_range_floats(fig, key, value):
    """The engine keeps floats in range; a builder called directly with an absurd one still gives a figure or a ValueError."""
    kind, params = fig
    if key not in lessons.FIGURE_KINDS[kind]["params"]:
        return
    params[key] = value
    with np.errstate(all="ignore"):
        out = result_or_value_error(lambda: lessons.build_figure(kind, params))
    if out is not None:
        check_lesson_output(kind, out)


@FUZZ
@given(quiz=st.fixed_dictionaries({k: param_values(p, "small") for k, p in lessons.COMPUTE.items()
                                   if k in ("cell", "quantity", "gate", "step", "unit", "lag", "T", "hidden", "seed",
                                            "input", "clamp_update", "radius")}))
def test_compute_quantity_is_a_float_or_a_value_error(quiz):
    params = {k: p.default for k, p in lessons.COMPUTE.items()} | quiz
    params = {k: v for k, v in params.items() if v is not None or lessons.COMPUTE[k].optional}
    with np.errstate(all="ignore"):
        out = result_or_value_error(lambda: figures_lessons.compute_quantity(**params))
    assert out is None or isinstance(out, float)


@given(st.lists(st.floats(0.0, 1.0), max_size=8), st.floats(0.01, 0.2))
@settings(max_examples=300, deadline=None, derandomize=True)  # cheap: many cases
def test_spread_keeps_the_order_the_gap_and_the_bounds(positions, gap):
    placed = figures.spread(positions, gap=gap, lo=0.0, hi=1.0)
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    ys = [placed[i] for i in order]
    assert all(b - a >= gap - 1e-9 for a, b in zip(ys, ys[1:], strict=False))  # same order, at least the gap apart
    if (len(positions) - 1) * gap <= 1.0:
        assert all(-1e-9 <= y <= 1.0 + 1e-9 for y in ys)
