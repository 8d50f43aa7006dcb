"""Benchmark the app in a real browser: page load, slider-to-chart latency, websocket payload.

    .venv/bin/python bench/bench_app.py            # all pages, 10 slider moves per setting
    .venv/bin/python bench/bench_app.py --pages gate-explorer --moves 20

Starts `streamlit run app.py` on a free port and drives headless Chromium
(/usr/bin/chromium) with Playwright. For every page:

    load       cold load in a fresh browser context: navigation to "app idle and
               every chart drawn" (tests/e2e_helpers.wait_for_app), seconds
    payload    bytes received over the websocket during that load
    latency    key press on a slider -> the last frame in which a chart's data
               changed (on a page of several charts: the last one redrawn),
               detected in requestAnimationFrame, so it includes the rerun, the
               transfer and Plotly's redraw; median and p90 over --moves presses;
               each press picks a new value, so nothing comes from the cache
    per move   websocket bytes received per slider move (median)

at the default settings and at T=500, H=128 (through the URL, where the page
reads T and H). The Cell Step-Through is measured twice: its timestep scrubber
("step-through", the page's own slider: reruns the step view) and its hidden
size ("step-through/H": reruns the model and the whole page). First, the same
measures of a reference in the same run, bench/floor_app.py (Streamlit, one
fragment, one slider, a three-point chart in the app's chart component): the
floor any page of this stack pays; each page's latency is also printed as a
ratio to it. Targets (issue 3):
median <= 300 ms at defaults, <= 600 ms at T=500/H=128, load <= 2.5 s, payload
<= 1 MB. The numbers depend on the
machine and its load; run it alone on an idle machine for figures to quote.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_app  # noqa: E402

# name -> (query for the default setting, slider label to move (None: the first slider),
#          query for the large setting or None[, url path when it is not the name])
PAGES = {
    "": ("", None, None),  # home: no slider
    "lessons": ("", None, None),
    "gate-explorer": ("weights=random", "sequence length T", "weights=random&T=500&H=128"),
    "step-through": ("", "timestep t", "T=500&H=128"),  # the scrubber: reruns the step view only
    "step-through/H": ("", "hidden size H", "T=500&H=128", "step-through"),  # reruns the whole page
    "gradient-lab": ("", None, "T=500&H=128"),
    "compare": ("", None, "T=500&H=128"),
    "phase-portrait": ("", None, None),
    "training-lab": ("", None, None),
    "attention": ("", None, None),
    "text": ("", None, None),
}
FLOOR = ("", "sequence length T", None)  # bench/floor_app.py: its one slider, no large setting
TARGETS = {"median_default": 0.300, "median_large": 0.600, "load": 2.5, "payload": 1_000_000}

# What a chart shows, in a few numbers per trace: any new value changes it (sums of y and of z's
# last row, line widths: a step of the Cell Step-Through may change only those).
SIGNATURE = """() => Array.from(document.querySelectorAll('[data-testid="gvChart"]')).map(g =>
    (g._fullData || []).map(t => {
        const n = a => a ? a.length : 0;
        const sum = a => Array.isArray(a) || ArrayBuffer.isView(a) ? Array.from(a).reduce((s, v) => s + (+v || 0), 0) : a;
        const z = t.z && t.z.length ? t.z[t.z.length - 1] : null;
        return [t.type, n(t.x), n(t.y), n(t.z), sum(z), sum(t.y), t.line ? t.line.width : ''].join(',');
    }).join(';')).join('|')"""

# Watches the charts from the key press on: __changedAt is the last frame in which what they show changed
# (a page with several charts is done when the last of them is redrawn); the loop ends with the next move.
ARM = """(sig) => {
    window.__armed = (window.__armed || 0) + 1;
    const armed = window.__armed;
    window.__sig = sig; window.__pressAt = null; window.__changedAt = null;
    window.addEventListener('keydown', () => { window.__pressAt = performance.now(); }, {capture: true, once: true});
    const signature = SIGNATURE_FN;
    const loop = () => {
        if (armed !== window.__armed) return;
        if (window.__pressAt !== null) {
            const now = signature();
            if (now !== window.__sig) { window.__sig = now; window.__changedAt = performance.now(); }
        }
        requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
}""".replace("SIGNATURE_FN", SIGNATURE)


class Bytes:
    """Counts websocket bytes received by a page."""

    def __init__(self, page):
        self.n = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload):
        self.n += len(payload)


def slider(page, label: str | None):
    loc = page.locator('[data-testid="stSlider"]')
    if label:
        loc = loc.filter(has_text=label)
    if loc.count() == 0:
        return None
    return loc.first.locator('input[type="range"], [role="slider"]').first


def move_latencies(page, counter: Bytes, label: str | None, moves: int, key: str) -> tuple[list[float], list[int]]:
    """Seconds from key press to changed chart, and websocket bytes, for ``moves`` presses."""
    thumb = slider(page, label)
    if thumb is None:
        return [], []
    lat, sizes = [], []
    for _ in range(moves):
        page.evaluate(ARM, page.evaluate(SIGNATURE))
        before = counter.n
        thumb.focus()
        thumb.press(key)
        try:
            page.wait_for_function("window.__changedAt !== null", timeout=60_000, polling=20)
        except Exception:  # the slider did not change any chart
            return lat, sizes
        wait_for_app(page, settle=0.3)  # the rerun is over and every chart has drawn its latest figure
        lat.append(page.evaluate("(window.__changedAt - window.__pressAt) / 1000"))  # the last chart's redraw
        sizes.append(counter.n - before)
    return lat, sizes


def p90(xs):
    return sorted(xs)[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


def bench_page(browser, url: str, name: str, moves: int, setting: tuple | None = None) -> dict:
    """Load and slider-move figures of one page; ``setting``: its PAGES entry, when it is not PAGES[name]."""
    query, label, large, *where = setting or PAGES.get(name, ("", None, None))
    path = where[0] if where else name
    row = {"page": name or "home"}
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    counter = Bytes(page)
    t0 = time.perf_counter()
    page.goto(f"{url}/{path}" + (f"?{query}" if query else ""))
    wait_for_app(page, timeout=120, settle=0.2)
    row["load"] = time.perf_counter() - t0 - 0.2  # minus the settle time wait_for_app adds
    row["payload"] = counter.n
    row["errors"] = page.locator('[data-testid="stException"]').count()
    lat, sizes = move_latencies(page, counter, label, moves, "ArrowRight")
    row["default"] = lat
    row["per_move"] = statistics.median(sizes) if sizes else None
    ctx.close()
    if large:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        counter = Bytes(page)
        t0 = time.perf_counter()
        page.goto(f"{url}/{path}?{large}")
        wait_for_app(page, timeout=120, settle=0.2)
        row["load_large"] = time.perf_counter() - t0 - 0.2
        row["payload_large"] = counter.n
        lat, sizes = move_latencies(page, counter, label, moves, "ArrowLeft")
        row["large"] = lat
        row["per_move_large"] = statistics.median(sizes) if sizes else None
        ctx.close()
    return row


def bench_floor(browser, moves: int) -> dict:
    """The reference, measured as a page: bench/floor_app.py (one fragment, one slider, a three-point chart) on its
    own server. What a slider move and a load cost in this stack before any page's own work."""
    with running_app(log_name="streamlit-bench-floor.log", script=ROOT / "bench" / "floor_app.py") as url:
        warm = browser.new_page()
        warm.goto(url)
        wait_for_app(warm, timeout=180)
        warm.close()
        return {**bench_page(browser, url, "", moves, setting=FLOOR), "page": "floor"}


def compute_table(repeats: int = 5) -> None:
    """Server-side share of a Gate Explorer update, in this process: run the model, build the
    figure, serialise it (what Streamlit sends). Median ms over ``repeats``."""
    import plotly.io as pio

    from gru_viz import figures, presets

    print("Gate Explorer server-side work per update (median ms; no browser, no cache):")
    print(f"{'setting':22s} {'run':>6s} {'figure':>7s} {'json':>6s} {'total':>6s} {'kB':>6s}")
    for cell, T, H in [("GRU", 100, 16), ("LSTM", 100, 16), ("GRU", 500, 128), ("LSTM", 500, 128)]:
        times, size = [], 0
        for seed in range(repeats):
            t0 = time.perf_counter()
            x, names = presets.build_input("noise", T, seed=seed)
            trace = presets.build_model(cell, 1, H, seed=seed).run(x)
            t1 = time.perf_counter()
            fig = figures.trace_figure(trace, names)
            t2 = time.perf_counter()
            size = len(pio.to_json(fig, validate=False))
            times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
        med = [1000 * statistics.median(c) for c in zip(*times, strict=True)]
        print(f"{cell + f' T={T} H={H}':22s} {med[0]:6.1f} {med[1]:7.1f} {med[2]:6.1f} {sum(med):6.1f} {size / 1000:6.0f}")
    print()


def fmt_ms(xs):
    return f"{1000 * statistics.median(xs):6.0f} / {1000 * p90(xs):6.0f}" if xs else "           -"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="*", default=list(PAGES), help="names in PAGES (mostly url paths; '' = home); default: all")
    ap.add_argument("--moves", type=int, default=10, help="slider presses per setting")
    args = ap.parse_args(argv)
    compute_table()
    from playwright.sync_api import sync_playwright

    rows = []
    with running_app(log_name="streamlit-bench.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # warm the server (imports, first-run caches) so "cold load" measures a browser's first visit
        warm = browser.new_page()
        warm.goto(url)
        wait_for_app(warm, timeout=180)
        warm.close()
        floor = bench_floor(browser, args.moves)
        print(f"  measured the floor: {floor}", file=sys.stderr, flush=True)
        for name in args.pages:
            try:
                rows.append(bench_page(browser, url, name, args.moves))
            except Exception as e:  # one broken page should not hide the others' numbers
                rows.append({"page": name or "home", "error": f"{type(e).__name__}: {e}"[:120]})
            print(f"  measured {name or 'home'}: {rows[-1]}", file=sys.stderr, flush=True)  # raw numbers as they come
        browser.close()

    print(f"\nmedian / p90 latency in ms (key press -> chart redrawn), {args.moves} moves per setting; "
          "load in s; payload in kB over the websocket")
    head = f"{'page':16s} {'load':>5s} {'kB':>6s} {'exc':>3s} | {'defaults':>15s} {'kB/move':>7s} | " \
           f"{'load':>5s} {'kB':>6s} {'T=500,H=128':>15s} {'kB/move':>7s}"
    print(head)
    print("-" * len(head))
    ok, missed = True, []  # ok: every page ran; missed: the targets not met
    for r in rows:
        if "error" in r:
            print(f"{r['page']:16s} ERROR {r['error']}")
            ok = False
            continue
        kb = lambda n: f"{n / 1000:6.0f}" if n is not None else "     -"  # noqa: E731
        line = f"{r['page']:16s} {r['load']:5.2f} {kb(r['payload'])} {r['errors']:3d} | "
        line += f"{fmt_ms(r['default'])} {kb(r['per_move'])} |"
        if "large" in r:
            line += f" {r['load_large']:5.2f} {kb(r['payload_large'])} {fmt_ms(r['large'])} {kb(r['per_move_large'])}"
        print(line)
        checks = {"load": r["load"] <= TARGETS["load"], "payload": r["payload"] <= TARGETS["payload"],
                  "no errors": r["errors"] == 0}
        if r["default"]:
            checks["median"] = statistics.median(r["default"]) <= TARGETS["median_default"]
        if "load_large" in r:  # the load target holds at T=500, H=128 too
            checks["load at T=500, H=128"] = r["load_large"] <= TARGETS["load"]
            checks["payload at T=500, H=128"] = r["payload_large"] <= TARGETS["payload"]
        if r.get("large"):
            checks["median at T=500, H=128"] = statistics.median(r["large"]) <= TARGETS["median_large"]
        missed += [f"{r['page'] or 'home'}: {name}" for name, met in checks.items() if not met]
    base = statistics.median(floor["default"])
    print(f"\nthe floor, measured in the same run (bench/floor_app.py: Streamlit, one fragment, one slider, a chart of "
          f"three points): load {floor['load']:.2f} s, slider move {fmt_ms(floor['default']).strip()} ms (median / p90).")
    print("each page's median at defaults over the floor's: " + ", ".join(
        f"{r['page']} {statistics.median(r['default']) / base:.1f}x" for r in rows if r.get("default")))
    print(f"\ntargets: median <= {TARGETS['median_default'] * 1000:.0f} ms (defaults), "
          f"<= {TARGETS['median_large'] * 1000:.0f} ms (T=500, H=128), load <= {TARGETS['load']} s, "
          f"payload <= {TARGETS['payload'] / 1e6:.0f} MB: {'all met' if ok and not missed else 'NOT all met'}"
          + "".join(f"\n  missed: {m}" for m in missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
