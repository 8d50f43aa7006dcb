"""Heavy NumPy work in worker processes, so that independent computations really run side by side.

The Gradient Lab computes three cells' exact gradients at once. On threads
they share Python's GIL: between their many NumPy calls each thread waits for
it, and two cells on two threads each ran 13-28 % slower than alone; two
LSTMs in two processes, 5-7 % (bench/README.md). So the app sends such work here:

    result = workers.call(lab.analyse, model, x)   # blocks until a worker is done

A pool of worker processes (one per core, at least three and at most eight:
the lab's three cells run at once and the operating system shares the cores
between them) is started with the server (``start``) and shared by every
session, so a class on one server queues its heavy work instead of crowding
the cores with threads. The workers start from a clean interpreter through a fork server
(never a fork of the threaded web server) that has gru_viz.lab imported, so a
new worker is ready in milliseconds. Arguments and results travel pickled (a
Gradient Lab cell at T=500, H=128: ~3 MB, a few ms).

A new process normally runs the program's __main__ module again. Under
Streamlit that is the page script being run (Streamlit makes it __main__),
so a worker would run the whole app: workers are started with __main__
hidden (they need nothing from it), all at once when the server starts. (Another
session's script run may set __main__ during that moment; such a worker then runs
the app once, in vain, and still works.)

If worker processes cannot be used (a platform without them, workers that die
as they start, a pool broken by a killed worker), the call runs in the calling
process instead, slower, and the server's log says why. A worker whose server
was killed exits too. Workers keep the code they started with: after editing
gru_viz, restart the server.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import types
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gru_viz import _blas

_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
WORKERS = min(max(3, _CORES), 8)  # the Gradient Lab's three cells at once, or one per core this process may use
PRELOAD = ["gru_viz.lab"]  # imported once by the fork server: every worker starts with NumPy and the core loaded

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unavailable: str | None = None  # why worker processes cannot be used here, once known
_broken = 0  # pools broken since the last call a worker answered
_started = False  # start() was called
_main_lock = threading.Lock()
_log = logging.getLogger(__name__)


@contextlib.contextmanager
def _main_module_hidden():
    """sys.modules["__main__"] is an empty module inside: a process started now does not run __main__ again."""
    with _main_lock:
        main = sys.modules.get("__main__")
        hidden = sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__: nothing to import
        try:
            yield
        finally:
            if sys.modules.get("__main__") is hidden:  # not if a script run has set its own meanwhile
                if main is None:
                    del sys.modules["__main__"]
                else:
                    sys.modules["__main__"] = main


class _MainHiddenAtStart:
    """A process class that starts with __main__ hidden (see the module docstring)."""

    def start(self):
        with _main_module_hidden():
            super().start()


class _SpawnWorker(_MainHiddenAtStart, multiprocessing.context.SpawnProcess):
    pass


class _SpawnContext(multiprocessing.context.SpawnContext):
    Process = _SpawnWorker


_contexts = {"spawn": _SpawnContext}
if "forkserver" in multiprocessing.get_all_start_methods():  # not on Windows

    class _ForkServerWorker(_MainHiddenAtStart, multiprocessing.context.ForkServerProcess):
        pass

    class _ForkServerContext(multiprocessing.context.ForkServerContext):
        Process = _ForkServerWorker

    _contexts["forkserver"] = _ForkServerContext


def _start_worker() -> None:
    """In each worker: Ctrl+C is for the server (which then stops its workers); BLAS on one thread; exit with the
    server if it is killed (a pool's worker would otherwise wait for work forever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _blas.one_thread_for_this_process()
    threading.Thread(target=_exit_with_parent, name="gru-viz-exit-with-server", daemon=True).start()


def _exit_with_parent() -> None:
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(0)


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool, _unavailable
    with _lock:
        if _pool is None and _unavailable is None:
            try:
                context = _contexts.get("forkserver", _contexts["spawn"])()
                if isinstance(context, multiprocessing.context.ForkServerContext):
                    context.set_forkserver_preload(PRELOAD)
                _pool = ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_start_worker)
            except (OSError, ImportError, NotImplementedError, ValueError) as err:  # e.g. no /dev/shm for its locks
                _unavailable = f"{type(err).__name__}: {err}"
                _log.warning("gru-viz computes in the server process: no worker processes (%s)", _unavailable)
        return _pool


BROKEN_LIMIT = 3  # pools broken in a row (workers that die as they start?): then compute here from now on


def _drop_pool(pool: ProcessPoolExecutor, err: BaseException) -> None:
    """Forget a broken pool (a worker died): the next call starts a new one, unless that keeps happening."""
    global _pool, _broken, _unavailable
    with _lock:
        if _pool is pool:
            _pool = None
            _broken += 1
            _log.warning("gru-viz's worker processes stopped (%s: %s); this call runs in the server", type(err).__name__, err)
            if _broken >= BROKEN_LIMIT:
                _unavailable = f"{BROKEN_LIMIT} pools of workers broke in a row ({type(err).__name__}: {err})"
                _log.warning("gru-viz computes in the server process from now on: %s", _unavailable)
    pool.shutdown(wait=False, cancel_futures=True)


def call(fn, *args, **kwargs):
    """fn(*args, **kwargs), computed in a worker process; returns its result or raises its exception.

    fn must be a module-level function and its arguments and result picklable
    (NumPy arrays and the core's cells and Traces are). Falls back to calling
    fn here when worker processes are not available or the pool broke.
    """
    global _broken
    pool = _get_pool()
    if pool is None:
        return fn(*args, **kwargs)
    try:
        future = pool.submit(fn, *args, **kwargs)  # may start a worker: anything going wrong here is the pool's
    except Exception as err:  # broken, a worker that could not start, or shut down at interpreter exit
        _drop_pool(pool, err)
        return fn(*args, **kwargs)
    try:
        result = future.result()  # no timeout: the lab's largest cell takes well under a second
    except BrokenProcessPool as err:  # the worker died under this call (killed, out of memory): do it here
        _drop_pool(pool, err)
        return fn(*args, **kwargs)
    _broken = 0
    return result


def _ready() -> bool:
    return True


def _warm_up(pool: ProcessPoolExecutor) -> None:
    """WORKERS calls at once: the pool starts all its workers now, with __main__ hidden for a moment."""
    try:
        for future in [pool.submit(_ready) for _ in range(WORKERS)]:
            future.result()
    except Exception:  # the next call finds the broken pool and deals with it (and logs why)
        pass


def start() -> None:
    """Start the worker processes now, in the background, once (they are otherwise started by the first call).

    For a server: its first Gradient Lab then does not wait for them.
    """
    global _started
    with _lock:
        if _started or multiprocessing.parent_process() is not None:  # once; and never from inside a worker
            return
        _started = True
    pool = _get_pool()
    if pool is not None:
        threading.Thread(target=_warm_up, args=(pool,), name="gru-viz-workers-start", daemon=True).start()
