"""Load test: a classroom of concurrent students on one gru-viz server (issue 9).

Starts `streamlit run app.py` on 127.0.0.1 (a free port), connects N sessions, and has each one open the
Gate Explorer and the Gradient Lab and move their sliders for a fixed time, with a student's think time
between moves. Then it closes the sessions, watches the server's memory, and stops the server.

Two kinds of student (--client):

  ws       (default) a small client of Streamlit's own websocket protocol, the one the browser's
           frontend speaks: connect to /_stcore/stream, send BackMsg protobufs, read ForwardMsg
           protobufs. Light enough that 30 of them cost the 2-core machine almost nothing, so the
           figures measure the server. One interaction = one slider moved, exactly as the frontend
           sends it (`rerun_script` with the page hash, the URL query string, the slider's value as
           `double_array_value` and the fragment the slider lives in), timed until the server's
           `script_finished` message: every delta of the rerun, the chart payloads included, has
           arrived by then (one websocket, in order). Each interaction is checked: a slider move must
           change a chart's payload, and no exception element may appear.
  browser  Playwright contexts in one headless Chromium (the earlier version of this test). On a
           2-core machine 30 renderers starve the server, so this mostly measures the browsers.

With --client ws a real Chromium page (--probe, on by default) moves sliders on the same two pages
while the load runs: "what a student feels", rendering included. It shares the cores with the server.

Prints p50/p95/max latency (overall and per page), interactions, errors, the server's CPU time per
interaction, and its resident memory (from /proc; both with its worker processes, gru_viz.workers,
where the Gradient Lab computes): before, peak, growth per session, 10 s after the
sessions closed, and after the closed sessions expired (Streamlit keeps a closed session for
`server.disconnectedSessionTTL` seconds so that a reconnecting tab finds its state; --session-ttl).
Then the server itself reports (bench/load_server.py) what holds its memory: AppSessions still alive,
the bytes in st.cache_data (kept up to each cache's max_entries by design, not per session), and its
RSS after gc.collect() and after malloc_trim(0) (free heap glibc had kept); once more after the
caches were cleared (the menu's "Clear caches").

Targets (issue 9): no errors, p95 <= 1.5 s, <= 30 MB per session, memory returns after sessions close.

The server's script runs are timed too (wall clock and CPU of each run), and the machine's CPU is split
into the server, this load generator and everything else, so a saturated server, a busy neighbour and
a slow page can be told apart.

Usage:  .venv/bin/python bench/bench_load.py [--sessions 30] [--minutes 3] [--think 5 15] [--client ws|browser]
                                             [--no-probe] [--rounds 1] [--session-ttl 120] [--seed 0]
About 6 minutes with the defaults: the run, then the wait for the closed sessions to expire. --rounds 2
sends a second class to the same server: memory that does not return shows up as a higher second round.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one launch recipe for tests and benches)

# (url path, query string): the Gate Explorer with random weights (a trained checkpoint, the default, has no
# sliders); the Gradient Lab as it opens (plain RNN, GRU and LSTM).
PAGES = [("gate-explorer", "weights=random"), ("gradient-lab", "")]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SLIDER = '[data-testid="stSlider"] input[type="range"], [data-testid="stSlider"] [role="slider"]'
RAMP_UP_S = 1.0  # seconds between two students arriving
MOVES = (3, 6)  # slider moves per page visit
# seconds a student looks at the charts before the next move (uniform): a class that reads what it sees.
# --think 1 3 is the stress case, every student dragging a slider every two seconds for minutes.
THINK_S = (5.0, 15.0)
TIMEOUT_S = 60.0  # one rerun taking longer than this is an error


# ---------------------------------------------------------------------------------------------------------------
# statistics and server


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between order statistics (NaN for no values)."""
    if not values:
        return float("nan")
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_report(server: subprocess.Popen, path: Path) -> dict:
    """Ask the server what holds its memory (see bench/load_server.py); {} if it does not answer in 30 s."""
    import json

    n = len(path.read_text().splitlines()) if path.exists() else 0
    server.send_signal(signal.SIGUSR1)
    for _ in range(300):
        time.sleep(0.1)
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) > n:
            return json.loads(lines[-1])
    return {}


