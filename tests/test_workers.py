"""gru_viz.workers: heavy work in worker processes, with the same results, errors and a fallback."""

from __future__ import annotations

import multiprocessing
import os
import sys
import types

import numpy as np
import pytest

from gru_viz import lab, presets, workers


def _pid_unless_worker() -> int:
    """Kills the worker process that runs it (as the kernel's out-of-memory killer would); here it returns our pid."""
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    return os.getpid()


def _main_module_file() -> str | None:
    return getattr(sys.modules["__main__"], "__file__", None)


def test_a_call_runs_in_another_process_and_gives_the_same_numbers_bit_for_bit():
    x, _ = presets.build_input("noise", 60, seed=1)  # (60, 1)
    model = lab.build("GRU", x.shape[1], 16, radius=1.2, update_bias=2.0)
    clamp = lab.clamp_values("update", 0.9, np.array([0, 3]), 16)
    here = lab.analyse(model, x, clamp=clamp)
    there = workers.call(lab.analyse, model, x, clamp=clamp)
    assert workers.call(os.getpid) != os.getpid()
    np.testing.assert_array_equal(there.decay, here.decay)
    np.testing.assert_array_equal(there.influence, here.influence)
    np.testing.assert_array_equal(there.trace.h, here.trace.h)
    np.testing.assert_array_equal(there.trace.gates["update"], here.trace.gates["update"])
    np.testing.assert_array_equal(there.eigenvalues, here.eigenvalues)
    assert workers._unavailable is None


def test_an_error_in_a_worker_reaches_the_caller_with_its_message():
    with pytest.raises(ValueError, match="kind must be 'RNN', 'GRU' or 'LSTM'"):
        workers.call(lab.build, "CNN", 1, 4)


def test_workers_do_not_run_the_programs_main_module_again(monkeypatch):
    """Under Streamlit __main__ is the page script: a worker that ran it would run the app (and start workers)."""
    app_script = types.ModuleType("__main__")
    app_script.__file__ = "/nowhere/app.py"  # a worker that tried to run it would die: FileNotFoundError
    monkeypatch.setattr(workers, "_pool", None)  # a new pool, whose workers start while app_script is __main__
    monkeypatch.setitem(sys.modules, "__main__", app_script)
    assert workers.call(_main_module_file) is None
    assert sys.modules["__main__"] is app_script  # put back after each start
    workers._get_pool().shutdown()


def test_a_worker_that_dies_is_replaced_and_its_call_is_done_here(monkeypatch):
    monkeypatch.setattr(workers, "_broken", 0)
    assert workers.call(_pid_unless_worker) == os.getpid()  # the worker died; the call ran in this process
    assert workers.call(os.getpid) != os.getpid()  # and the next call has a new pool of workers


def test_workers_that_keep_dying_are_given_up_on(monkeypatch):
    monkeypatch.setattr(workers, "_broken", 0)
    monkeypatch.setattr(workers, "_unavailable", None)
    for _ in range(workers.BROKEN_LIMIT):
        assert workers.call(_pid_unless_worker) == os.getpid()
    assert "broke in a row" in workers._unavailable
    assert workers.call(os.getpid) == os.getpid()  # no more pools: computed here


def test_without_worker_processes_calls_run_here(monkeypatch):
    class NoProcesses:
        def __init__(self):
            raise OSError("no semaphores on this platform")

    monkeypatch.setattr(workers, "_pool", None)
    monkeypatch.setattr(workers, "_unavailable", None)
    monkeypatch.setattr(workers, "_contexts", {"spawn": NoProcesses})
    assert workers.call(os.getpid) == os.getpid()
    assert "no semaphores" in workers._unavailable
