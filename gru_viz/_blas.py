"""Run the core's small matrix products on one BLAS thread.

The core multiplies many small matrices (S x S with S <= 2 * 512) one after
another. OpenBLAS splits each such product over all cores and makes its
threads spin-wait between products; on a machine whose cores are busy (a class
sharing one server, or several processes) that costs 3-10x instead of saving
time, measured here: a chain of 500 products of 128 x 128 matrices took about
1.1 s on two OpenBLAS threads and 0.3 s on one, on a loaded 2-core machine
(bench/README.md).

``single_thread()`` sets OpenBLAS to one thread for the duration of a core call
and puts the previous setting back afterwards. A server (the app) calls
``one_thread_for_this_process()`` once instead: after every call that does use
two threads, OpenBLAS's idle thread spins for about 0.1 s of CPU (measured after
one 128 x 128 ``eigvals``), time the browser and the other students' sessions
on the same cores need. OpenBLAS's thread count is
process-wide, so nested and concurrent calls are counted and only the last one
out restores it. The thread count is read and set with threadpoolctl; nothing
is changed when GRU_VIZ_BLAS_THREADS=keep is set.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np  # noqa: F401  (NumPy's BLAS must be loaded before threadpoolctl looks for it)
from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_depth = 0  # how many core calls are inside single_thread() right now
_restore: list = []  # (controller, thread count) to put back when the last call leaves


def _blas_controllers() -> list:
    """threadpoolctl's controllers of NumPy's BLAS (OpenBLAS, MKL, ...); [] when it must be left alone."""
    if os.environ.get("GRU_VIZ_BLAS_THREADS") == "keep":
        return []
    return list(ThreadpoolController().select(user_api="blas").lib_controllers)


_controllers = _blas_controllers()


@contextlib.contextmanager
def single_thread():
    """Context: NumPy's BLAS uses one thread inside, its previous count after.

    Costs a few microseconds (one get and at most one set per library), so even
    a one-step run can afford it.
    """
    global _depth, _restore
    if not _controllers:
        yield
        return
    with _lock:
        if _depth == 0:
            _restore = [(c, n) for c in _controllers if (n := c.get_num_threads()) != 1]
            for c, _ in _restore:
                c.set_num_threads(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for c, n in _restore:
                    c.set_num_threads(n)
                _restore = []


def one_thread_for_this_process() -> None:
    """Pin NumPy's BLAS to one thread from now on, for every call (idempotent).

    For a server that answers many small requests: no call waits for a second
    thread, and no idle BLAS thread spins after a call. Nothing is changed when
    GRU_VIZ_BLAS_THREADS=keep is set.
    """
    with _lock:
        if _depth:  # inside single_thread(): it would put the old count back on leaving
            _restore.clear()
        for c in _controllers:
            if c.get_num_threads() != 1:
                c.set_num_threads(1)