def process_tree(pid: int) -> list[int]:
    """pid and every process descended from it (the server's worker processes, gru_viz.workers), from /proc."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:  # gone meanwhile
                pass
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return tree


def _sum_over_tree(pid: int, read) -> float:
    """read(p) summed over pid and its descendants (a process gone meanwhile counts 0)."""
    total = 0.0
    for p in process_tree(pid):
        try:
            total += read(p)
        except OSError:  # gone meanwhile
            pass
    return total


def _rss_mb_of(p: int) -> float:
    with open(f"/proc/{p}/status") as f:
        return next((int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:")), 0.0)


def _cpu_s_of(p: int) -> float:
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory in MB of a process and of its worker processes together, from /proc (pages the
    workers share with each other, such as NumPy's code, are counted once per process: an upper bound)."""
    return _sum_over_tree(pid, _rss_mb_of)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process and its worker processes have used, from /proc/<pid>/stat."""
    return _sum_over_tree(pid, _cpu_s_of)


def machine_busy_s() -> float:
    """CPU seconds all cores of this machine have spent busy (not idle, not waiting for I/O), from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, session_ttl: int, env: dict | None = None, post_script_gc: bool = False) -> subprocess.Popen:
    """`streamlit run app.py` through bench/load_server.py, which adds a memory report on SIGUSR1.

    The repo's .streamlit/config.toml applies (cwd = the repo); ``post_script_gc`` turns Streamlit's default
    full garbage collection after every script run back on (the config turns it off)."""
    cmd = [
        sys.executable, str(ROOT / "bench" / "load_server.py"), "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--server.disconnectedSessionTTL", str(session_ttl),
        "--runner.postScriptGC", "true" if post_script_gc else "false",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start within 60 s")


@dataclass
class Record:
    """What every student appends to: latencies per page, errors, and checks."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p, _ in PAGES})
    page_loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unchanged: int = 0  # slider moves whose rerun did not change any chart payload


# ---------------------------------------------------------------------------------------------------------------
# the websocket student


@dataclass
class Run:
    """One rerun as the client saw it."""

    seconds: float
    sliders: dict  # widget id -> (Slider proto, fragment id)
    charts: dict  # chart position (delta path) -> hash of its Plotly spec
    problems: list[str]


class WsStudent:
    """One browser tab, speaking Streamlit's websocket protocol (what frontend/app/src/App.tsx sends)."""

    def __init__(self, ws):
        self.ws = ws
        self.query = ""
        self.page_hashes: dict[str, str] = {}  # url path -> page script hash (from the `navigation` message)
        self.page_hash = ""  # the page shown
        self.values: dict[str, list[float]] = {}  # slider id -> value, as the frontend's WidgetStateManager keeps it

    @classmethod
    async def connect(cls, url: str) -> WsStudent:
        from websockets.asyncio.client import connect

        return cls(await connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=TIMEOUT_S))

    async def close(self) -> None:
        await self.ws.close()

    async def rerun(self, *, page: str | None = None, widget: tuple[str, list[float]] | None = None,
                    fragment: str = "") -> Run:
        """Send one `rerun_script` and read the server's answer until `script_finished`."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        rerun = msg.rerun_script
        if page is not None:  # open a page: by hash once the app has told us its pages, else by name (a typed URL)
            path, self.query = page.split("?", 1) if "?" in page else (page, "")
            if path in self.page_hashes:
                rerun.page_script_hash = self.page_hashes[path]
            else:
                rerun.page_name = path
            self.values = {}
        else:
            rerun.page_script_hash = self.page_hash
        rerun.query_string = self.query
        if widget is not None:
            self.values[widget[0]] = widget[1]
        for wid, value in self.values.items():  # the frontend sends the value of every widget it holds
            rerun.widget_states.widgets.add(id=wid).double_array_value.data.extend(value)
        if fragment:
            rerun.fragment_id = fragment

        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        sliders, charts, problems = {}, {}, []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT_S))
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                self.page_hashes = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string  # the app writes its settings into the URL
            elif kind == "page_not_found":
                problems.append(f"page not found: {page}")
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                et = el.WhichOneof("type")
                if et == "slider":
                    sliders[el.slider.id] = (el.slider, fwd.delta.fragment_id)
                    if el.slider.set_value or el.slider.id not in self.values:
                        self.values[el.slider.id] = list(el.slider.value if el.slider.set_value else el.slider.default)
                elif et == "bidi_component" and el.bidi_component.component_name == "gru-viz.plotly_chart":
                    # a chart (gru_viz.components.plotly_chart), by position on the page
                    charts[tuple(fwd.metadata.delta_path)] = hashlib.sha1(el.bidi_component.bytes).hexdigest()
                elif et == "exception":
                    problems.append(f"exception: {el.exception.type}: {el.exception.message[:100]}")
                elif et == "alert" and el.alert.format == el.alert.ERROR:
                    problems.append(f"st.error: {el.alert.body[:100]}")
            elif kind == "script_finished":
                if fwd.script_finished not in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    problems.append(f"script finished with status {fwd.script_finished}")
                return Run(time.perf_counter() - t0, sliders, charts, problems)


def slider_move(slider, value: list[float], rng: random.Random) -> list[float]:
    """A student's move: one to a few steps left or right (a drag, or arrow keys), kept in range."""
    step = slider.step or 1.0
    span = (slider.max - slider.min) / step
    k = rng.randint(1, max(1, round(span / 20)))  # up to 5 % of the range
    new = value[0] + rng.choice([-1, 1]) * k * step
    if not slider.min <= new <= slider.max:
        new = value[0] - (new - value[0])  # bounce off the end
    return [round(min(max(new, slider.min), slider.max), 10)]


