"""Specification of the compare and phase-portrait figure builders."""

import numpy as np

import gru_viz as gv
from gru_viz import dynamics, figures_compare, registry


def _runs(keys, T=10, H=3):
    return registry.compare_runs(keys, gv.tasks.sine(T), H, seed=0, init_scale=2.0)


def test_every_selected_cell_gets_its_own_colour():
    keys = ["gru", "gru_hard", "lstm", "lstm_hard"]
    colors = figures_compare.colors_for(keys)
    assert len(set(colors.values())) == 4
    assert colors["gru"] == figures_compare.KEY_COLORS["gru"]


def test_gate_figure_has_one_heatmap_per_gate_and_state_on_fixed_scales():
    runs = _runs(["gru", "lstm", "mgu", "mingru"])
    fig = figures_compare.compare_gates_figure([(r["label"], r["kind"], r["trace"]) for r in runs])
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 3 + 4 + 2 + 2  # gates without candidates, plus h, per cell
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0, 1)
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmax) == (-1, 1)
    titles = [a.text for a in fig.layout.annotations]
    assert any("MGU</b> · forget f (1 = REPLACE" in t for t in titles)
    assert any("GRU</b> · update z (1 = keep old state)" in t for t in titles)
    with_c = figures_compare.compare_gates_figure([(r["label"], r["kind"], r["trace"]) for r in runs], with_candidates=True)
    assert sum(t.type == "heatmap" for t in with_c.data) == len(heat) + 4  # n, g, n, n


def test_exploded_run_is_marked_not_crashed():
    model = gv.MinGRU(1, 2, seed=0)
    model.weight_ih[2:] = 1e308
    trace = model.run(np.full((4, 1), 10.0))
    fig = figures_compare.compare_gates_figure([("minGRU", "minGRU", trace)])
    assert "infinite" in fig.layout.title.text


def test_decay_overlay_is_log_scale_with_the_given_colours():
    runs = _runs(["rnn", "gru3"])
    fig = figures_compare.compare_decay_figure({r["label"]: r["decay"] for r in runs},
                                               {"RNN (tanh)": "#111111", "GRU3 (Dey & Salem)": "#222222"},
                                               dashed=["GRU3 (Dey & Salem)"])
    assert fig.layout.yaxis.type == "log"
    assert [(t.name, t.line.color, t.line.dash) for t in fig.data] == [
        ("RNN (tanh)", "#111111", None), ("GRU3 (Dey & Salem)", "#222222", "dash")]


def test_phase_portrait_draws_both_panels_on_one_arrow_scale():
    rnn, gru = dynamics.two_unit_cells(np.array([[2.0, -0.5], [0.5, 2.0]]), b_update=2.0)
    panels = [{"title": "RNN", **dynamics.portrait(rnn, 0.3, n=7, steps=5)},
              {"title": "GRU", **dynamics.portrait(gru, 0.3, n=7, steps=5)}]
    fig = figures_compare.phase_portrait_figure(panels, lim=1.2)
    arrows = [t for t in fig.data if t.name == "step F(h) − h"]
    assert len(arrows) == 2
    # same scale: the GRU's arrows are shorter in the figure exactly as its steps are shorter
    span = [np.nanmax(np.abs(np.diff(np.array(a.x, dtype=float)))) for a in arrows]
    assert span[1] < span[0]
    assert sum(t.type == "heatmap" for t in fig.data) == 2
    assert any(t.name == "stable fixed point" for t in fig.data)


def test_fitted_arrows_make_both_panels_equally_long():
    rnn, gru = dynamics.two_unit_cells(np.array([[2.0, -0.5], [0.5, 2.0]]), b_update=2.0)
    panels = [{"title": t, **dynamics.portrait(m, 0.3, n=7, steps=5)} for t, m in (("RNN", rnn), ("GRU", gru))]
    fig = figures_compare.phase_portrait_figure(panels, lim=1.2, same_scale=False)
    arrows = [t for t in fig.data if t.name == "step F(h) − h"]
    span = [np.nanmax(np.abs(np.diff(np.array(a.x, dtype=float)))) for a in arrows]
    assert abs(span[1] / span[0] - 1) < 0.5


def test_a_non_finite_arrow_is_left_out_and_does_not_shrink_the_others():
    rnn, gru = dynamics.two_unit_cells(np.array([[2.0, -0.5], [0.5, 2.0]]), b_update=2.0)
    panels = [{"title": t, **dynamics.portrait(m, 0.3, n=7, steps=5)} for t, m in (("RNN", rnn), ("GRU", gru))]
    clean = [np.array(t.x, dtype=float) for t in figures_compare.phase_portrait_figure(panels, lim=1.2).data
             if t.name == "step F(h) − h"]
    h1, h2, d1, d2 = panels[0]["field"]
    d1 = d1.copy()
    d1[0] = np.inf  # one exploded step
    panels[0] = {**panels[0], "field": (h1, h2, d1, d2)}
    poisoned = [np.array(t.x, dtype=float) for t in figures_compare.phase_portrait_figure(panels, lim=1.2).data
                if t.name == "step F(h) − h"]
    assert np.isnan(poisoned[0][1:3]).all()  # the first arrow's tip and barb: a gap, not a line to infinity
    assert np.array_equal(poisoned[0][7:], clean[0][7:], equal_nan=True)  # every other arrow as before
    assert np.array_equal(poisoned[1], clean[1], equal_nan=True)


def test_the_gate_stack_of_long_runs_says_its_stride_once_with_room_above_the_first_panel():
    x = np.zeros((500, 1))
    runs = [(registry.get(k).label, registry.build(k, 1, 32).kind, registry.build(k, 1, 32).run(x)) for k in ("gru", "lstm")]
    fig = figures_compare.compare_gates_figure(runs)
    assert fig.layout.title.text.count("step shown") == 1
    assert fig.layout.margin.t >= 90
