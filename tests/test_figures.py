"""Unit tests of every builder in gru_viz.figures: axes, colour ranges, trace counts,
values equal to the Trace's, and non-finite numbers shown (not crashing)."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

import gru_viz as gv
from gru_viz import figures as F


def gru_trace(T=30, H=5, D=1, seed=0):
    return gv.GRU(D, H, seed=seed).run(np.random.default_rng(seed).standard_normal((T, D)))


def lstm_trace(T=30, H=5):
    return gv.LSTM(1, H, seed=1).run(np.sin(np.arange(T))[:, None])


def rnn_trace(T=30, H=5):
    return gv.VanillaRNN(1, H, seed=2).run(np.cos(np.arange(T))[:, None])


def exploded_trace(T=20, H=4):
    """A GRU trace with a NaN and two infinities put into the update gate and h."""
    tr = gru_trace(T, H)
    tr.gates["update"][3, 1] = np.nan
    tr.h[5, 2], tr.h[6, 0] = np.inf, -np.inf
    return tr


def heatmaps(fig):
    return [t for t in fig.data if isinstance(t, go.Heatmap)]


# ---------------------------------------------------------------------------- heatmap


def test_heatmap_puts_time_on_x_units_on_y_numbered_from_one():
    v = np.random.default_rng(0).uniform(size=(12, 4))  # (T, H)
    (h,) = F.heatmap(v, name="update").data
    assert list(h.x) == list(range(1, 13)) and list(h.y) == [1, 2, 3, 4]
    assert h.z.shape == (4, 12)  # rows = units
    np.testing.assert_allclose(h.z, v.T, rtol=1e-6)


def test_heatmap_uses_the_fixed_range_and_colour_scale_given():
    fig = F.heatmap(np.zeros((3, 2)), zrange=F.STATE_RANGE, colorscale=F.STATE_COLORSCALE)
    h = fig.data[0]
    assert (h.zmin, h.zmax) == (-1, 1)
    assert h.colorscale == go.Heatmap(colorscale=F.STATE_COLORSCALE).colorscale


def test_heatmap_hover_names_step_unit_and_value():
    h = F.heatmap(np.ones((3, 2)), name="update").data[0]
    assert h.hovertemplate.startswith("step %{x}, unit %{y}: update = %{z:.4f}")


def test_heatmap_marks_nan_and_inf_and_says_so_in_the_title():
    v = np.full((5, 3), 0.5)
    v[1, 2], v[3, 0], v[4, 1] = np.nan, np.inf, -np.inf
    fig = F.heatmap(v, title="update", name="update")
    h, marks = fig.data
    assert np.isnan(h.z[2, 1]) and np.isnan(h.z[0, 3]) and np.isnan(h.z[1, 4])
    assert np.isfinite(np.delete(h.z.ravel(), [2 * 5 + 1, 0 * 5 + 3, 1 * 5 + 4])).all()
    assert sorted(zip(marks.x, marks.y, strict=True)) == [(2, 3), (4, 1), (5, 2)]
    assert sorted(marks.customdata) == ["+inf", "-inf", "NaN"]
    assert "1 NaN" in fig.layout.title.text and "2 infinite" in fig.layout.title.text


def test_heatmap_larger_than_max_cells_shows_every_kth_step_with_exact_values():
    v = np.random.default_rng(1).uniform(size=(500, 128))
    traces, note = F.heatmap_dicts(v, max_cells=20_000)
    k = F.time_stride(500, 128, 20_000)
    assert k == 4 and "every 4th step" in note
    np.testing.assert_array_equal(traces[0]["x"], np.arange(1, 501)[::4])
    np.testing.assert_allclose(traces[0]["z"], v[::4].T, rtol=1e-6)
    assert traces[0]["z"].size <= 20_000


def test_ordinals_and_strides_read_as_english():
    assert [F.ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]
    assert F.stride_note(3) == "every 3rd step shown"


def test_panel_notes_say_a_shared_note_once_and_name_the_others():
    notes = {"reset": "every 4th step shown", "update": "every 4th step shown",
             "h": "⚠ 2 NaN (marked ✕): the run exploded; every 4th step shown"}
    assert F.panel_notes(notes) == "every 4th step shown; h: ⚠ 2 NaN (marked ✕): the run exploded"
    assert F.panel_notes({"a": "every 2nd step shown", "b": ""}) == "a: every 2nd step shown"
    assert F.panel_notes({"a": "", "b": ""}) == ""


def test_a_long_trace_figure_says_its_stride_once():
    trace = gv.GRU(1, 128, seed=0).run(np.zeros((500, 1)))
    title = F.trace_figure(trace).layout.title.text
    k = F.time_stride(500, 128)
    assert title.count(F.stride_note(k)) == 1 and "reset:" not in title


def test_heatmap_rejects_3d_input():
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        F.heatmap(np.zeros((2, 2, 2)))


# ---------------------------------------------------------------------------- panels


def test_input_figure_draws_one_line_per_channel_with_the_input_values():
    x = np.random.default_rng(0).standard_normal((20, 2))
    fig = F.input_figure(x, ["value", "marker"])
    assert [t.name for t in fig.data] == ["value", "marker"]
    for j, t in enumerate(fig.data):
        assert list(t.x) == list(range(1, 21))
        np.testing.assert_allclose(t.y, x[:, j], rtol=1e-6)


def test_input_figure_shows_wide_one_hot_input_as_a_heatmap_with_named_rows():
    x, alphabet, _ = gv.tasks.one_hot_text("hello world")
    names = list(alphabet) + ["?"]
    (h,) = F.input_figure(x, names).data
    assert isinstance(h, go.Heatmap) and list(h.y) == names
    np.testing.assert_array_equal(h.z, x.T)


def test_input_figure_rejects_wrong_number_of_channel_names():
    with pytest.raises(ValueError, match="channel names"):
        F.input_figure(np.zeros((5, 2)), ["only one"])


@pytest.mark.parametrize("gate", ["reset", "update"])
def test_gate_heatmap_of_a_sigmoid_gate_is_on_0_1_sequential(gate):
    tr = gru_trace()
    h = F.gate_heatmap(tr, gate).data[0]
    assert (h.zmin, h.zmax) == (0, 1)
    assert h.colorscale == go.Heatmap(colorscale=F.GATE_COLORSCALE).colorscale
    np.testing.assert_allclose(h.z, tr.gates[gate].T, rtol=1e-6)


def test_gate_heatmap_of_the_candidate_is_on_minus1_1_diverging():
    tr = gru_trace()
    h = F.gate_heatmap(tr, "candidate").data[0]
    assert (h.zmin, h.zmax) == (-1, 1)
    assert h.colorscale == go.Heatmap(colorscale=F.STATE_COLORSCALE).colorscale


def test_update_gate_title_names_the_keep_convention():
    assert "z = 1 keeps the old state" in F.gate_heatmap(gru_trace(), "update").layout.title.text


def test_gate_heatmap_of_a_missing_gate_names_the_gates_there_are():
    with pytest.raises(ValueError, match="no gates"):
        F.gate_heatmap(rnn_trace(), "update")
    with pytest.raises(ValueError, match="forget"):
        F.gate_heatmap(lstm_trace(), "update")


def test_state_heatmap_shows_h_and_the_lstm_cell_state_on_minus1_1():
    tr = lstm_trace()
    for which, values in (("h", tr.h), ("c", tr.c)):
        h = F.state_heatmap(tr, which).data[0]
        assert (h.zmin, h.zmax) == (-1, 1)
        np.testing.assert_allclose(h.z, values.T, rtol=1e-6)
    with pytest.raises(ValueError, match="cell state"):
        F.state_heatmap(gru_trace(), "c")


def test_gate_summary_draws_the_mean_over_units_of_each_sigmoid_gate():
    tr = gru_trace()
    fig = F.gate_summary(tr)
    assert [t.name for t in fig.data] == ["reset r", "update z"]  # not the tanh candidate
    for t, gate in zip(fig.data, ["reset", "update"], strict=True):
        np.testing.assert_allclose(t.y, tr.gates[gate].mean(axis=1), rtol=1e-6)
        assert t.line.width >= 4
    assert list(fig.layout.yaxis.range) == [-0.02, 1.02]


def test_gate_summary_of_an_lstm_has_input_forget_output():
    assert [t.name for t in F.gate_summary(lstm_trace()).data] == ["input i", "forget f", "output o"]


def test_gate_summary_of_a_plain_rnn_says_there_are_no_gates():
    fig = F.gate_summary(rnn_trace())
    assert len(fig.data) == 0 and "no gates" in fig.layout.annotations[0].text


def test_gate_means_ignore_non_finite_units():
    tr = exploded_trace()
    m = F.gate_means(tr)["update"]
    row = np.delete(tr.gates["update"][3], 1)
    assert m[3] == pytest.approx(row.mean())


# ---------------------------------------------------------------------------- trace_figure


@pytest.mark.parametrize(
    "make, n_traces, heat_names",
    [
        (gru_trace, 1 + 3 + 1 + 2, ["reset", "update", "candidate", "h"]),
        (lstm_trace, 1 + 4 + 2 + 3, ["input", "forget", "output", "cell", "h", "c"]),
        (rnn_trace, 1 + 1, ["h"]),
    ],
)
def test_trace_figure_has_input_every_gate_states_and_summary(make, n_traces, heat_names):
    tr = make()
    fig = F.trace_figure(tr)
    assert len(fig.data) == n_traces
    assert [h.name for h in heatmaps(fig)] == heat_names
    for h in heatmaps(fig):
        values = tr.gates.get(h.name, tr.h if h.name == "h" else tr.c)
        np.testing.assert_allclose(h.z, values.T, rtol=1e-6)


def test_trace_figure_leaves_out_hidden_panels_and_keeps_the_rest_aligned():
    tr = lstm_trace()
    assert F.trace_panels(tr) == ["x", "input", "forget", "output", "cell", "h", "c", "mean"]
    fig = F.trace_figure(tr, hide=("input", "cell", "c", "mean"))  # the LSTM's input *gate*: the input x stays
    assert [h.name for h in heatmaps(fig)] == ["forget", "output", "h"]
    assert [a.text for a in fig.layout.annotations][0] == "input x"
    axes = sorted(a for a in fig.layout if a.startswith("xaxis"))
    assert len(axes) == 4 and all(fig.layout[a].matches in (None, "x4") for a in axes)
    assert fig.layout.height < F.trace_figure(tr).layout.height
    assert len(F.trace_figure(tr, hide=tuple(F.trace_panels(tr))).data) == len(F.trace_figure(tr).data)  # none: all


def test_trace_figure_aligns_every_panel_on_the_same_time_axis():
    tr = gru_trace(T=40)
    fig = F.trace_figure(tr)
    axes = [a for a in fig.layout if a.startswith("xaxis")]
    assert len(axes) == 6  # input, 3 gates, h, summary
    bottom = "x6"  # make_subplots links every x axis to the bottom one, so zoom moves all panels together
    for a in axes:
        assert tuple(fig.layout[a].range) == (0.5, 40.5)
        assert fig.layout[a].matches == (None if a == "xaxis6" else bottom)


def test_trace_figure_puts_gates_on_one_colour_axis_and_states_on_another():
    fig = F.trace_figure(gru_trace())
    axis = {h.name: h.coloraxis for h in heatmaps(fig)}
    assert axis == {"reset": "coloraxis", "update": "coloraxis", "candidate": "coloraxis2", "h": "coloraxis2"}
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0, 1)
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmax, fig.layout.coloraxis2.cmid) == (-1, 1, 0)
    assert fig.layout.coloraxis.colorscale == go.layout.Coloraxis(colorscale=F.GATE_COLORSCALE).colorscale


def test_trace_figure_of_an_exploded_run_marks_cells_and_says_so():
    fig = F.trace_figure(exploded_trace())
    marks = [t for t in fig.data if isinstance(t, go.Scatter) and t.name.endswith("non-finite")]
    assert {t.name for t in marks} == {"update non-finite", "h non-finite"}
    assert "NaN" in fig.layout.title.text and "infinite" in fig.layout.title.text


def test_trace_figure_at_the_largest_ui_size_stays_under_one_megabyte():
    tr = gv.LSTM(1, 128, seed=0).run(gv.tasks.noise(500))
    size = len(F.trace_figure(tr).to_json())
    assert size < 1_000_000, size


# ---------------------------------------------------------------------------- decay


def test_decay_figure_overlays_curves_on_a_log_axis_with_cell_colours():
    rnn, gru = gv.VanillaRNN(1, 8, seed=0), gv.GRU(1, 8, seed=0)
    x = gv.tasks.pulse(40)
    curves = {"RNN": gv.gradient_decay(rnn, x), "GRU": gv.gradient_decay(gru, x)}
    fig = F.decay_figure(curves)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["RNN", "GRU"]
    assert [t.line.color for t in fig.data] == [F.CELL_COLORS["RNN"], F.CELL_COLORS["GRU"]]
    for t, d in zip(fig.data, curves.values(), strict=True):
        assert list(t.x) == list(range(41))
        np.testing.assert_array_equal(t.y, d)


def test_decay_figure_leaves_out_overflow_and_underflow_and_names_them():
    d = np.array([1.0, 1e3, np.inf, np.nan, 1e-3])
    u = np.array([1.0, 1e-200, 0.0, 0.0])
    fig = F.decay_figure({"RNN (relu)": d, "GRU": u})
    y = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(y[2:4]).all() and y[1] == 1e3 and y[4] == 1e-3
    assert np.isnan(np.asarray(fig.data[1].y, dtype=float)[2:]).all()
    title = fig.layout.title.text
    assert "RNN (relu): overflow (inf/NaN) from lag 2" in title and "GRU: exactly 0 from lag 2" in title


def test_figures_serialise_to_json():
    for fig in (F.trace_figure(exploded_trace()), F.decay_figure({"x": [1, np.nan]}), F.gate_summary(lstm_trace())):
        json.loads(fig.to_json())



def test_figures_carry_the_gru_viz_template_whose_tick_labels_skip_the_overflow_check():
    # plotly_white's look; tick labels "allow" so Plotly does not re-measure every label per label drawn
    from gru_viz import figures_training

    built = [F.trace_figure(gru_trace()), F.decay_figure({"GRU": [1.0, 0.5]}),
             figures_training.loss_figure([{"cell": "GRU", "train_step": [1, 2], "train_loss": [1.0, 0.5],
                                            "test_step": [2], "test_loss": [0.5]}], baseline=0.4)]
    for fig in built:
        template = fig.to_plotly_json()["layout"]["template"]
        template = template.to_plotly_json() if hasattr(template, "to_plotly_json") else template
        layout = template["layout"]
        assert layout["plot_bgcolor"] == "white"
        assert layout["xaxis"]["ticklabeloverflow"] == layout["yaxis"]["ticklabeloverflow"] == "allow"
        assert layout["coloraxis"]["colorbar"]["ticklabeloverflow"] == "allow"
        assert all(t["colorbar"]["ticklabeloverflow"] == "allow" for t in template["data"]["heatmap"])

# ---------------------------------------------------------------------------- key number


def test_best_window_finds_the_highest_stretch():
    m = np.full(100, 0.5)
    m[40:60] = 0.93
    assert F.best_window(m, 20) == (41, 60, pytest.approx(0.93))


def test_best_window_skips_non_finite_and_survives_all_nan():
    m = np.array([0.1, np.nan, 0.9, 0.8, 0.2])
    assert F.best_window(m, 2) == (2, 3, pytest.approx(0.9))  # the NaN step counts as missing, not as 0
    assert F.best_window(m, 3) == (2, 4, pytest.approx(0.85))  # mean of the two finite steps
    assert np.isnan(F.best_window(np.full(5, np.nan), 2)[2])


def test_key_number_reports_a_kept_state_when_the_update_gate_is_clamped_open():
    tr = gv.GRU(1, 4, seed=0).run(gv.tasks.pulse(50), clamp={"update": 0.95})
    text = F.key_number(tr)
    assert text.startswith("Update gate mean 0.95") and "being kept" in text


def test_key_number_reads_the_gate_as_printed():
    tr = gv.GRU(1, 4, seed=0).run(gv.tasks.pulse(50), clamp={"update": 0.7957})  # prints as 0.80
    text = F.key_number(tr)
    assert text.startswith("Update gate mean 0.80") and "being kept" in text


def test_key_number_names_the_forget_gate_for_an_lstm_and_no_gates_for_an_rnn():
    assert F.key_number(lstm_trace()).startswith("Forget gate mean")
    assert "no gates" in F.key_number(rnn_trace())


def test_key_number_points_at_the_step_where_the_update_gate_drops():
    tr = gru_trace(T=50, H=3)
    tr.gates["update"][:] = 0.9
    tr.gates["update"][10] = 0.1
    text = F.key_number(tr)
    assert "Update gate mean 0.90" in text and "drops to 0.10 at step 11" in text


def test_trace_figure_of_an_lstm_puts_sigmoid_gates_before_the_tanh_panels():
    names = [h.name for h in heatmaps(F.trace_figure(lstm_trace()))]
    assert names == ["input", "forget", "output", "cell", "h", "c"]


def test_trace_figure_labels_the_time_axis_with_the_characters_of_a_text():
    x, alphabet, _ = gv.tasks.one_hot_text("hi there")
    tr = gv.GRU(x.shape[1], 3, seed=0).run(x)
    fig = F.trace_figure(tr, list(alphabet) + ["?"], step_labels=list("hi there"))
    assert list(fig.layout.xaxis.ticktext) == ["h", "i", "␣", "t", "h", "e", "r", "e"]
    assert list(fig.layout.xaxis.tickvals) == list(range(1, 9))


# ---------------------------------------------------------------------------- labels that must not collide


def test_spread_moves_crowded_labels_apart_around_where_they_want_to_be():
    assert F.spread([0.5, 0.5, 0.51], gap=0.11, lo=0.0, hi=1.0) == pytest.approx([0.3933, 0.5033, 0.6133], abs=1e-4)
    assert F.spread([0.1, 0.9], gap=0.11, lo=0.0, hi=1.0) == [0.1, 0.9]  # far apart: untouched
    assert F.spread([0.99, 0.98, 0.95], gap=0.11, lo=0.0, hi=1.0) == pytest.approx([1.0, 0.89, 0.78])  # kept inside
    assert F.spread([], gap=0.1, lo=0.0, hi=1.0) == []


def test_lstm_gate_means_that_end_together_get_names_that_do_not_overlap():
    # random LSTM gates sit near 0.5: the three names at the right end of the summary used to print on top of each other
    fig = F.trace_figure(gv.LSTM(1, 8, seed=0).run(np.zeros((40, 1))))
    ends = sorted(a.y for a in fig.layout.annotations if a.text in ("<b>input i</b>", "<b>forget f</b>", "<b>output o</b>"))
    assert len(ends) == 3 and min(np.diff(ends)) >= 0.11 - 1e-9


def test_trace_figure_titles_the_mgu_forget_gate_as_replacing_the_state():
    from gru_viz import variants

    trace = variants.MGU(1, 4, seed=0).run(np.zeros((10, 1)))
    titles = [a.text for a in F.trace_figure(trace, kind="MGU").layout.annotations]
    assert "forget gate f  (f = 1 REPLACES the state: f plays 1 − z)" in titles
    assert not any("keeps the old cell state" in t for t in titles)
    assert F.gate_title("forget") == F.GATE_TITLES["forget"] and F.gate_title("forget", "LSTM") == F.GATE_TITLES["forget"]


def test_log_axes_label_whole_numbers_over_few_decades_and_only_powers_of_ten_over_many():
    assert F.log_ticks([1.0, 0.5, 0.02]) == {"dtick": "D2", "tickformat": "~g"}  # 0.02, 0.05, 0.1, 0.2, 0.5, 1
    assert F.log_ticks([1.0, 1e-14]) == {"dtick": 2}  # 14 decades: every second power of ten
    assert F.log_ticks([1.0, 1e-300, np.inf, np.nan, 0.0]) == {"dtick": 50}  # non-finite and zero do not count
    assert F.log_ticks([np.nan, 0.0]) == {} and F.log_ticks() == {}
    fig = F.decay_figure({"RNN (tanh)": 0.5 ** np.arange(60), "GRU": np.ones(60)})
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 5  # 0.5^59 ~ 1.7e-18: 17.8 decades


def test_the_threshold_line_counts_in_the_decay_axis_ticks():
    from gru_viz import figures_gradients as fg

    decays = {"GRU": np.linspace(1.0, 0.05, 30)}  # 1.3 decades, but the 1e-6 line stretches the axis to 6
    fig = fg.mark_threshold(F.decay_figure(decays), decays, 1e-6)
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.type == "log"
