"""`streamlit run ...` for bench_load.py, plus a memory report on request.

    python bench/load_server.py run app.py --server.port 8501 ...   (the same arguments as `streamlit run`)

The server is Streamlit's own (streamlit.web.cli). On SIGUSR1 the process writes one JSON line to
the file named by $LOAD_SERVER_REPORT, saying what holds its memory at that moment:

    rss_mb                 resident memory, as found
    app_sessions           AppSession objects alive (connected, kept for reconnection, or leaked)
    stored_sessions        closed sessions Streamlit keeps for server.disconnectedSessionTTL seconds
    cache_data_mb          bytes held by st.cache_data entries (Streamlit's own count)
    rss_after_gc_mb        after gc.collect(): objects only a reference cycle kept alive are gone
    rss_after_trim_mb      after glibc's malloc_trim(0): free heap pages handed back to the kernel;
                           what gc freed but RSS kept until now was allocator fragmentation, not data
    script_runs            script runs (full and fragment) since the last report, with the wall-clock
                           and CPU seconds of each run's script thread: a run whose wall time far exceeds
                           its CPU time waited for the CPU or for the GIL

Nothing here changes how the app runs; the report only reads, collects garbage and trims the heap.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import sys
import threading
import time

_runs: list[tuple[float, float]] = []  # (wall s, script-thread CPU s) of each script run
_runs_lock = threading.Lock()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def report(*_) -> None:
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.caching.cache_data_api import get_data_cache_stats_provider

    out = {"rss_mb": rss_mb()}
    gc.collect()
    out["app_sessions"] = sum(isinstance(o, AppSession) for o in gc.get_objects())
    if Runtime.exists():
        mgr = Runtime.instance()._session_mgr
        out["active_sessions"] = mgr.num_active_sessions()
        out["stored_sessions"] = len(mgr.list_sessions()) - out["active_sessions"]
    stats = get_data_cache_stats_provider().get_stats()
    out["cache_data_mb"] = sum(s.byte_length for group in stats.values() for s in group) / 2**20
    out["rss_after_gc_mb"] = rss_mb()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc
        pass
    out["rss_after_trim_mb"] = rss_mb()
    with _runs_lock:
        out["script_runs"] = [[round(w, 4), round(c, 4)] for w, c in _runs]
        _runs.clear()
    with open(os.environ["LOAD_SERVER_REPORT"], "a") as f:
        f.write(json.dumps(out) + "\n")


def time_script_runs() -> None:
    """Record the wall-clock and CPU time of every script run (ScriptRunner._run_script, on its own thread)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    run = ScriptRunner._run_script

    def timed(self, rerun_data):
        w, c = time.perf_counter(), time.thread_time()
        try:
            return run(self, rerun_data)
        finally:
            with _runs_lock:
                _runs.append((time.perf_counter() - w, time.thread_time() - c))

    ScriptRunner._run_script = timed


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, report)
    time_script_runs()
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())
