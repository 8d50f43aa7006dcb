import numpy as np

import gru_viz as gv


def test_update_gate_has_one_row_per_timestep_and_one_column_per_unit():
    trace = gv.GRU(3, 4, seed=0).run(np.zeros((5, 3)))
    assert trace.gates["update"].shape == (5, 4)
