"""Figures of the Step-Through and the Gradient Lab, the step equations, and the lab's core.

The binding tests pin every number the diagram, the bars and the equations show
to the Trace array it names, so the reset and update gates cannot be swapped.
"""

import re

import numpy as np
import pytest

import gru_viz as gv
from gru_viz import equations, lab, weights
from gru_viz import figures_gradients as fg

H = 6


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.fixture(scope="module")
def gru():
    return gv.GRU(2, H, seed=3, init_scale=2.0)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).standard_normal((12, 2))


def trace_of(fig, name):
    (tr,) = [t for t in fig.data if t.name == name]
    return tr


def annotation(fig, name):
    (a,) = [a for a in fig.layout.annotations if a.name == name]
    return a.text


def numbers(tex: str) -> list[float]:
    return [float(s) for s in re.findall(r"-?\d+\.\d+", tex)]


# ----------------------------------------------------------------------------
# the cell diagram


def test_diagram_flows_are_the_means_of_the_trace_arrays_they_name(gru, x):
    trace = gru.run(x)
    t = 5
    f = fg.cell_flows(trace, t)
    assert f["z"] == pytest.approx(trace.gates["update"][t - 1].mean())
    assert f["1-z"] == pytest.approx(1 - trace.gates["update"][t - 1].mean())
    assert f["r"] == pytest.approx(trace.gates["reset"][t - 1].mean())
    assert f["n"] == pytest.approx(trace.gates["candidate"][t - 1].mean())
    assert f["h_prev"] == pytest.approx(trace.h[t - 2].mean())
    assert f["h"] == pytest.approx(trace.h[t - 1].mean())


def test_diagram_paths_are_as_wide_as_their_gate_says(gru, x):
    trace = gru.run(x)
    fig = fg.cell_diagram(trace, 7)
    z, r = trace.gates["update"][6].mean(), trace.gates["reset"][6].mean()
    assert trace_of(fig, "keep path").line.width == pytest.approx(fg.path_width(z))
    assert trace_of(fig, "write path").line.width == pytest.approx(fg.path_width(1 - z))
    assert trace_of(fig, "reset path").line.width == pytest.approx(fg.path_width(r))
    assert f"z̄ = {z:.2f}" in annotation(fig, "keep label")
    assert f"1 − z̄ = {1 - z:.2f}" in annotation(fig, "write label")
    assert f"r̄ = {r:.2f}" in annotation(fig, "reset label")
    assert annotation(fig, "update gate").endswith(f"{z:.2f}") and "z<sub>t</sub>" in annotation(fig, "update gate")
    assert annotation(fig, "reset gate").endswith(f"{r:.2f}") and "r<sub>t</sub>" in annotation(fig, "reset gate")


def test_update_gate_clamped_to_one_reads_keep_everything_everywhere(gru, x):
    # the binding test: z = 1 must show up as a full keep path, an empty write path,
    # z = 1.0000 in the equations and h_t = h_{t-1}
    trace = gru.run(x, clamp={"update": 1.0})
    t = 6
    fig = fg.cell_diagram(trace, t)
    assert trace_of(fig, "keep path").line.width == fg.PATH_MAX_WIDTH
    assert trace_of(fig, "write path").line.width == fg.PATH_MIN_WIDTH
    assert "z̄ = 1.00" in annotation(fig, "keep label")
    assert "1 − z̄ = 0.00" in annotation(fig, "write label")
    eq = equations.gru_step_equations(gru, trace, t, [0, 1, 2])
    assert r"\begin{bmatrix}1.0000\\1.0000\\1.0000\end{bmatrix}" in eq.latex["update"]
    assert "clamped" in eq.latex["update"]
    np.testing.assert_array_equal(eq.values["h"], eq.values["h_prev"])
    np.testing.assert_array_equal(trace.h[t - 1], trace.h[t - 2])


def test_update_gate_clamped_to_zero_makes_the_new_state_the_candidate(gru, x):
    trace = gru.run(x, clamp={"update": 0.0})
    fig = fg.cell_diagram(trace, 4)
    assert trace_of(fig, "keep path").line.width == fg.PATH_MIN_WIDTH
    assert trace_of(fig, "write path").line.width == fg.PATH_MAX_WIDTH
    eq = equations.gru_step_equations(gru, trace, 4, [0, 5])
    np.testing.assert_allclose(eq.values["h"], eq.values["n"], rtol=0, atol=0)


