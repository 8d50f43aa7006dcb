"""gru_viz.workers: heavy work in worker processes, with the same results, errors and a fallback."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from gru_viz import lab, presets, workers


def _in_a_worker() -> bool:
    return multiprocessing.parent_process() is not None


def _pid_and(fn, *args, **kwargs):
    """(the pid of the process that ran it, fn(*args, **kwargs)): says where a call really ran."""
    return os.getpid(), fn(*args, **kwargs)


def _pid_unless_worker() -> int:
    """Kills the worker process that runs it (as the kernel's out-of-memory killer would); here it returns our pid."""
    if _in_a_worker():
        os._exit(3)
    return os.getpid()


def _refuse_in_a_worker() -> None:
    if _in_a_worker():
        raise ValueError(f"refused in worker {os.getpid()}")


def _main_module_file() -> str | None:
    return getattr(sys.modules["__main__"], "__file__", None)


def test_a_call_runs_in_another_process_and_gives_the_same_numbers_bit_for_bit():
    x, _ = presets.build_input("noise", 60, seed=1)  # (60, 1)
    model = lab.build("GRU", x.shape[1], 16, radius=1.2, update_bias=2.0)
    clamp = lab.clamp_values("update", 0.9, np.array([0, 3]), 16)
    here = lab.analyse(model, x, clamp=clamp)
    pid, there = workers.call(_pid_and, lab.analyse, model, x, clamp=clamp)
    assert pid != os.getpid()
    np.testing.assert_array_equal(there.decay, here.decay)
    np.testing.assert_array_equal(there.influence, here.influence)
    np.testing.assert_array_equal(there.trace.h, here.trace.h)
    np.testing.assert_array_equal(there.trace.gates["update"], here.trace.gates["update"])
    np.testing.assert_array_equal(there.eigenvalues, here.eigenvalues)


def test_an_error_in_a_worker_reaches_the_caller_with_its_message():
    with pytest.raises(ValueError, match="refused in worker"):
        workers.call(_refuse_in_a_worker)
    assert workers.call(os.getpid) != os.getpid()  # the pool is still there


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_workers_do_not_run_the_programs_main_module_again(monkeypatch, method):
    """Under Streamlit __main__ is the page script: a worker that ran it would run the whole app."""
    app_script = types.ModuleType("__main__")
    app_script.__file__ = "/nowhere/app.py"  # a worker that tried to run it would die: FileNotFoundError
    monkeypatch.setattr(workers, "_pool", None)  # a new pool, whose workers start while app_script is __main__
    monkeypatch.setattr(workers, "_contexts", {"spawn": workers._contexts[method]})
    monkeypatch.setitem(sys.modules, "__main__", app_script)
    pid, main_file = workers.call(_pid_and, _main_module_file)
    assert pid != os.getpid() and main_file is None
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


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_exit_when_their_server_is_killed():
    code = ("import os, sys, time\nfrom gru_viz import workers\nworkers.start()\n"
            "while len(workers._pool._processes) < workers.WORKERS or workers.call(os.getpid) is None: time.sleep(0.05)\n"
            "print(*workers._pool._processes, flush=True)\ntime.sleep(60)\n")
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) == workers.WORKERS and all(map(_alive, pids))
    finally:
        server.send_signal(signal.SIGKILL)  # no clean exit: nothing stops the workers but themselves
        server.wait()
    deadline = time.monotonic() + 10
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, pids))
