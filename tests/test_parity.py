"""The NumPy cells compute exactly what torch computes (float64, max abs error <= 1e-10).

Hidden states come from torch's own modules (nn.RNN/GRU/LSTM and their Cell
versions); every recorded gate comes from a torch-ops reference step fed the
module's weights (tests/torch_reference.py), which is itself checked against
the modules here. Sizes and lengths are drawn at random per seed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

import gru_viz as gv
from tests import torch_reference as ref

TOL = 1e-10
SEEDS = [0, 1, 2, 3]
CELLS = {"RNN": gv.VanillaRNN, "GRU": gv.GRU, "LSTM": gv.LSTM}


def _sizes(seed):
    """Random (D, H, T) for one seed: small enough to stay fast, varied enough to catch layout bugs."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, 7)), int(rng.integers(1, 13)), int(rng.integers(1, 40)), rng


def _torch_module(kind, D, H, bias, seed, cell=False, nonlinearity="tanh"):
    torch.manual_seed(seed)
    kwargs = {"bias": bias, "dtype": torch.float64}
    if kind == "RNN":
        kwargs["nonlinearity"] = nonlinearity
    return getattr(nn, kind + ("Cell" if cell else ""))(D, H, **kwargs)


def _torch_forward(module, x, h0, c0=None):
    """(T, H) hidden states, and for the LSTM the cell states ((T, H) from a Cell, the last (1, H) from nn.LSTM)."""
    xt, ht = torch.from_numpy(x), torch.from_numpy(h0)
    with torch.no_grad():
        if isinstance(module, (nn.RNNCell, nn.GRUCell, nn.LSTMCell)):
            hs, cs, h, c = [], [], ht, None if c0 is None else torch.from_numpy(c0)
            for x_t in xt:
                if c is None:
                    h = module(x_t, h)
                else:
                    h, c = module(x_t, (h, c))
                    cs.append(c)
                hs.append(h)
            return torch.stack(hs).numpy(), (torch.stack(cs).numpy() if cs else None)
        if c0 is None:
            out, _ = module(xt[:, None], ht[None, None])
            return out[:, 0].numpy(), None
        out, (_, c_last) = module(xt[:, None], (ht[None, None], torch.from_numpy(c0)[None, None]))
        return out[:, 0].numpy(), c_last[0].numpy()  # nn.LSTM gives c only for the last step: (1, H)


def _max_err(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell", [False, True], ids=["module", "cell"])
@pytest.mark.parametrize("kind,nonlinearity", [("RNN", "tanh"), ("RNN", "relu"), ("GRU", None), ("LSTM", None)])
def test_hidden_states_and_every_gate_match_torch(kind, nonlinearity, cell, bias, seed):
    D, H, T, rng = _sizes(seed)
    module = _torch_module(kind, D, H, bias, seed, cell=cell, nonlinearity=nonlinearity or "tanh")
    model = CELLS[kind].from_torch(module)
    x, h0 = rng.standard_normal((T, D)), rng.standard_normal(H)
    c0 = rng.standard_normal(H) if kind == "LSTM" else None
    trace = model.run(x, h0, **({"c0": c0} if c0 is not None else {}))

    h_torch, c_torch = _torch_forward(module, x, h0, c0)
    assert _max_err(trace.h, h_torch) <= TOL
    if c_torch is not None:
        assert _max_err(trace.c[-len(c_torch) :], c_torch) <= TOL

    state0 = h0 if c0 is None else np.concatenate([h0, c0])
    states, gates = ref.run(model, x, state0, p=ref.module_weights(module))
    assert set(gates) == set(trace.gates)
    for name in gates:
        assert _max_err(trace.gates[name], gates[name]) <= TOL, name
    assert _max_err(trace.states, states) <= TOL


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind,nonlinearity", [("RNN", "tanh"), ("RNN", "relu"), ("GRU", None), ("LSTM", None)])
def test_a_small_input_folded_into_the_step_product_matches_torch(kind, nonlinearity, bias):
    """With D <= H/4 the fast loop computes [h, x, 1] @ [W_hh | W_ih | b]^T in one product (cells._step_matrix)."""
    D, H, T, rng = 2, 12, 30, np.random.default_rng(5)
    module = _torch_module(kind, D, H, bias, 5, nonlinearity=nonlinearity or "tanh")
    model = CELLS[kind].from_torch(module)
    assert model._folds_input()
    x, h0 = rng.standard_normal((T, D)), rng.standard_normal(H)
    c0 = rng.standard_normal(H) if kind == "LSTM" else None
    trace = model.run(x, h0, **({"c0": c0} if c0 is not None else {}))
    assert _max_err(trace.h, _torch_forward(module, x, h0, c0)[0]) <= TOL
    states, gates = ref.run(model, x, h0 if c0 is None else np.concatenate([h0, c0]), p=ref.module_weights(module))
    for name in gates:
        assert _max_err(trace.gates[name], gates[name]) <= TOL, name
    assert _max_err(trace.states, states) <= TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_torch_reference_step_reproduces_torch_modules(kind, seed):
    """The hand-written reference the variant tests rely on is itself torch-exact."""
    D, H, T, rng = _sizes(seed)
    module = _torch_module(kind, D, H, True, seed, cell=True)
    model = CELLS[kind].from_torch(module)
    x = rng.standard_normal((T, D))
    h0 = rng.standard_normal(H)
    c0 = rng.standard_normal(H) if kind == "LSTM" else None
    h_torch, c_torch = _torch_forward(module, x, h0, c0)
    states, _ = ref.run(model, x, h0 if c0 is None else np.concatenate([h0, c0]), p=ref.module_weights(module))
    assert _max_err(states[1:, :H], h_torch) <= TOL
    if c_torch is not None:
        assert _max_err(states[1:, H:], c_torch) <= TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind,options", [
    ("GRU", {"variant": "cho2014"}),
    ("GRU", {"gate_activation": "hard_sigmoid"}),
    ("GRU", {"variant": "cho2014", "gate_activation": "hard_sigmoid"}),
    ("LSTM", {"gate_activation": "hard_sigmoid"}),
])
def test_variants_without_a_torch_module_match_a_handwritten_torch_reference(kind, options, bias, seed):
    D, H, T, rng = _sizes(seed)
    model = CELLS[kind](D, H, bias=bias, seed=seed, init_scale=3.0, **options)  # large weights: reach the clip
    x, h0 = 2 * rng.standard_normal((T, D)), rng.standard_normal(H)
    trace = model.run(x, h0)
    states, gates = ref.run(model, x, np.concatenate([h0, np.zeros(H)]) if kind == "LSTM" else h0)
    assert _max_err(trace.states, states) <= TOL
    for name in gates:
        assert _max_err(trace.gates[name], gates[name]) <= TOL, name