def test_reset_gate_clamped_to_zero_empties_only_the_reset_path(gru, x):
    trace = gru.run(x, clamp={"reset": 0.0})
    fig = fg.cell_diagram(trace, 4)
    assert trace_of(fig, "reset path").line.width == fg.PATH_MIN_WIDTH
    assert "r̄ = 0.00" in annotation(fig, "reset label")
    z = trace.gates["update"][3].mean()
    assert trace_of(fig, "keep path").line.width == pytest.approx(fg.path_width(z))


def test_diagram_means_over_chosen_units(gru, x):
    trace = gru.run(x)
    f = fg.cell_flows(trace, 3, units=[1, 4])
    assert f["z"] == pytest.approx(trace.gates["update"][2, [1, 4]].mean())
    fig = fg.cell_diagram(trace, 3, units=[1, 4])
    assert "units 2, 5" in fig.layout.title.text
    assert fig.layout.meta["flows"]["r"] == pytest.approx(trace.gates["reset"][2, [1, 4]].mean())


def test_diagram_of_an_exploded_step_says_nan_instead_of_crashing(gru, x):
    trace = gru.run(x)
    trace.gates["update"][2] = np.nan
    fig = fg.cell_diagram(trace, 3)
    assert "NaN" in annotation(fig, "keep label")
    assert trace_of(fig, "keep path").line.dash == "dot"


def test_diagram_rejects_a_step_outside_the_sequence_and_a_non_gru_trace(gru, x):
    trace = gru.run(x)
    with pytest.raises(ValueError, match=r"\[1, 12\]"):
        fg.cell_diagram(trace, 0)
    with pytest.raises(ValueError, match="GRU"):
        fg.cell_diagram(gv.VanillaRNN(2, 3).run(x), 1)


# ----------------------------------------------------------------------------
# the step bars


def test_step_bars_show_the_five_vectors_of_the_step_on_their_fixed_ranges(gru, x):
    trace = gru.run(x)
    t = 9
    fig = fg.step_bars(trace, t, highlight=[2])
    bars = {tr.name: tr for tr in fig.data if tr.type == "bar"}
    assert list(bars) == ["h_prev", "r", "z", "n", "h"]
    np.testing.assert_array_equal(bars["h_prev"].x, trace.h[t - 2])
    np.testing.assert_array_equal(bars["r"].x, trace.gates["reset"][t - 1])
    np.testing.assert_array_equal(bars["z"].x, trace.gates["update"][t - 1])
    np.testing.assert_array_equal(bars["n"].x, trace.gates["candidate"][t - 1])
    np.testing.assert_array_equal(bars["h"].x, trace.h[t - 1])
    assert "reset" in fig.layout.annotations[1].text and "update" in fig.layout.annotations[2].text
    assert tuple(fig.layout.xaxis2.range) == (0, 1) and tuple(fig.layout.xaxis3.range) == (0, 1)  # gates
    assert tuple(fig.layout.xaxis.range) == (-1, 1) and tuple(fig.layout.xaxis5.range) == (-1, 1)  # states
    assert list(bars["z"].marker.line.width) == [0, 0, 2.5, 0, 0, 0]
    np.testing.assert_array_equal(bars["z"].y, np.arange(1, H + 1))


def test_step_bars_mark_non_finite_values(gru, x):
    trace = gru.run(x)
    trace.h[4, 1] = np.inf
    fig = fg.step_bars(trace, 5)
    (bad,) = [tr for tr in fig.data if tr.name == "h non-finite"]
    assert list(bad.y) == [2]


# ----------------------------------------------------------------------------
# the equations


