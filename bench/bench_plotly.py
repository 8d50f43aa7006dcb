"""What a chart costs in the browser: loading Plotly, and redrawing a chart in place vs afresh.

    .venv/bin/python bench/bench_plotly.py            # the Gradient Lab's five charts, about 30 s
    .venv/bin/python bench/bench_plotly.py --reps 21  # more repeats

Streamlit's st.plotly_chart gives a chart a new identity whenever its figure
changes (the element id hashes the spec), so after every slider move each changed
chart is mounted afresh: a new <div> and Plotly.newPlot. gru-viz's own chart
component (gru_viz/components/plotly_chart) keeps the <div> and calls Plotly.react.
This script measures both, outside Streamlit, for the figures the Gradient Lab
shows at its defaults (T=200 and T=201 alternately, H=32), in headless Chromium
(/usr/bin/chromium) with the Plotly build the app ships (tools/plotly-bundle); and
how long the browser takes to run that build and the full one the plotly Python
package ships (what a page's first chart waits for). Median ms; it prints, it
asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import plotly
import plotly.io as pio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gru_viz import figures, lab, presets  # noqa: E402
from gru_viz import figures_gradients as fg  # noqa: E402
from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PLOTLY_JS = ROOT / "gru_viz" / "components" / "plotly_chart" / "plotly-gru-viz.min.js"  # what the app loads
PLOTLY_FULL_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # all trace types

# Run a bundle's source as a classic script in a fresh page: ms from inserting it to window.Plotly.
RUN_BUNDLE = """(source) => {
  const t0 = performance.now();
  const s = document.createElement('script');
  s.textContent = source;
  document.head.appendChild(s);  // an inline script runs at once: parse, compile, execute
  return [performance.now() - t0, typeof window.Plotly];
}"""

# For each chart: figures a and b; draw one, then alternate. Returns {name: [react ms, newPlot ms]}.
TIME_CHARTS = """async ([specs, reps]) => {
  const median = ts => { ts.sort((x, y) => x - y); return ts[Math.floor(ts.length / 2)]; };
  const box = (w, h) => { const d = document.createElement('div'); d.style.width = w + 'px'; d.style.height = h + 'px';
                          document.body.appendChild(d); return d; };
  const out = {};
  for (const [name, a, b, w, h] of specs) {
    const drawn = box(w, h), A = JSON.parse(a);
    await Plotly.newPlot(drawn, A.data, A.layout);
    const react = [], fresh = [];
    for (let i = 0; i < reps; i++) {
      const F = JSON.parse(i % 2 ? a : b);  // new objects every time, as Streamlit parses its spec
      let t0 = performance.now();
      await Plotly.react(drawn, F.data, F.layout);
      react.push(performance.now() - t0);
      const G = JSON.parse(i % 2 ? a : b);
      t0 = performance.now();
      const d = box(w, h);
      await Plotly.newPlot(d, G.data, G.layout);
      fresh.push(performance.now() - t0);
      Plotly.purge(d); d.remove();
    }
    out[name] = [median(react), median(fresh)];
  }
  return out;
}"""


def lab_figures(T: int, H: int = 32) -> dict:
    """The Gradient Lab's five charts at its defaults (noise input, rho = 1, b_z = 3) for length T."""
    x, _ = presets.build_input("noise", T, seed=0, text="")
    res = {k: lab.analyse(lab.build(k, x.shape[1], H), x) for k in ("RNN", "GRU", "LSTM")}
    decays = {k: r.decay for k, r in res.items()}
    return {
        "gradient decay": fg.mark_threshold(figures.decay_figure(decays, title="decay"), decays, lab.THRESHOLD),
        "eigenvalues": fg.eigen_figure({k: r.eigenvalues for k, r in res.items()}, title="eigenvalues"),
        "influence heatmaps": fg.influence_figure({k: r.influence for k, r in res.items()}),
        "GRU hidden state": figures.state_heatmap(res["GRU"].trace),
        "GRU update gate": figures.gate_heatmap(res["GRU"].trace, "update"),
    }


WIDTHS = {"gradient decay": 800, "eigenvalues": 520, "influence heatmaps": 1330, "GRU hidden state": 660,
          "GRU update gate": 660}  # px, about as wide as on the page at 1400 px


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=11, help="redraws per chart and method")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    a, b = lab_figures(200), lab_figures(201)
    specs = [[name, pio.to_json(a[name], validate=False), pio.to_json(b[name], validate=False), WIDTHS[name],
              a[name].layout.height or 450] for name in a]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        load = {}
        for path in (PLOTLY_JS, PLOTLY_FULL_JS):
            source, times = path.read_text(encoding="utf-8"), []
            for i in range(5):
                context = browser.new_context()  # a fresh context, and a source V8 has not compiled before
                ms, kind = context.new_page().evaluate(RUN_BUNDLE, f"{source}\n// run {i}")
                assert kind == "object", f"{path.name} did not define window.Plotly"
                times.append(ms)
                context.close()
            load[path.name] = (sorted(times)[2], path.stat().st_size / 1e6)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))
        result = page.evaluate(TIME_CHARTS, [specs, args.reps])
        browser.close()
    print("running a Plotly build in a fresh page (median of 5):")
    for name, (ms, mb) in load.items():
        print(f"  {name:26s} {mb:4.1f} MB  {ms:6.0f} ms")
    print(f"redrawing a chart, with {PLOTLY_JS.name}: median ms over {args.reps} redraws")
    print(f"{'chart':22s} {'Plotly.react':>12s} {'newPlot (new div)':>18s}")
    for name, (react, fresh) in result.items():
        print(f"{name:22s} {react:12.1f} {fresh:18.1f}")
    total = [sum(v[i] for v in result.values()) for i in (0, 1)]
    print(f"{'all five':22s} {total[0]:12.1f} {total[1]:18.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
