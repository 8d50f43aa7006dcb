"""Move weights between the NumPy cells and torch.nn modules, exactly.

torch is imported inside the functions, so ``import gru_viz`` stays light.
Accepted modules: nn.RNN/RNNCell, nn.GRU/GRUCell, nn.LSTM/LSTMCell with one
layer, one direction and (for the LSTM) no projection. Anything else raises a
ValueError that says what does not fit.
"""

from __future__ import annotations

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def from_torch(cls, module, **kwargs):
    """Build a ``cls`` (VanillaRNN, GRU or LSTM) holding ``module``'s weights as float64."""
    import torch
    import torch.nn as nn

    name = cls.torch_name
    full, cell = getattr(nn, name), getattr(nn, name + "Cell")
    if not isinstance(module, (full, cell)):
        raise ValueError(f"{cls.__name__}.from_torch expects nn.{name} or nn.{name}Cell, got {type(module).__name__}")
    suffix = ""
    if isinstance(module, full):
        if module.num_layers != 1:
            raise ValueError(f"only single-layer modules are supported; this nn.{name} has num_layers={module.num_layers}")
        if module.bidirectional:
            raise ValueError(f"bidirectional nn.{name} is not supported; use bidirectional=False")
        if getattr(module, "proj_size", 0):
            raise ValueError(f"nn.LSTM with proj_size={module.proj_size} is not supported; use proj_size=0")
        suffix = "_l0"
    if name == "RNN":
        kwargs.setdefault("nonlinearity", module.nonlinearity)
    model = cls(module.input_size, module.hidden_size, bias=module.bias, **kwargs)
    for p in PARAM_NAMES:
        tensor = getattr(module, p + suffix, None)
        if tensor is None:
            continue
        array = tensor.detach().cpu().to(dtype=torch.float64).numpy().copy()
        expected = getattr(model, p).shape
        if array.shape != expected:
            raise ValueError(f"{p} has shape {array.shape}, expected {expected}")
        setattr(model, p, array)
    return model


def to_torch(model, cell: bool = False):
    """The float64 torch.nn module computing exactly what ``model`` computes."""
    import torch
    import torch.nn as nn

    if not model._torch_equivalent():
        raise ValueError(
            f"{model!r} has no torch.nn equivalent (variant or gate activation differs from torch's); "
            "compare it against a hand-written torch reference instead"
        )
    name = model.torch_name
    kwargs = {"bias": model.bias, "dtype": torch.float64}
    if name == "RNN":
        kwargs["nonlinearity"] = model.nonlinearity
    if cell:
        module, suffix = getattr(nn, name + "Cell")(model.input_size, model.hidden_size, **kwargs), ""
    else:
        module, suffix = getattr(nn, name)(model.input_size, model.hidden_size, **kwargs), "_l0"
    with torch.no_grad():
        for p in PARAM_NAMES:
            value = getattr(model, p)
            if value is not None:
                getattr(module, p + suffix).copy_(torch.from_numpy(np.asarray(value, dtype=np.float64)))
    return module