@pytest.mark.parametrize("variant", ["torch", "cho2014"])
def test_equations_show_the_trace_values_and_pre_activations_that_reproduce_them(x, variant):
    gru = gv.GRU(2, H, seed=1, variant=variant, init_scale=2.0)
    trace = gru.run(x)
    t, units = 8, [0, 3, 5]
    eq = equations.gru_step_equations(gru, trace, t, units)
    v = eq.values
    np.testing.assert_array_equal(v["r"], trace.gates["reset"][t - 1, units])
    np.testing.assert_array_equal(v["z"], trace.gates["update"][t - 1, units])
    np.testing.assert_array_equal(v["n"], trace.gates["candidate"][t - 1, units])
    np.testing.assert_array_equal(v["h_prev"], trace.h[t - 2, units])
    np.testing.assert_array_equal(v["h"], trace.h[t - 1, units])
    np.testing.assert_allclose(sig(v["a_r"]), v["r"], atol=1e-14)
    np.testing.assert_allclose(sig(v["a_z"]), v["z"], atol=1e-14)
    np.testing.assert_allclose(np.tanh(v["a_in"] + (v["r"] * v["a_hn"] if variant == "torch" else v["a_hn"])), v["n"],
                               atol=1e-14)
    np.testing.assert_allclose((1 - v["z"]) * v["n"] + v["z"] * v["h_prev"], v["h"], atol=1e-14)
    # the numbers printed are those values, rounded to 4 decimals, in order
    assert numbers(eq.latex["update"]) == [round(a, 4) for a in v["a_z"]] + [round(z, 4) for z in v["z"]]
    assert numbers(eq.latex["hidden"]) == pytest.approx(
        [*v["z"], *v["n"], *v["z"], *v["h_prev"], *v["h"]], abs=5e-5)


def test_narrow_equations_break_only_the_long_symbolic_lines_and_keep_every_number(gru, x):
    trace = gru.run(x)
    wide, narrow = (equations.gru_step_equations(gru, trace, 3, [0, 1], narrow=n).latex for n in (False, True))
    for key in ("reset", "update", "candidate"):  # the symbolic line in two: one more line break
        assert narrow[key].count(r"\\") == wide[key].count(r"\\") + 1 and r"\qquad +" in narrow[key]
        assert numbers(narrow[key]) == numbers(wide[key])
    assert narrow["hidden"] == wide["hidden"]  # tall, not wide: unchanged


def test_equations_name_the_right_symbol_on_the_right_gate(gru, x):
    eq = equations.gru_step_equations(gru, gru.run(x), 2, [0])
    assert eq.latex["reset"].startswith(r"\begin{aligned} r_t &= \sigma(W_{ir}")
    assert eq.latex["update"].startswith(r"\begin{aligned} z_t &= \sigma(W_{iz}")
    assert r"(1 - z_t) \odot n_t + z_t \odot h_{t-1}" in eq.latex["hidden"]


def test_equations_printed_h_agrees_with_the_printed_parts(gru, x):
    eq = equations.gru_step_equations(gru, gru.run(x), 11, [1, 2])
    z, n, _, hp, h = np.array(numbers(eq.latex["hidden"])).reshape(5, 2)
    np.testing.assert_allclose((1 - z) * n + z * hp, h, atol=3e-4)


def test_equations_colour_each_gate_with_the_figure_colours(gru, x):
    eq = equations.gru_step_equations(gru, gru.run(x), 2, [0], colors={"update": "#0072B2", "reset": "#E69F00"})
    assert r"\textcolor{#0072B2}{z_t}" in eq.latex["update"]
    assert r"\textcolor{#E69F00}{r_t}" in eq.latex["reset"]


def test_equations_reject_bad_steps_units_and_cells(gru, x):
    trace = gru.run(x)
    with pytest.raises(ValueError, match="step t"):
        equations.gru_step_equations(gru, trace, 13, [0])
    with pytest.raises(ValueError, match="units"):
        equations.gru_step_equations(gru, trace, 1, [H])
    rnn = gv.VanillaRNN(2, 3)
    with pytest.raises(ValueError, match="GRU"):
        equations.gru_step_equations(rnn, rnn.run(x), 1, [0])


def test_non_finite_numbers_are_spelled_out():
    assert equations.fmt(np.nan) == r"\text{NaN}"
    assert equations.fmt(np.inf) == r"+\infty"
    assert equations.fmt(-0.00001) == "0.0000"


# ----------------------------------------------------------------------------
# eigenvalues and the influence heatmap


def test_eigen_figure_plots_the_eigenvalues_and_the_unit_circle():
    lam = np.array([0.5 + 0.5j, 0.5 - 0.5j, -2.0])
    fig = fg.eigen_figure({"RNN W_hh": lam})
    circle, pts = fig.data
    np.testing.assert_allclose(np.hypot(circle.x, circle.y), 1.0)
    np.testing.assert_array_equal(pts.x, lam.real)
    np.testing.assert_array_equal(pts.y, lam.imag)
    assert fig.layout.xaxis.range[1] >= 2.0  # the eigenvalue outside the circle is in view
    assert fig.layout.yaxis.scaleanchor == "x"


