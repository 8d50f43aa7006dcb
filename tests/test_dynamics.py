"""Specification of gru_viz.dynamics: the 2-unit map, its fixed points and why the update gate slows it."""

import numpy as np
import pytest
import torch

from gru_viz import dynamics as dy
from gru_viz.cells import GRU, LSTM, VanillaRNN
from gru_viz.variants import MGU

W = np.array([[2.0, -0.5], [0.5, 2.0]])  # strong self-excitation: several fixed points
X = 0.3


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def test_step_is_the_written_out_rnn_and_gru_equations():
    rnn, gru = dy.two_unit_cells(W, b_update=1.0, b_reset=0.5, w_update=0.7, bias=(0.1, -0.2))
    h = np.array([0.3, -0.6])
    n_rnn = np.tanh(W @ h + dy.INPUT_WEIGHTS * X + [0.1, -0.2])
    r = _sigmoid(0.5 + 0 * h)
    z = _sigmoid(1.0 + 0.7 * h)
    n = np.tanh(dy.INPUT_WEIGHTS * X + [0.1, -0.2] + r * (W @ h))
    assert np.abs(dy.step(rnn, h, X)[0] - n_rnn).max() <= 1e-15
    assert np.abs(dy.step(gru, h, X)[0] - ((1 - z) * n + z * h)).max() <= 1e-15


def test_step_jacobian_matches_autograd_of_the_gru_step():
    _, gru = dy.two_unit_cells(W, b_update=0.3, b_reset=-0.4, w_update=1.5)
    h = np.array([0.2, 0.7])
    Wt, u = torch.from_numpy(W), torch.from_numpy(dy.INPUT_WEIGHTS)

    def F(h):
        r = torch.sigmoid(torch.full((2,), -0.4, dtype=torch.float64))
        z = torch.sigmoid(0.3 + 1.5 * h)
        n = torch.tanh(u * X + r * (Wt @ h))
        return (1 - z) * n + z * h

    J_ref = torch.autograd.functional.jacobian(F, torch.from_numpy(h)).numpy()
    assert np.abs(dy.step_jacobian(gru, h, X) - J_ref).max() <= 1e-12


def test_fixed_points_are_fixed_and_classified_by_their_eigenvalues():
    rnn, _ = dy.two_unit_cells(W)
    fps = dy.fixed_points(rnn, X)
    assert len(fps) >= 3  # two attractors and the saddles / source between them
    for fp in fps:
        assert np.abs(dy.step(rnn, fp.h, X)[0] - fp.h).max() <= 1e-10
        mod = np.abs(fp.eigenvalues)
        assert fp.kind == ("stable" if (mod < 1).all() else "unstable" if (mod > 1).all() else "saddle")
    assert sum(fp.kind == "stable" for fp in fps) == 2
    assert fps[0].kind == "stable"


def test_contracting_rnn_has_one_stable_fixed_point_that_trajectories_reach():
    rnn, _ = dy.two_unit_cells(0.5 * np.eye(2))
    (fp,) = dy.fixed_points(rnn, X)
    assert fp.kind == "stable" and fp.rate < 1
    path = dy.trajectory(rnn, [-1.0, 1.0], X, steps=60)
    assert path.shape == (61, 2)
    assert np.abs(path[-1] - fp.h).max() < 1e-10


@pytest.mark.parametrize("b_update", [-1.0, 0.0, 2.0])
def test_update_gate_keeps_the_fixed_points_and_shrinks_every_arrow_by_one_minus_z(b_update):
    # reset gate fully open (s(40) == 1.0 in float64) and z constant: F_gru = z h + (1 - z) F_rnn
    rnn, gru = dy.two_unit_cells(W, b_update=b_update, b_reset=40.0)
    z = _sigmoid(b_update)
    fr, fg = dy.fixed_points(rnn, X), dy.fixed_points(gru, X)
    assert len(fr) == len(fg)
    for a, b in zip(fr, fg, strict=True):
        assert np.abs(a.h - b.h).max() <= 1e-9
        assert a.kind == b.kind
        assert np.abs(np.sort_complex(b.eigenvalues) - np.sort_complex(z + (1 - z) * a.eigenvalues)).max() <= 1e-9
    *_, d1r, d2r = dy.vector_field(rnn, X, n=9)
    *_, d1g, d2g = dy.vector_field(gru, X, n=9)
    assert np.abs(np.hypot(d1g, d2g) - (1 - z) * np.hypot(d1r, d2r)).max() <= 1e-12


def test_gru_takes_longer_to_settle_than_the_rnn():
    rnn, gru = dy.two_unit_cells(0.5 * np.eye(2), b_update=2.0, b_reset=40.0)
    target = dy.fixed_points(rnn, X)[0].h
    k_rnn = dy.steps_to_settle(dy.trajectory(rnn, [-1, 1], X, 200), target)
    k_gru = dy.steps_to_settle(dy.trajectory(gru, [-1, 1], X, 200), target)
    assert k_rnn is not None and k_gru is not None and k_gru > 3 * k_rnn


def test_speed_grid_is_the_arrow_length_on_the_grid():
    rnn, _ = dy.two_unit_cells(W)
    g, speed = dy.speed_grid(rnn, X, lim=1.0, n=5)
    assert g.shape == (5,) and speed.shape == (5, 5)
    h = np.array([g[1], g[3]])  # column 1 = h1, row 3 = h2
    assert abs(speed[3, 1] - np.linalg.norm(dy.step(rnn, h, X)[0] - h)) <= 1e-15


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match=r"W must be \(2, 2\)"):
        dy.two_unit_cells(np.eye(3))
    with pytest.raises(ValueError, match="finite"):
        dy.two_unit_cells(W, b_update=float("inf"))
    with pytest.raises(ValueError, match="grid size"):
        dy.vector_field(dy.two_unit_cells(W)[0], n=1000)


