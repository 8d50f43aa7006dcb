"""`import gru_viz` stays light: the core pulls in neither streamlit nor torch."""

from __future__ import annotations

import subprocess
import sys


def test_importing_gru_viz_imports_neither_streamlit_nor_torch():
    code = (
        "import sys, gru_viz\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'torch'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_running_a_cell_and_its_gradients_imports_neither_streamlit_nor_torch():
    code = (
        "import sys, numpy as np, gru_viz as gv\n"
        "m = gv.GRU(3, 4, seed=0)\n"
        "gv.gradient_decay(m, np.zeros((5, 3)))\n"
        "print(m.run(np.zeros((5, 3))).gates['update'].shape)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'torch'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["(5, 4)", ""]