def test_influence_figure_is_log10_on_a_shared_fixed_scale_with_exploded_cells_marked():
    T, Hs = 10, 4
    a = np.full((T + 1, Hs), 1e-3)
    a[0, 0] = 0.0  # underflow
    b = np.full((T + 1, Hs), 10.0)
    b[:3, 1] = np.nan  # exploded
    fig = fg.influence_figure({"RNN": a, "GRU": b})
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert [h.coloraxis for h in heat] == ["coloraxis", "coloraxis"]
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == fg.INFLUENCE_RANGE
    z0 = np.array(heat[0].z, dtype=float)
    assert z0.shape == (Hs, T + 1)  # rows = units, columns = t = 0..T
    assert z0[1, 5] == pytest.approx(-3.0)
    assert z0[0, 0] == fg.UNDERFLOW_LOG  # exact zero: darkest colour, not "exploded"
    np.testing.assert_array_equal(heat[0].x, np.arange(T + 1))
    (bad,) = [t for t in fig.data if t.name == "GRU non-finite"]
    assert list(bad.y) == [2, 2, 2] and list(bad.x) == [0, 1, 2]
    assert "NaN/inf" in fig.layout.title.text


def test_influence_figure_says_a_shared_stride_once_and_makes_room_for_it():
    """Long runs show every k-th step; the note sits on its own line above the panel names."""
    long = {name: np.ones((501, 128)) for name in ("RNN", "GRU", "LSTM")}
    fig = fg.influence_figure(long)
    k = fg.time_stride(501, 128, 12_000)
    assert k > 1 and fig.layout.title.text.count(f"every {k}th step shown") == 1
    assert fig.layout.margin.t >= 90
    assert fg.influence_figure({"RNN": np.ones((11, 4))}).layout.margin.t < 90  # no note, no extra room
    mixed = fg.influence_figure({"RNN": np.ones((501, 128)), "GRU": np.ones((11, 4))})
    assert "RNN: every" in mixed.layout.title.text and "GRU: every" not in mixed.layout.title.text


def test_diagram_numbers_read_cleanly():
    assert [fg._num(v) for v in (-0.001, -0.006, 0.5, np.inf, -np.inf, np.nan)] == ["0.00", "-0.01", "0.50", "∞", "−∞", "NaN"]


def test_influence_colourscale_avoids_streamlit_placeholder_colours():
    # Streamlit swaps #000001..#000010 for theme colours in the browser
    colours = [c for _, c in fg.INFLUENCE_COLORSCALE]
    assert not any(re.fullmatch(r"#0000(0\d|10)", c) for c in colours)


def test_mark_threshold_labels_the_lag_the_caption_names():
    d = np.array([1.0, 1e-2, 1e-5, 1e-7, 1e-9])
    fig = fg.mark_threshold(gv_figure(), {"RNN": d}, 1e-6)
    (m,) = [t for t in fig.data if t.name == "RNN below 1e-06"]
    assert list(m.x) == [3] and m.text == ("k = 3",)
    assert "after **3** steps" in lab.caption({"RNN": d})


def test_mark_threshold_marks_a_curve_that_drops_to_exactly_zero_on_the_line(recwarn):
    """A relu RNN's product can be exactly 0: a point a log axis cannot show, so the marker sits on the threshold
    line at the lag the caption names (before, it was placed at log10(0), with a RuntimeWarning)."""
    d = np.array([1.0, 1e-3, 0.0, 0.0])
    fig = fg.mark_threshold(gv_figure(), {"RNN (relu)": d}, 1e-6)
    (m,) = [t for t in fig.data if t.name == "RNN (relu) below 1e-06"]
    assert list(m.x) == [2] and list(m.y) == [1e-6]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("threshold", [0.0, -1e-6, float("nan"), float("inf")])
def test_mark_threshold_refuses_a_line_a_log_axis_cannot_draw(threshold):
    with pytest.raises(ValueError, match="threshold must be a positive number"):
        fg.mark_threshold(gv_figure(), {"RNN": np.array([1.0, 0.5])}, threshold)


