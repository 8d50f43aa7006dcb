"""Benchmark of the text view: 2,000 characters through the NumPy core, and the page's round trip in a browser.

    .venv/bin/python bench/bench_text.py                # core + server parts + browser round trips
    .venv/bin/python bench/bench_text.py --no-browser   # core and server parts only
    .venv/bin/python bench/bench_text.py --port 8611    # the streamlit port to use (default: a free one)

Targets (issue 7): core trace of 2,000 characters at H = 128 < 300 ms (the
slider budget), browser round trip < 1 s. One run measures, side by side:

* the core: ``CharModel.trace`` of 2,000 characters, beside a bare NumPy loop
  doing only the recurrent mat-vecs (the reference: the ratio means something
  on a busy machine too), and the server-side parts of the page (readout,
  hover notes, the coloured-text component's JSON, unit ranking);
* the browser: it starts ``streamlit run app.py`` on 127.0.0.1, opens the text
  page in headless Chromium and times, from the key press or click until the
  coloured text on the page shows the change: (1) a new 2,000-character text
  (both models re-run, both texts recoloured), (2) the GRU unit selector's "+"
  and (3) the LSTM signal selector (gate) changed (one fragment re-runs, from
  cache). It also gives the time until the whole page is idle (every chart
  drawn) and the bytes the browser received. Then it stops the server.

Times are medians over several rounds; each browser round uses new values, so
no round is served from the browser's copy.
"""

from __future__ import annotations

import argparse
import json
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
ROUNDS = 5


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


def bench_core() -> dict:
    text = sample_text(T)
    ids, _ = corpus.encode(text)
    print(f"text: {T} characters, vocabulary {corpus.V}")
    out = {}
    for kind in text_models.CELLS:
        m = text_models.load_shipped(kind)
        ref = median_time(lambda m=m: bare_loop(m.cell.weight_hh, T))
        core = median_time(lambda m=m: m.trace(ids))
        full = median_time(lambda m=m: m.read(text))
        run = m.read(text)
        top_ids, top_p = run.top_k(5)
        top_ids, top_p = top_ids[:, :3], top_p[:, :3]  # the page's hover tips show three
        notes_t = median_time(lambda run=run, a=top_ids, b=top_p: ft.position_notes(text, a, b, run.unknown), 3)
        notes = ft.position_notes(text, top_ids, top_p, run.unknown)
        values = interpret.signals(run.trace)["h"][:, 0]
        html_t = median_time(lambda v=values, n=notes, run=run: ft.text_payload(text, v, "h", "t", "h[0]", n, run.unknown), 5)
        size = len(json.dumps(ft.text_payload(text, values, "h", "t", "h[0]", notes, run.unknown)).encode())
        labels, _ = interpret.patterns(text)
        rank_t = median_time(lambda run=run, s=labels["string"]: interpret.rank_units(run.trace.h, s), 3)
        out[kind] = core
        print(f"{kind:4s} H={m.hidden_size}: core trace {core * 1e3:5.0f} ms ({core / ref:4.1f}x the bare mat-vec loop "
              f"{ref * 1e3:.0f} ms), target < 300 ms: {'met' if core < 0.3 else 'NOT met'} | + readout {full * 1e3:4.0f} ms"
              f" | hover notes {notes_t * 1e3:3.0f} ms (once per text) | coloured-text JSON {html_t * 1e3:3.0f} ms, "
              f"{size / 1e3:.0f} kB (per unit) | rank 128 units {rank_t * 1e3:3.0f} ms")
    return out


# ----------------------------------------------------------------------------
# browser


def shown(text: str) -> str:
    """What the coloured text's textContent is for ``text``: a newline drawn as ↵ (each line is a block), unknown as UNK."""
    return "".join("↵" if ch == "\n" else ch if ch in corpus.VOCAB else corpus.UNK for ch in text)


# one model's coloured text: it lives in the component's iframe (same origin, so readable from the page)
VIEW = """k => { for (const f of document.querySelectorAll('iframe')) { let d = null; try { d = f.contentDocument; } catch (e) {}
    const v = d && d.querySelector(`.gv-view[data-kind="${k}"]`); if (v) return v; } return null; }"""
VIEW_TEXT = f"k => {{ const v = ({VIEW})(k); return v ? v.querySelector('.gv-text').textContent : ''; }}"
VIEW_HEAD = f"k => {{ const v = ({VIEW})(k); return v ? v.querySelector('.gv-head').textContent : ''; }}"


