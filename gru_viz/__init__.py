"""gru-viz: see why gates work.

A pure NumPy core of recurrent cells that records every gate at every
timestep, with closed-form backpropagation through time. Imports neither
streamlit nor torch.

    import gru_viz as gv
    gru = gv.GRU(input_size=1, hidden_size=8, seed=0)
    trace = gru.run(gv.tasks.pulse(50))      # trace.gates["update"]: (50, 8)
    decay = gv.gradient_decay(gru, trace.x)  # (51,) ||d h_T / d h_{T-k}||
"""

from gru_viz import limits, tasks
from gru_viz.cells import GRU, LSTM, RecurrentCell, VanillaRNN
from gru_viz.gradients import gradient_decay, influence, jacobians, singular_values
from gru_viz.trace import Trace
from gru_viz.variants import CIFG, MGU, DeySalemGRU, MinGRU

__all__ = [
    "CIFG",
    "DeySalemGRU",
    "GRU",
    "LSTM",
    "MGU",
    "MinGRU",
    "RecurrentCell",
    "Trace",
    "VanillaRNN",
    "gradient_decay",
    "influence",
    "jacobians",
    "limits",
    "singular_values",
    "tasks",
]
__version__ = "0.1.0"