def test_the_reference_hard_sigmoid_is_torch_hardsigmoid():
    a = torch.linspace(-5, 5, 2001, dtype=torch.float64)
    assert torch.equal(ref.hard_sigmoid(a), torch.nn.functional.hardsigmoid(a))


def test_cho2014_differs_from_torch_gru_on_the_same_weights():
    """The two conventions are really different equations (otherwise the variant tests prove nothing)."""
    module = _torch_module("GRU", 3, 6, True, 0)
    x = np.random.default_rng(0).standard_normal((10, 3))
    h_torch = gv.GRU.from_torch(module).run(x).h
    h_cho = gv.GRU.from_torch(module, variant="cho2014").run(x).h
    assert _max_err(h_torch, h_cho) > 1e-3


def test_hard_sigmoid_gates_reach_exactly_zero_and_one():
    model = gv.GRU(2, 8, gate_activation="hard_sigmoid", init_scale=20.0, seed=0)
    trace = model.run(5 * np.random.default_rng(0).standard_normal((30, 2)))
    z = trace.gates["update"]
    assert (z == 0.0).any() and (z == 1.0).any()


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell", [False, True], ids=["module", "cell"])
def test_from_torch_then_to_torch_round_trip_is_exact(kind, bias, cell):
    module = _torch_module(kind, 4, 5, bias, 7, cell=cell)
    back = CELLS[kind].from_torch(module).to_torch(cell=cell)
    assert type(back) is type(module)
    original = dict(module.named_parameters())
    restored = dict(back.named_parameters())
    assert original.keys() == restored.keys()
    for name, p in original.items():
        assert restored[name].dtype == torch.float64
        assert torch.equal(restored[name], p), name


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_to_torch_then_from_torch_round_trip_is_exact(kind):
    model = CELLS[kind](3, 6, seed=4)
    again = CELLS[kind].from_torch(model.to_torch())
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert np.array_equal(getattr(again, name), getattr(model, name)), name


def test_from_torch_keeps_the_relu_nonlinearity():
    module = _torch_module("RNN", 2, 3, True, 0, nonlinearity="relu")
    assert gv.VanillaRNN.from_torch(module).nonlinearity == "relu"


def test_from_torch_reads_float32_modules_as_float64():
    torch.manual_seed(0)
    module = nn.GRU(2, 3)  # float32
    model = gv.GRU.from_torch(module)
    assert model.weight_hh.dtype == np.float64
    assert np.array_equal(model.weight_hh, module.weight_hh_l0.detach().double().numpy())


@pytest.mark.parametrize("cls,module,message", [
    (gv.GRU, lambda: nn.GRU(2, 3, num_layers=2), "only single-layer modules are supported; this nn.GRU has num_layers=2"),
    (gv.VanillaRNN, lambda: nn.RNN(2, 3, num_layers=3), "num_layers=3"),
    (gv.GRU, lambda: nn.GRU(2, 3, bidirectional=True), "bidirectional nn.GRU is not supported; use bidirectional=False"),
    (gv.LSTM, lambda: nn.LSTM(2, 3, proj_size=2), "nn.LSTM with proj_size=2 is not supported; use proj_size=0"),
])
def test_from_torch_refuses_unsupported_modules_naming_the_problem(cls, module, message):
    with pytest.raises(ValueError, match=message):
        cls.from_torch(module())