def timed(page, start: str, start_arg, condition: str, cond_arg, wait_for_app, received: list) -> tuple[float, float, int]:
    """Run the JS function ``start(start_arg)`` in the page (the user's key press or click) and measure, with
    the page's own clock, the time until ``condition(cond_arg)`` holds at an animation frame (the coloured
    text shows the change); then the time until the app is idle (every chart drawn; measured from Python,
    so it includes a few ms of Playwright overhead); and the bytes the browser received."""
    received.clear()
    t0 = time.perf_counter()
    page.evaluate(f"a => {{ window.__t0 = performance.now(); ({start})(a); }}", start_arg)
    shown_ms = page.wait_for_function(f"a => ({condition})(a) && (performance.now() - window.__t0)", arg=cond_arg,
                                      timeout=120_000, polling="raf").json_value()
    wait_for_app(page, timeout=180, settle=0.05)
    idle_at = time.perf_counter() - t0 - 0.05  # minus the settle wait
    return shown_ms / 1e3, idle_at, sum(received)


def report(name: str, rows: list[tuple[float, float, int]]) -> float:
    shown_t = statistics.median(r[0] for r in rows)
    idle_t = statistics.median(r[1] for r in rows)
    kb = statistics.median(r[2] for r in rows) / 1e3
    print(f"browser round trip, {name}: coloured text updated after {shown_t * 1e3:5.0f} ms (median of {len(rows)}; "
          f"{', '.join(f'{r[0] * 1e3:.0f}' for r in rows)}), page idle after {idle_t * 1e3:5.0f} ms, {kb:5.0f} kB "
          f"received; target < 1 s: {'met' if shown_t < 1 else 'NOT met'}")
    return shown_t


def bench_browser(port: int | None) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, wait_for_app

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            received: list[int] = []
            page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))
            for _ in range(120):
                try:
                    page.goto(f"http://127.0.0.1:{port}/text?pattern=string", timeout=5000)
                    break
                except Exception:
                    time.sleep(0.5)
            wait_for_app(page, timeout=180)
            box = page.locator('[data-testid="stTextArea"] textarea').first
            ctrl_enter = """() => document.querySelector('[data-testid="stTextArea"] textarea').dispatchEvent(
                new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', ctrlKey: true, bubbles: true}))"""
            both_show = f"want => ['GRU', 'LSTM'].every(k => ({VIEW_TEXT})(k) === want)"

            def new_text(n: int, shift: int):
                text = sample_text(n, shift)
                box.fill(text)  # typed before the clock starts; Ctrl+Enter applies it
                return timed(page, ctrl_enter, None, both_show, shown(text), wait_for_app, received)

            new_text(T, 500)  # warm-up: loads the models, fills the caches of the first run
            texts = [new_text(T, 1000 * (i + 1)) for i in range(ROUNDS)]
            plus = """() => [...document.querySelectorAll('[data-testid="stNumberInput"]')].find(e =>
                e.textContent.includes('GRU unit')).querySelector('[data-testid="stNumberInputStepUp"]').click()"""
            units = []
            for _ in range(ROUNDS):
                unit = int(page.evaluate(VIEW_HEAD, "GRU").rsplit(" ", 1)[1])
                cond = f"want => ({VIEW_HEAD})('GRU').endsWith(want)"
                units.append(timed(page, plus, None, cond, f"unit {unit + 1}", wait_for_app, received))
            signals = []
            select = page.locator('[data-testid="stSelectbox"]').filter(has_text="LSTM: colour by")
            option = "name => [...document.querySelectorAll('[role=option]')].find(o => o.textContent.trim() === name).click()"
            for label in ("input gate i", "forget gate f (f = 1 keeps the old cell)", "output gate o", "cell input g",
                          "hidden state h"):
                select.click()  # opens the list, before the clock starts
                page.get_by_role("option", name=label).wait_for()
                cond = f"want => ({VIEW_HEAD})('LSTM').startsWith(want)"
                signals.append(timed(page, option, label, cond, f"LSTM: {label}", wait_for_app, received))
            print(f"load average {os.getloadavg()[0]:.1f}")
            report(f"new text of {T} characters (both models re-run)", texts)
            report("GRU unit + (fragment re-run, model cached)", units)
            report("LSTM signal changed (fragment re-run, model cached)", signals)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-browser", action="store_true", help="skip the browser round trips")
    ap.add_argument("--port", type=int, default=None)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_core()
    if not a.no_browser:
        bench_browser(a.port)
