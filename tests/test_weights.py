import numpy as np
import pytest

import gru_viz as gv
from gru_viz import weights


def models(H=6):
    return [gv.VanillaRNN(2, H, seed=1), gv.GRU(2, H, seed=2), gv.LSTM(2, H, seed=3)]


@pytest.mark.parametrize("model", models(), ids=lambda m: m.kind)
def test_scale_recurrent_gives_every_block_the_requested_spectral_radius(model):
    scaled = weights.scale_recurrent(model, 1.7)
    for name in model.block_names:
        assert weights.spectral_radius(scaled.block(name)) == pytest.approx(1.7, rel=1e-10)


@pytest.mark.parametrize("model", models(), ids=lambda m: m.kind)
def test_scale_recurrent_multiplies_each_block_by_one_number(model):
    scaled = weights.scale_recurrent(model, 0.5)
    for name in model.block_names:
        W, V = model.block(name), scaled.block(name)
        ratio = 0.5 / weights.spectral_radius(W)
        np.testing.assert_allclose(V, W * ratio, rtol=1e-12)
        ev, ev_scaled = np.sort_complex(np.linalg.eigvals(W)), np.sort_complex(np.linalg.eigvals(V))
        np.testing.assert_allclose(ev_scaled, ev * ratio, atol=1e-10)


def test_scale_recurrent_leaves_input_weights_biases_and_the_original_alone():
    gru = gv.GRU(3, 5, seed=0)
    before = {k: getattr(gru, k).copy() for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    scaled = weights.scale_recurrent(gru, 3.0)
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(gru, k), v)  # original untouched
    for k in ("weight_ih", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(getattr(scaled, k), before[k])


def test_scale_recurrent_can_target_one_block_only():
    gru = gv.GRU(1, 4, seed=0)
    scaled = weights.scale_recurrent(gru, 2.0, blocks=("candidate",))
    assert weights.spectral_radius(scaled.block("candidate")) == pytest.approx(2.0)
    np.testing.assert_array_equal(scaled.block("update"), gru.block("update"))
    np.testing.assert_array_equal(scaled.block("reset"), gru.block("reset"))


def test_rnn_jacobian_norm_shrinks_geometrically_below_radius_one():
    # h_t = tanh(W h_{t-1}) with tanh' <= 1: ||d h_T / d h_0|| <= ||W^T|| decays like rho^T
    rnn = weights.scale_recurrent(gv.VanillaRNN(1, 8, seed=0), 0.5)
    decay = gv.gradient_decay(rnn, np.zeros((60, 1)))
    assert decay[60] < 1e-10


def test_eigenvalues_default_to_the_main_block_of_each_cell():
    rnn, gru, lstm = models()
    np.testing.assert_allclose(np.sort_complex(weights.eigenvalues(rnn)), np.sort_complex(np.linalg.eigvals(rnn.weight_hh)))
    H = gru.hidden_size
    np.testing.assert_allclose(
        np.sort_complex(weights.eigenvalues(gru)), np.sort_complex(np.linalg.eigvals(gru.weight_hh[2 * H : 3 * H]))
    )
    np.testing.assert_allclose(
        np.sort_complex(weights.eigenvalues(lstm, "forget")), np.sort_complex(np.linalg.eigvals(lstm.weight_hh[H : 2 * H]))
    )


def test_set_update_gate_bias_sets_the_sum_of_torch_s_two_biases():
    gru = gv.GRU(1, 5, seed=0)
    out = weights.set_gate_bias(gru, "update", 3.0)
    H = 5
    np.testing.assert_array_equal(out.bias_ih[H : 2 * H], 3.0)  # b_iz
    np.testing.assert_array_equal(out.bias_hh[H : 2 * H], 0.0)  # b_hz
    np.testing.assert_array_equal(weights.gate_bias(out, "update"), 3.0)
    # the other gates keep their biases
    np.testing.assert_array_equal(out.bias_ih[:H], gru.bias_ih[:H])
    np.testing.assert_array_equal(out.bias_hh[2 * H :], gru.bias_hh[2 * H :])


def test_update_gate_bias_is_what_the_gate_sees_at_rest():
    # x = 0 and h_0 = 0: the pre-activation is exactly the total bias, so z_1 = sigmoid(b)
    b = np.array([-2.0, 0.0, 1.0, 4.0])
    gru = weights.set_gate_bias(gv.GRU(1, 4, seed=0), "update", b)
    trace = gru.run(np.zeros((1, 1)))
    np.testing.assert_allclose(trace.gates["update"][0], 1.0 / (1.0 + np.exp(-b)), rtol=1e-15)


def test_set_gate_bias_matches_torch():
    torch = pytest.importorskip("torch")
    gru = weights.set_gate_bias(gv.GRU(2, 4, seed=0), "update", 2.5)
    m = gru.to_torch()
    x = np.random.default_rng(0).standard_normal((7, 2))
    with torch.no_grad():
        out, _ = m(torch.tensor(x[:, None, :]))
    np.testing.assert_allclose(out[:, 0].numpy(), gru.run(x).h, atol=1e-12)
    assert float((m.bias_ih_l0[4:8] + m.bias_hh_l0[4:8]).detach().sum()) == pytest.approx(4 * 2.5)


def test_lstm_forget_bias_can_be_set():
    lstm = weights.set_gate_bias(gv.LSTM(1, 3, seed=0), "forget", 1.0)
    np.testing.assert_array_equal(weights.gate_bias(lstm, "forget"), 1.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: weights.scale_recurrent(gv.GRU(1, 3), -1.0), "finite number >= 0"),
        (lambda: weights.scale_recurrent(gv.GRU(1, 3), float("nan")), "finite number >= 0"),
        (lambda: weights.scale_recurrent(gv.GRU(1, 3), 1.0, blocks=("forget",)), "no recurrent block 'forget'"),
        (lambda: weights.eigenvalues(gv.LSTM(1, 3), "update"), "no recurrent block 'update'"),
        (lambda: weights.set_gate_bias(gv.VanillaRNN(1, 3), "update", 1.0), "no gates"),
        (lambda: weights.set_gate_bias(gv.GRU(1, 3), "forget", 1.0), "no gate 'forget'"),
        (lambda: weights.set_gate_bias(gv.GRU(1, 3, bias=False), "update", 1.0), "bias=False"),
        (lambda: weights.set_gate_bias(gv.GRU(1, 3), "update", np.inf), "finite"),
        (lambda: weights.set_gate_bias(gv.GRU(1, 3), "update", [1.0, 2.0]), "shape"),
        (lambda: weights.spectral_radius(np.ones((2, 3))), "square"),
    ],
)
def test_bad_arguments_raise_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_zero_block_cannot_be_scaled_up():
    rnn = gv.VanillaRNN(1, 3)
    rnn.weight_hh[:] = 0.0
    with pytest.raises(ValueError, match="spectral radius 0"):
        weights.scale_recurrent(rnn, 1.0)
    np.testing.assert_array_equal(weights.scale_recurrent(rnn, 0.0).weight_hh, 0.0)
