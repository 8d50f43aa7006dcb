"""What a chart redraw costs in the browser: Plotly.react on a drawn chart vs Plotly.newPlot in a new one.

    .venv/bin/python bench/bench_plotly.py            # the Gradient Lab's five charts, about 30 s
    .venv/bin/python bench/bench_plotly.py --reps 21  # more repeats

Streamlit gives a chart a new identity whenever its figure changes (the element id
hashes the spec), so after every slider move each changed chart is mounted afresh:
a new <div> and Plotly.newPlot. A chart updated in place would take Plotly.react
instead. This script measures both, outside Streamlit, for the figures the
Gradient Lab shows at its defaults (T=200 and T=201 alternately, H=32), in headless
Chromium (/usr/bin/chromium) with the plotly.js that the plotly Python package ships.
Median ms per chart and in total; it prints, it asserts nothing.
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

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

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
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))
        result = page.evaluate(TIME_CHARTS, [specs, args.reps])
        browser.close()
    print(f"plotly.js as bundled with plotly {plotly.__version__} (Python), median ms over {args.reps} redraws")
    print(f"{'chart':22s} {'Plotly.react':>12s} {'newPlot (new div)':>18s}")
    for name, (react, fresh) in result.items():
        print(f"{name:22s} {react:12.1f} {fresh:18.1f}")
    total = [sum(v[i] for v in result.values()) for i in (0, 1)]
    print(f"{'all five':22s} {total[0]:12.1f} {total[1]:18.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
