"""How fast the Streamlit server hands out its static files, with Nagle's algorithm on and off, in one run.

    .venv/bin/python bench/bench_static.py            # 120 files, 3 rounds each way, about 15 s

A page load fetches ~100 of Streamlit's JavaScript chunks, six at a time (Chromium's limit per host over
HTTP/1.1). Streamlit 1.67's sockets lack TCP_NODELAY (gru_viz/tcp_nodelay.py says why), so a response written in
two pieces waits for the browser's delayed acknowledgement, up to 40 ms. app.py sets TCP_NODELAY on the server's
sockets on its first run. This script starts `streamlit run app.py`, fetches Streamlit's static chunks on six
fresh keep-alive connections before any page has run (the sockets as Streamlit makes them), then opens the app
once in headless Chromium (app.py runs) and fetches them again on new connections: the same server, the same
files, side by side. It prints the wall time for all files and the median per request; it asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

import streamlit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_app  # noqa: E402

STATIC_JS = Path(streamlit.__file__).parent / "static" / "static" / "js"


def fetch_all(host: str, port: int, names: list[str], connections: int = 6) -> tuple[float, list[float]]:
    """GET /static/js/<name> for every name over ``connections`` new keep-alive connections at once;
    returns (seconds for all, seconds per request)."""
    todo: queue.Queue[str] = queue.Queue()
    for name in names:
        todo.put(name)
    per_request: list[float] = []
    failed: list[str] = []

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                conn.close()
                return
            t0 = time.perf_counter()
            conn.request("GET", f"/static/js/{name}")
            response = conn.getresponse()
            response.read()
            per_request.append(time.perf_counter() - t0)
            if response.status != 200:
                failed.append(f"{name}: HTTP {response.status}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed or len(per_request) != len(names):
        raise RuntimeError(f"{len(names) - len(per_request)} requests failed to finish; {failed[:3]}")
    return time.perf_counter() - t0, per_request


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=120, help="how many of Streamlit's JavaScript chunks to fetch")
    ap.add_argument("--rounds", type=int, default=3, help="fetches of all files, each way")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    names = sorted(p.name for p in STATIC_JS.glob("*.js"))[: args.files]
    rows = {}
    with running_app(log_name="streamlit-bench-static.log") as url:
        host, port = url.split("//")[1].split(":")
        rows["before the first run (Nagle on)"] = [fetch_all(host, int(port), names) for _ in range(args.rounds)]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            wait_for_app(page, timeout=180)
            browser.close()
        rows["after it (TCP_NODELAY, app.py)"] = [fetch_all(host, int(port), names) for _ in range(args.rounds)]
    print(f"{len(names)} static files over 6 connections, {args.rounds} rounds each way")
    print(f"{'server sockets':34s} {'all files (s)':>18s} {'per request, median (ms)':>26s}")
    medians = {}
    for label, runs in rows.items():
        walls = ", ".join(f"{wall:.2f}" for wall, _ in runs)
        medians[label] = statistics.median([statistics.median(times) for _, times in runs])
        print(f"{label:34s} {walls:>18s} {medians[label] * 1000:26.1f}")
    before, after = medians.values()
    print(f"per request: {before / after:.1f}x faster with TCP_NODELAY")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