def test_mark_threshold_puts_the_legend_where_the_curves_are_not():
    """Curves start at 1: falling ones leave the lower left empty, rising ones (exploding) the upper left."""
    falling = fg.mark_threshold(gv_figure(), {"RNN": np.array([1.0, 1e-3]), "GRU": np.array([1.0, 2.0])})
    rising = fg.mark_threshold(gv_figure(), {"RNN": np.array([1.0, 1e9]), "GRU": np.array([1.0, np.inf])})
    assert (falling.layout.legend.yanchor, falling.layout.legend.y) == ("bottom", 0.01)
    assert (rising.layout.legend.yanchor, rising.layout.legend.y) == ("top", 0.99)


def gv_figure():
    import plotly.graph_objects as go

    return go.Figure()


# ----------------------------------------------------------------------------
# the lab's core


def test_lab_builds_the_three_cells_with_the_same_radius_and_keep_bias():
    from gru_viz import weights

    models = {k: lab.build(k, 1, 5, radius=1.3, update_bias=2.0) for k in ("RNN", "GRU", "LSTM")}
    for m in models.values():
        for b in m.block_names:
            assert weights.spectral_radius(m.block(b)) == pytest.approx(1.3)
    np.testing.assert_array_equal(weights.gate_bias(models["GRU"], "update"), 2.0)
    np.testing.assert_array_equal(weights.gate_bias(models["LSTM"], "forget"), 2.0)


def test_lab_build_is_computed_once_and_hands_out_independent_copies():
    a = lab.build("GRU", 2, 6, seed=3, radius=1.4)
    a.weight_hh[:] = 0.0  # a caller's change stays with its copy
    b = lab.build("GRU", 2, 6, seed=3, radius=1.4)
    assert b is not a and b.weight_hh.any()
    for block in b.block_names:
        assert weights.spectral_radius(b.block(block)) == pytest.approx(1.4)
    np.testing.assert_array_equal(b.weight_hh, lab.build("GRU", 2, 6, seed=3, radius=1.4).weight_hh)


def test_lab_analyse_matches_the_core_functions():
    gru = lab.build("GRU", 1, 4)
    x = gv.tasks.sine(30)
    clamp = lab.clamp_values("reset", 0.5, np.array([1, 2]), 4)
    r = lab.analyse(gru, x, clamp=clamp)
    np.testing.assert_array_equal(r.decay, gv.gradient_decay(gru, x, clamp=clamp))
    np.testing.assert_array_equal(r.influence, gv.influence(gru, gru.run(x, clamp=clamp)))
    np.testing.assert_array_equal(r.trace.gates["reset"][:, [1, 2]], 0.5)
    assert not r.exploded


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_the_labs_cached_eigenvalues_are_those_of_the_cell_it_builds(kind):
    args = dict(seed=2, radius=1.3, nonlinearity="relu", update_bias=-1.0)
    built = lab.build(kind, 3, 6, **args)
    np.testing.assert_array_equal(lab.eigenvalues(kind, 3, 6, **args), weights.eigenvalues(built))
    assert np.abs(lab.eigenvalues(kind, 3, 6, **args)).max() == pytest.approx(1.3)  # the radius asked for
    x = gv.tasks.noise(20, D=3)
    assert lab.analyse(built, x, with_eigenvalues=False).eigenvalues is None  # the page has them already
    np.testing.assert_array_equal(lab.analyse(built, x).eigenvalues, weights.eigenvalues(built))


def test_the_lab_measures_the_lstms_hidden_state_as_its_title_says():
    """||d h_T / d h_{T-k}|| for all three cells: for the LSTM the h block of [h, c], not the whole state."""
    lstm, x = lab.build("LSTM", 1, 5), gv.tasks.noise(30)
    r = lab.analyse(lstm, x)
    decay, influence = gv.gradients.decay_and_influence(lstm, lstm.run(x), hidden_only=True)
    np.testing.assert_array_equal(r.decay, decay)
    np.testing.assert_array_equal(r.influence, influence)
    assert r.influence.shape == (31, 5)
    assert not np.allclose(r.decay, gv.gradient_decay(lstm, x))  # the whole state's curve is another one
    np.testing.assert_array_equal(lab.analyse(lstm, x, with_influence=False).decay, decay)


def test_clamping_the_update_gate_to_one_keeps_the_gradient_at_one():
    gru = lab.build("GRU", 1, 4, update_bias=0.0)
    r = lab.analyse(gru, gv.tasks.noise(40), clamp=lab.clamp_values("update", 1.0, None, 4))
    np.testing.assert_allclose(r.decay, 1.0, atol=1e-12)