async def ws_student(url: str, until: float, rec: Record, seed: int, delay: float = 0.0, think=THINK_S) -> None:
    """One student: arrives after ``delay`` s, then opens each page in turn and moves its sliders until ``until``."""
    rng = random.Random(seed)
    await asyncio.sleep(delay)
    student = None
    try:
        student = await WsStudent.connect(url)
        while time.time() < until:
            for path, query in PAGES:
                if time.time() >= until:
                    break
                run = await student.rerun(page=f"{path}?{query}")
                rec.page_loads.append(run.seconds)
                rec.errors += [f"{path} open: {p}" for p in run.problems]
                for _ in range(rng.randint(*MOVES)):
                    if time.time() >= until:
                        break
                    await asyncio.sleep(rng.uniform(*think))  # a student looks at the charts, then moves a slider
                    movable = [sid for sid, (s, _) in run.sliders.items() if not s.disabled]
                    if not movable:
                        rec.errors.append(f"{path}: no slider")
                        break
                    sid = rng.choice(movable)
                    slider, fragment = run.sliders[sid]
                    before = run
                    run = await student.rerun(widget=(sid, slider_move(slider, student.values[sid], rng)), fragment=fragment)
                    rec.latencies[path].append(run.seconds)
                    rec.errors += [f"{path} {slider.label}: {p}" for p in run.problems]
                    if not any(before.charts.get(k) != v for k, v in run.charts.items()):
                        rec.unchanged += 1
                    # a fragment rerun resends only the fragment's elements: keep what lies outside it
                    run.sliders, run.charts = {**before.sliders, **run.sliders}, {**before.charts, **run.charts}
    except Exception as e:  # a timeout or a dropped connection is an error of the run, counted, not fatal
        rec.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}")
    finally:
        if student is not None:
            await student.close()


# ---------------------------------------------------------------------------------------------------------------
# the browser student (Playwright): the --client browser load, and the one-page probe beside the ws load


async def browser_student(browser, base: str, until: float, rec: Record, seed: int, delay: float = 0.0,
                          think=THINK_S) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)  # a page load on a saturated 2-core machine can take long: count it, don't abort
    try:
        while time.time() < until:
            for path, query in PAGES:
                if time.time() >= until:
                    break
                t0 = time.perf_counter()
                await page.goto(f"{base}/{path}?{query}", wait_until="domcontentloaded")
                await page.wait_for_selector('[data-testid="stSlider"]', timeout=120_000)
                await page.wait_for_selector(IDLE, timeout=60_000)
                rec.page_loads.append(time.perf_counter() - t0)
                for _ in range(rng.randint(*MOVES)):
                    if time.time() >= until:
                        break
                    await asyncio.sleep(rng.uniform(*think))
                    sliders = page.locator(SLIDER)
                    count = await sliders.count()
                    if count == 0:
                        rec.errors.append(f"{path}: no slider")
                        break
                    thumb = sliders.nth(rng.randrange(count))
                    if await thumb.get_attribute("aria-disabled") == "true":
                        continue
                    await thumb.focus()
                    t0 = time.perf_counter()
                    await thumb.press(rng.choice(["ArrowRight", "ArrowLeft"]))
                    try:  # a rerun starts shortly after the key press; wait for it to finish
                        await page.wait_for_selector('[data-testid="stApp"]:not([data-test-script-state="notRunning"])',
                                                     timeout=1500)
                    except Exception:
                        pass  # the rerun may already be over (or the slider was at its end)
                    await page.wait_for_selector(IDLE, timeout=60_000)
                    rec.latencies[path].append(time.perf_counter() - t0)
                    if await page.locator('[data-testid="stException"]').count():
                        rec.errors.append(f"{path}: exception on page")
    except Exception as e:
        rec.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
    finally:
        await context.close()