@pytest.mark.parametrize("cls,module,expected", [
    (gv.GRU, lambda: nn.LSTM(2, 3), "nn.GRU or nn.GRUCell, got LSTM"),
    (gv.LSTM, lambda: nn.GRUCell(2, 3), "nn.LSTM or nn.LSTMCell, got GRUCell"),
    (gv.VanillaRNN, lambda: nn.Linear(2, 3), "nn.RNN or nn.RNNCell, got Linear"),
])
def test_from_torch_refuses_the_wrong_module_type(cls, module, expected):
    with pytest.raises(ValueError, match=expected):
        cls.from_torch(module())


def test_to_torch_refuses_a_variant_torch_cannot_express():
    with pytest.raises(ValueError, match="no torch.nn equivalent"):
        gv.GRU(2, 3, variant="cho2014").to_torch()


@pytest.mark.parametrize("kind,options,gate", [
    ("GRU", {}, "update"), ("GRU", {"variant": "cho2014"}, "reset"), ("GRU", {}, "candidate"),
    ("LSTM", {}, "forget"), ("LSTM", {"gate_activation": "hard_sigmoid"}, "cell"),
])
def test_a_clamped_run_matches_the_torch_reference_with_the_same_clamp(kind, options, gate):
    D, H, T, rng = _sizes(5)
    model = CELLS[kind](D, H, seed=5, **options)
    values = np.where(np.arange(H) % 2 == 0, 0.25, np.nan)  # clamp even units, leave odd units free
    x = rng.standard_normal((T, D))
    trace = model.run(x, clamp={gate: values})
    states, gates = ref.run(model, x, clamp={gate: values})
    assert _max_err(trace.states, states) <= TOL
    for name in gates:
        assert _max_err(trace.gates[name], gates[name]) <= TOL, name
    assert np.array_equal(trace.gates[gate][:, ::2], np.full_like(trace.gates[gate][:, ::2], 0.25))


@pytest.mark.parametrize("D,H", [(3, 7), (2, 9)], ids=["input-apart", "input-folded"])
@pytest.mark.parametrize("kind,options", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("GRU", {"variant": "cho2014"}),
    ("GRU", {"gate_activation": "hard_sigmoid"}), ("GRU", {"variant": "cho2014", "bias": False}),
    ("LSTM", {}), ("LSTM", {"gate_activation": "hard_sigmoid"}), ("GRU", {"bias": False}), ("LSTM", {"bias": False}),
])
def test_the_fast_loop_and_the_step_by_step_loop_agree(kind, options, D, H):
    """run() uses a buffered loop (_run_fast) unless a gate is clamped or T <= FAST_LOOP_MIN_T; both compute the same
    numbers, from a given initial state too (the fast loops carry h_{t-1} and c_{t-1} from step to step)."""
    model = CELLS[kind](D, H, seed=2, init_scale=2.0, **options)
    assert model._folds_input() == (D <= H // 4)
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((25, D)), rng.uniform(-0.9, 0.9, H)
    start = {"h0": h0, "c0": rng.standard_normal(H)} if kind == "LSTM" else {"h0": h0}
    fast, slow = model.run(x, **start), _step_loop(model, x, **start)
    assert _max_err(fast.states, slow.states) <= 1e-14
    for name in fast.gates:
        assert _max_err(fast.gates[name], slow.gates[name]) <= 1e-14
    assert fast.cache.keys() == slow.cache.keys()


def _step_loop(model, x, **start):
    """A run through the generic, one-_step-per-timestep loop (``start``: h0 and c0, as for run)."""
    model = model.copy()
    model._fast_loop = lambda clamp: None
    return model.run(x, **start)


def test_from_torch_documents_the_real_modules_bias_false_and_float32():
    doc = gv.GRU.from_torch.__doc__
    for module in ("nn.RNN or nn.RNNCell", "nn.GRU or nn.GRUCell", "nn.LSTM or nn.LSTMCell"):
        assert module in doc
    assert "bias=False" in doc and "float32" in doc and "float64" in doc and "<X>" not in doc


def test_from_torch_of_a_float32_module_without_bias_runs_as_torch_does():
    torch.manual_seed(0)
    module = nn.GRU(2, 3, bias=False)  # float32, no biases
    model = gv.GRU.from_torch(module)
    assert not model.bias and model.bias_ih is None and model.bias_hh is None
    x = np.random.default_rng(0).standard_normal((6, 2))
    expected = module.double()(torch.from_numpy(x)[None].transpose(0, 1))[0][:, 0].detach().numpy()
    assert np.abs(model.run(x).h - expected).max() <= 1e-12
