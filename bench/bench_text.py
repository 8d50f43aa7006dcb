"""Benchmark of the text view: 2,000 characters through the NumPy core, and the page's round trip.

    .venv/bin/python bench/bench_text.py            # core + figure only
    .venv/bin/python bench/bench_text.py --browser  # also the browser round trip (starts streamlit)

Targets (issue 7): core trace < 300 ms (the slider budget), browser round trip
< 1 s. Times are medians; each is printed beside a reference measured in the
same run (a bare NumPy loop doing only the recurrent mat-vecs), so the ratio
means something on a busy machine too.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gru_viz import corpus, interpret, text_models  # noqa: E402
from gru_viz import figures_text as ft  # noqa: E402

T = 2000


def median_time(f, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bare_loop(W_hh: np.ndarray, T: int) -> None:
    """Reference: only the T recurrent mat-vecs, the least any recurrent model must do."""
    h = np.zeros(W_hh.shape[1])
    for _ in range(T):
        h = np.tanh(W_hh @ h)[: W_hh.shape[1]]


def sample_text(n: int, shift: int = 0) -> str:
    base = text_models.held_out_text()
    return (base[shift:] + base)[:n]


def bench_core() -> None:
    text = sample_text(T)
    ids, _ = corpus.encode(text)
    print(f"text: {T} characters, vocabulary {corpus.V}")
    for kind in text_models.CELLS:
        m = text_models.load_shipped(kind)
        ref = median_time(lambda m=m: bare_loop(m.cell.weight_hh, T))
        core = median_time(lambda m=m: m.trace(ids))
        full = median_time(lambda m=m: m.read(text))
        run = m.read(text)
        values = interpret.signals(run.trace)["h"][:, 0]
        top_ids, top_p = run.top_k(5)

        def figure(values=values, top_ids=top_ids, top_p=top_p, run=run):
            hover = ft.hover_texts(text, values, top_ids, top_p, run.unknown, "h[0]")
            return ft.text_figure(text, values, "h", hover=hover, unknown=run.unknown)

        fig_t = median_time(figure, 3)
        labels, _ = interpret.patterns(text)
        rank_t = median_time(lambda run=run, s=labels["string"]: interpret.rank_units(run.trace.h, s), 3)
        print(f"{kind:4s} H={m.hidden_size}: core trace {core * 1e3:6.0f} ms ({core / ref:4.1f}x the bare mat-vec loop "
              f"{ref * 1e3:.0f} ms) | + readout {full * 1e3:6.0f} ms | figure {fig_t * 1e3:5.0f} ms | "
              f"rank 128 units {rank_t * 1e3:4.0f} ms | target core < 300 ms: {'met' if core < 0.3 else 'NOT met'}")


def bench_browser(port: int | None, sizes=(T, 500)) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, wait_for_app

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for _ in range(120):
                try:
                    page.goto(f"http://127.0.0.1:{port}/text?pattern=none", timeout=5000)
                    break
                except Exception:
                    time.sleep(0.5)
            wait_for_app(page, timeout=180)
            for n in sizes:
                bench_rounds(page, n, wait_for_app)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bench_rounds(page, n: int, wait_for_app) -> None:
    if True:
        if True:
            times = []
            for i in range(4):  # a new text each round: no cache hits
                box = page.locator('[data-testid="stTextArea"] textarea').first
                box.fill(sample_text(n, shift=1000 * (i + 1)))
                t0 = time.perf_counter()
                box.press("Control+Enter")
                page.wait_for_timeout(30)
                wait_for_app(page, timeout=180, settle=0.05)
                page.wait_for_function("document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot').length >= 2")
                times.append(time.perf_counter() - t0 - 0.05)  # minus the settle wait
                print(f"  round {i}: {times[-1] * 1e3:.0f} ms")
            rt = statistics.median(times[1:])  # the first round warms the caches of the model loading
            print(f"browser round trip (type {n} chars -> both models re-run -> charts drawn): median {rt * 1e3:.0f} ms; "
                  f"target < 1 s: {'met' if rt < 1 else 'NOT met'}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--port", type=int, default=None)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_core()
    if a.browser:
        bench_browser(a.port)