# ---------------------------------------------------------------------------------------------------------------
# the run


async def run_load(args) -> int:
    port = args.port or free_port()
    report = Path(tempfile.mkdtemp(prefix="bench_load_")) / "memory.jsonl"
    env = {"LOAD_SERVER_REPORT": str(report)}
    if args.malloc_arenas:
        env["MALLOC_ARENA_MAX"] = str(args.malloc_arenas)
    server = start_server(port, args.session_ttl, env, args.post_script_gc)
    base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/_stcore/stream"
    think = tuple(args.think)
    rec, probe = Record(), Record()
    rounds: list[dict] = []  # per round: RSS before, peak, after close, after expiry, and the server's report
    playwright = browser = None
    try:
        if args.client == "browser" or args.probe:
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # warm up: one session opens both pages (imports, first cache entries) before memory is measured
        await ws_student(url, time.time() + 8, Record(), seed=-1, think=(0.5, 1.0))
        memory_report(server, report)  # also starts the count of script runs afresh
        await asyncio.sleep(2)
        elapsed = server_cpu = busy = own = 0.0
        runs: list = []
        for r in range(args.rounds):  # a round: the class comes, works, leaves; its closed sessions expire
            mem = {"before": rss_mb(server.pid)}
            mem["peak"] = mem["before"]
            cpu0, busy0, own0, started = cpu_s(server.pid), machine_busy_s(), time.process_time(), time.time()
            until = started + args.minutes * 60

            async def sample_memory(mem=mem, until=until):
                while time.time() < until:
                    mem["peak"] = max(mem["peak"], rss_mb(server.pid))
                    await asyncio.sleep(0.5)

            seeds = [(args.seed + r) * 1000 + i for i in range(args.sessions)]  # students arrive RAMP_UP_S apart
            student = ws_student if args.client == "ws" else functools.partial(browser_student, browser)
            target = url if args.client == "ws" else base
            students = [student(target, until, rec, s, delay=i * RAMP_UP_S, think=think) for i, s in enumerate(seeds)]
            if args.probe and args.client == "ws":  # one real page in Chromium, arriving with the first student
                students.append(browser_student(browser, base, until, probe, seed=seeds[0] + 999, think=think))
            await asyncio.gather(sample_memory(), *students)
            elapsed += time.time() - started
            server_cpu += cpu_s(server.pid) - cpu0
            busy, own = busy + machine_busy_s() - busy0, own + time.process_time() - own0
            mem["peak"] = max(mem["peak"], rss_mb(server.pid))
            runs += memory_report(server, report).get("script_runs", [])
            await asyncio.sleep(10)
            mem["closed"] = rss_mb(server.pid)
            if args.session_ttl <= args.wait_expiry:
                # Streamlit keeps a closed session for the TTL (a reconnecting tab finds its state) and drops expired
                # ones when the next session closes: wait, then let one short session come and go.
                await asyncio.sleep(max(args.session_ttl - 10, 0) + 5)
                tmp = await WsStudent.connect(url)
                await tmp.rerun(page="home")
                await tmp.close()
                await asyncio.sleep(3)
                mem["expired"] = rss_mb(server.pid)
            mem["report"] = memory_report(server, report)
            rounds.append(mem)
        if browser is not None:
            await browser.close()
            await playwright.stop()
            browser = playwright = None
        from streamlit.proto.BackMsg_pb2 import BackMsg

        tmp = await WsStudent.connect(url)  # the menu's "Clear caches": st.cache_data and st.cache_resource
        await tmp.ws.send(BackMsg(clear_cache=True).SerializeToString())
        await asyncio.sleep(1)
        await tmp.close()
        await asyncio.sleep(3)
        cleared = memory_report(server, report)
    finally:
        if browser is not None:
            await browser.close()
        if playwright is not None:
            await playwright.stop()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = [x for v in rec.latencies.values() for x in v]
    per_session = max((m["peak"] - m["before"]) / args.sessions for m in rounds)
    p95 = percentile(lat, 0.95)
    n_inter = len(lat) + len(rec.page_loads)

    def line(name: str, xs: list[float]) -> str:
        return (f"  {name:<24} n={len(xs):<5} p50 {percentile(xs, .5) * 1000:6.0f} ms   p95 {percentile(xs, .95) * 1000:6.0f} ms"
                f"   max {max(xs, default=float('nan')) * 1000:6.0f} ms")

    print(f"client: {args.client}, sessions: {args.sessions}, think time {think[0]:g}-{think[1]:g} s, duration: {elapsed:.0f} s, "
          f"cores: {os.cpu_count()}, load before the run (1 min): {args.load_before:.1f}, "
          f"post-script GC: {'on' if args.post_script_gc else 'off'}")
    print(f"interactions: {len(lat)} slider moves, {len(rec.page_loads)} page opens; server CPU {server_cpu:.0f} s = "
          f"{server_cpu / elapsed * 100:.0f} % of one core, {server_cpu / max(n_inter, 1) * 1000:.0f} ms per interaction")
    print(f"machine CPU: {busy / elapsed * 100:.0f} % of one core busy in all ({os.cpu_count()} cores): the server "
          f"{server_cpu / elapsed * 100:.0f} %, this load generator {own / elapsed * 100:.0f} %, everything else "
          f"{(busy - server_cpu - own) / elapsed * 100:.0f} % (the browser probe, other work on the machine)")
    print("latency (slider move -> rerun finished, charts included):")
    print(line("all slider moves", lat))
    for path, xs in rec.latencies.items():
        print(line(path, xs))
    print(line("page opens", rec.page_loads))
    print(f"target p95 <= 1500 ms: {'met' if p95 <= 1.5 else 'NOT met'}")
    if args.client == "ws":
        print(f"slider moves that changed no chart: {rec.unchanged}")
    print(f"errors: {len(rec.errors)}" + "".join(f"\n  - {e}" for e in sorted(set(rec.errors))[:10]))
    if runs:
        wall, cpu = [w for w, _ in runs], [c for _, c in runs]
        print(f"server script runs: {len(runs)}; wall time p50 {percentile(wall, .5) * 1000:.0f} ms, "
              f"p95 {percentile(wall, .95) * 1000:.0f} ms; CPU time of the script thread "
              f"p50 {percentile(cpu, .5) * 1000:.0f} ms, p95 {percentile(cpu, .95) * 1000:.0f} ms (worker threads not included)")
    if args.probe and args.client == "ws":
        plat = [x for v in probe.latencies.values() for x in v]
        print("browser probe (one Chromium page beside the load; key press -> page idle, rendering included):")
        print(line("all slider moves", plat))
        print(line("page opens", probe.page_loads))
        if probe.errors:
            print("  probe errors: " + "; ".join(sorted(set(probe.errors))[:5]))
    def held(r: dict) -> str:
        return (f"RSS {r['rss_mb']:.0f} MB, AppSessions alive {r['app_sessions']} (kept for reconnection "
                f"{r.get('stored_sessions', '?')}), st.cache_data {r['cache_data_mb']:.1f} MB; after gc.collect "
                f"{r['rss_after_gc_mb']:.0f} MB, after malloc_trim {r['rss_after_trim_mb']:.0f} MB")

    print(f"server RSS, growth per session = (peak - before) / sessions, target <= 30 MB: {per_session:.1f} MB")
    for r, m in enumerate(rounds, start=1):
        print(f"  round {r}: before {m['before']:.0f} MB, peak {m['peak']:.0f} MB, 10 s after the sessions closed "
              f"{m['closed']:.0f} MB" + (f", after they expired (TTL {args.session_ttl} s) {m['expired']:.0f} MB"
                                        if "expired" in m else ""))
        if m["report"]:
            print(f"    then: {held(m['report'])}")
    if cleared:
        print(f"  caches cleared: {held(cleared)}")
    ok = not rec.errors and p95 <= 1.5 and per_session <= 30
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--client", choices=["ws", "browser"], default="ws")
    parser.add_argument("--probe", action=argparse.BooleanOptionalAction, default=True,
                        help="with --client ws: one real Chromium page beside the load (default on)")
    parser.add_argument("--think", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"),
                        help="seconds between two moves of one student, uniform (default 5 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="classes one after another on the same server (memory that does not return adds up)")
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: a free one)")
    parser.add_argument("--session-ttl", type=int, default=120,
                        help="server.disconnectedSessionTTL in seconds (Streamlit's default 120)")
    parser.add_argument("--wait-expiry", type=int, default=180,
                        help="wait for the closed sessions to expire when the TTL is at most this many seconds")
    parser.add_argument("--malloc-arenas", type=int, default=0, help="MALLOC_ARENA_MAX for the server (0: glibc default)")
    parser.add_argument("--post-script-gc", action="store_true",
                        help="Streamlit's default gc.collect(2) after every script run (.streamlit/config.toml turns it off)")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    return asyncio.run(run_load(args))


if __name__ == "__main__":
    sys.exit(main())