def test_a_relu_rnn_at_large_radius_is_reported_as_exploding():
    rnn = lab.build("RNN", 1, 8, radius=3.0, nonlinearity="relu")
    r = lab.analyse(rnn, gv.tasks.noise(500, scale=5.0))
    assert r.decay[-1] > 1e6 or r.exploded
    assert "explodes" in lab.caption({"RNN": r.decay})


def test_parse_units_reads_lists_and_ranges_numbered_from_one():
    assert lab.parse_units("all", 8) is None
    np.testing.assert_array_equal(lab.parse_units("1, 3-5", 8), [0, 2, 3, 4])
    for bad in ("0", "9", "x", "3-1"):
        with pytest.raises(ValueError):
            lab.parse_units(bad, 8)
    with pytest.raises(ValueError, match="from low to high, e.g. '1-3'"):  # says what is wrong with a reversed range
        lab.parse_units("3-1", 8)


def test_a_lesson_influence_picture_fits_its_colours_to_its_magnitudes():
    # magnitudes 1e-3.5 .. 1 on the fixed 1e-12 .. 1e2 range all look alike; fitted, they span the colour bar
    mags = {"RNN (tanh)": 10.0 ** np.linspace(-3.5, 0.0, 61)[:, None] * np.ones((1, 4))}
    assert fg.influence_log_range(mags) == (-4.0, 0.0)
    assert fg.influence_log_range({"x": np.array([[0.5, 0.0, np.nan, np.inf]])}) == (-3.0, 0.0)  # at least 3 decades
    assert fg.influence_log_range({"x": np.zeros((3, 2))}) == (-1.0, 2.0)
    fig = fg.influence_figure(mags, log_range=(-4.0, 0.0))
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-4.0, 0.0)
    assert list(fig.layout.coloraxis.colorbar.tickvals) == [-4, -3, -2, -1, 0]
    assert fig.layout.meta["log_range"] == [-4.0, 0.0]


def test_the_legend_avoids_a_curve_that_falls_through_the_lower_left():
    # a curve from the top left to the bottom right (a steady decay) fills the lower left: the upper right is empty
    diagonal = np.logspace(0, -8, 101)
    assert fg.legend_corner([diagonal], 1e-6) == ("right", "top")
    fig = fg.mark_threshold(gv_figure(), {"RNN": diagonal}, 1e-6)
    assert (fig.layout.legend.x, fig.layout.legend.xanchor, fig.layout.legend.y) == (0.99, "right", 0.99)
    # two curves that start together at 1 and fall apart leave the lower left empty
    assert fg.legend_corner([np.logspace(0, -3, 50), np.ones(50)], 1e-6) == ("left", "bottom")


def test_the_headline_names_the_gradient_first_and_says_grows_when_it_grows():
    kept, grown, gone = np.linspace(1, 0.5, 201), np.linspace(1, 2, 201), np.geomspace(1, 1e-9, 201)
    assert lab.caption({"LSTM": grown, "GRU": kept}) == (
        "The LSTM's gradient grows to 2.0e+00 over all 200 steps; the GRU's is still 5.0e-01 after all 200 steps.")
    assert lab.caption({"RNN": gone, "GRU": kept}).endswith("; the GRU's is still 5.0e-01 after all 200 steps.")
    assert lab.caption({"GRU": np.array([1.0, 0.7])}) == "The GRU's gradient is still 7.0e-01 after its one step."


def test_a_marker_label_moves_off_a_curve_that_runs_through_it():
    gru = np.geomspace(1, 1e-60, 201)  # crosses 1e-6 at k = 21
    rnn = np.geomspace(1, 1e-12, 201)  # just above that point for the next 20 lags
    lstm = np.ones(201)
    fig = fg.mark_threshold(gv_figure(), {"RNN": rnn, "GRU": gru, "LSTM": lstm}, 1e-6)
    (m,) = [t for t in fig.data if t.name == "GRU below 1e-06"]
    assert m.textposition == "bottom right"
    alone = fg.mark_threshold(gv_figure(), {"GRU": gru}, 1e-6)
    assert [t.textposition for t in alone.data if t.name == "GRU below 1e-06"] == ["top right"]
