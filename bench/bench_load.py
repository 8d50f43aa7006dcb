"""Load test: a classroom of concurrent students on one gru-viz server.

Starts `streamlit run app.py` on 127.0.0.1 (a free port), opens N browser
sessions (separate Playwright contexts in one headless Chromium: separate
cookies and websockets, i.e. separate Streamlit sessions), and has each one
open the Gate Explorer and the Gradient Lab and move sliders with the keyboard
for a fixed time. Then it closes the sessions and stops the server.

Prints: p50/p95 interaction latency (key press on a slider -> the app has
finished rerunning), errors (exception elements, timeouts), and the server's
resident memory: before, at peak, per session, and after the sessions close.

Targets (issue 9): no errors, p95 <= 1.5 s, <= 30 MB per session, memory
returns after sessions close.

Usage:  .venv/bin/python bench/bench_load.py [--sessions 30] [--minutes 3]

Everything runs on this machine: the server, all browser sessions and this
script share its CPU cores, so the latencies include the browsers' rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one launch recipe for tests and benches)

PAGES = ["gate-explorer?weights=random", "gradient-lab?lstm=off"]  # pages with sliders to move
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SLIDER = '[data-testid="stSlider"] input[type="range"], [data-testid="stSlider"] [role="slider"]'
RAMP_UP_S = 2.0  # seconds between two students opening the app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start within 60 s")


async def wait_idle(page, timeout_ms: float = 30_000) -> None:
    """Wait until the app is connected and its script has finished running."""
    await page.wait_for_selector(IDLE, timeout=timeout_ms)


async def student(browser, base: str, until: float, latencies: list, errors: list, seed: int) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(max(seed, 0) * RAMP_UP_S)  # students come in over the first minute, not all at once
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)  # a page load on a saturated 2-core machine can take long: count it, don't abort
    try:
        while time.time() < until:
            for name in PAGES:
                if time.time() >= until:
                    break
                await page.goto(f"{base}/{name}", wait_until="domcontentloaded")
                await page.wait_for_selector('[data-testid="stSlider"]', timeout=120_000)
                await wait_idle(page, 60_000)
                for _ in range(rng.randint(3, 6)):
                    if time.time() >= until:
                        break
                    sliders = page.locator(SLIDER)
                    count = await sliders.count()
                    if count == 0:
                        errors.append(f"{name}: no slider")
                        break
                    thumb = sliders.nth(rng.randrange(count))
                    await thumb.focus()
                    t0 = time.perf_counter()
                    await thumb.press(rng.choice(["ArrowRight", "ArrowLeft"]))
                    # A rerun starts shortly after the key press; wait for it to finish.
                    try:
                        await page.wait_for_selector(
                            '[data-testid="stApp"]:not([data-test-script-state="notRunning"])', timeout=1500
                        )
                    except Exception:
                        pass  # the rerun may already be over (or the slider was at its end)
                    await wait_idle(page, 60_000)
                    latencies.append(time.perf_counter() - t0)
                    if await page.locator('[data-testid="stException"]').count():
                        errors.append(f"{name}: exception on page")
                    await asyncio.sleep(rng.uniform(0.5, 2.0))  # a student looks at the chart
    except Exception as e:  # a timeout or a crash is an error of the run, counted, not fatal
        errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
    finally:
        await context.close()


async def main(sessions: int, minutes: float) -> int:
    from playwright.async_api import async_playwright

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    errors: list[str] = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # warm up: one session loads both pages (imports, caches) before measuring memory
            await student(browser, base, time.time() + 5, [], [], seed=-1)
            rss_before = rss_mb(server.pid)
            until = time.time() + minutes * 60
            peak = rss_before

            async def sample_memory():
                nonlocal peak
                while time.time() < until:
                    peak = max(peak, rss_mb(server.pid))
                    await asyncio.sleep(1.0)

            started = time.time()
            await asyncio.gather(
                sample_memory(),
                *(student(browser, base, until, latencies, errors, seed=i) for i in range(sessions)),
            )
            elapsed = time.time() - started
            await browser.close()
        await asyncio.sleep(5)
        rss_after = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = sorted(latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    per_session = (peak - rss_before) / sessions
    print(f"sessions: {sessions}, duration: {elapsed:.0f} s, interactions: {len(lat)}, cores: {os.cpu_count()}")
    print(f"latency p50: {p50 * 1000:.0f} ms   p95: {p95 * 1000:.0f} ms   (target p95 <= 1500 ms)")
    print(f"errors: {len(errors)}" + ("".join(f"\n  - {e}" for e in sorted(set(errors))[:10]) if errors else ""))
    print(
        f"server RSS: before {rss_before:.0f} MB, peak {peak:.0f} MB, "
        f"growth per session {per_session:.1f} MB (target <= 30), after close {rss_after:.0f} MB"
    )
    ok = not errors and p95 <= 1.5 and per_session <= 30
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.minutes)))