def test_steps_to_settle_reports_never_as_none():
    path = np.array([[1.0, 1.0], [0.5, 0.5], [0.0, 0.0], [0.0, 0.0]])
    assert dy.steps_to_settle(path, [0.0, 0.0]) == 2
    assert dy.steps_to_settle(path, [5.0, 5.0]) is None


def test_settle_steps_counts_the_gru_as_slower_and_refuses_cycles():
    rnn, gru = dy.two_unit_cells(0.5 * np.eye(2), b_update=2.0, b_reset=40.0)
    k_rnn, k_gru = dy.settle_steps(rnn, [-1, 1], X), dy.settle_steps(gru, [-1, 1], X)
    assert 0 < k_rnn < k_gru
    rotation = 3.0 * np.array([[0.0, -1.0], [1.0, 0.0]])  # strong rotation: the tanh RNN oscillates, no settling
    rnn_rot, _ = dy.two_unit_cells(rotation)
    assert dy.settle_steps(rnn_rot, [0.5, 0.5], 0.0, max_steps=200) is None  # no attractor at all
    _, slow = dy.two_unit_cells(0.5 * np.eye(2), b_update=5.0, b_reset=40.0)  # z = 0.993: too slow for 300 steps
    assert dy.settle_steps(slow, [-1, 1], X, max_steps=300) is None
    assert dy.settle_steps(slow, [-1, 1], X, max_steps=5000) > 300


@pytest.mark.parametrize("w_update", [0.0, 1.5])
def test_newton_jacobians_are_the_closed_form_jacobians_to_1e_8(w_update):
    rnn, gru = dy.two_unit_cells(W, b_update=0.3, b_reset=-0.4, w_update=w_update)
    h = np.array([[0.2, 0.7], [-0.9, 0.1], [1.5, -2.0]])  # (3, 2), one state outside the plotted square
    for model in (rnn, gru):
        J = dy._newton_jacobians(model, h, X)  # (3, 2, 2) central differences, one batched call
        exact = np.stack([dy.step_jacobian(model, h_i, X) for h_i in h])
        assert np.abs(J - exact).max() <= 1e-8


@pytest.mark.parametrize("settings", [dict(W=W, b_update=2.0), dict(W=0.5 * np.eye(2), b_update=5.0),
                                      dict(W=3.0 * np.array([[0.0, -1.0], [1.0, 0.0]]))])
def test_trajectory_cut_short_once_still_is_the_whole_trajectory(settings):
    """settle_steps follows a trajectory only until a step leaves the state exactly unchanged: the same states."""
    for model in dy.two_unit_cells(**settings):
        for h0 in dy.START_POINTS:
            full = dy.trajectory(model, h0, X, 1000)
            assert np.array_equal(dy._trajectory_until_still(model, h0, X, 1000), full)


def test_portrait_bundles_field_fixed_points_and_trajectories():
    rnn, _ = dy.two_unit_cells(W)
    p = dy.portrait(rnn, X, n=7, steps=5)
    assert len(p["field"][0]) == 49 and p["speed"][1].shape == (15, 15)
    assert len(p["trajectories"]) == 4 and p["trajectories"][0].shape == (6, 2)
    assert len(p["settle"]) == 4 and p["mean_step"] > 0
    assert {fp.kind for fp in p["fixed_points"]} >= {"stable", "saddle"}


ONE_STEP_CELLS = {
    "tanh RNN": lambda: VanillaRNN(3, 5, seed=1),
    "relu RNN": lambda: VanillaRNN(3, 5, nonlinearity="relu", seed=2),
    "GRU": lambda: GRU(3, 5, seed=3),
    "GRU without bias": lambda: GRU(3, 5, bias=False, seed=4),
    "GRU cho2014, hard sigmoid": lambda: GRU(3, 5, variant="cho2014", gate_activation="hard_sigmoid", seed=5),
    "LSTM (runs once per state)": lambda: LSTM(3, 5, seed=6),
    "MGU (runs once per state)": lambda: MGU(3, 5, seed=7),
}


@pytest.mark.parametrize("name", list(ONE_STEP_CELLS))
def test_one_step_of_a_batch_of_states_is_each_state_run_for_one_step(name):
    model = ONE_STEP_CELLS[name]()
    rng = np.random.default_rng(0)
    h = rng.uniform(-1.5, 1.5, (37, 5))  # (N, H)
    x = rng.normal(size=3)  # (D,)
    expected = np.stack([model.run(x[None], h_i).h[0] for h_i in h])
    np.testing.assert_allclose(model.one_step(x, h), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(dy.step(model, h, 0.0)[0], model.run(np.zeros((1, 3)), h[0]).h[0], rtol=0, atol=1e-14)


def test_one_step_refuses_states_of_the_wrong_size_or_not_finite():
    model = GRU(3, 5, seed=0)
    with pytest.raises(ValueError, match=r"h must be \(N, 5\)"):
        model.one_step(np.zeros(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.one_step(np.zeros(3), np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="input_size"):
        model.one_step(np.zeros(2), np.zeros((2, 5)))
