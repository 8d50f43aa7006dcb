// gru-viz chart: one Plotly figure that stays on the page and is updated in place.
//
// Streamlit's own st.plotly_chart gives a chart a new identity whenever its figure
// changes, so every slider move builds each changed chart from scratch
// (Plotly.newPlot). Here the chart keeps its <div> for as long as the page shows it
// and each new figure goes through Plotly.react, which redraws only what changed
// (about half the time per move: bench/bench_plotly.py). Plotly itself is the build
// beside this file (core + bar + heatmap: all the app draws; tools/plotly-bundle),
// loaded once per page.
//
// Streamlit calls the default export on mount and again whenever `data` changes,
// with the same parentElement. `data` is UTF-8 JSON bytes:
//     {"figure": {"data": [...], "layout": {...}}, "config": {...}, "alt": "one-line reading"}
// The chart's <div> carries data-testid="gvChart" and data-state = "drawing" |
// "drawn" | "error", which the browser tests and benchmarks wait on.

let plotlyLoading = null;

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("./plotly-gru-viz.min.js", import.meta.url).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { plotlyLoading = null; reject(new Error("could not load Plotly from " + script.src)); };
      document.head.appendChild(script);
    });
  }
  return plotlyLoading;
}

loadPlotly().catch(() => {}); // start as soon as this module loads; a chart that needs Plotly reports a failure

// The modebar's "full screen" button (Streamlit's own charts have one in their toolbar): four corners.
const FULLSCREEN_BUTTON = {
  name: "fullscreen",
  title: "Full screen (Esc to leave)",
  icon: {
    width: 1000, height: 1000,
    path: "M0 0h380v110H110v270H0z M620 0h380v380H890V110H620z M0 620h110v270h270v110H0z M890 620h110v380H620V890h270z",
  },
  click: (gd) => (document.fullscreenElement ? document.exitFullscreen() : gd.requestFullscreen()),
};

function fullScreenSize(div) {
  // The screen's width, and its height unless the figure is taller: a tall figure (the Gate Explorer's six
  // panels) keeps its own height and scrolls, rather than squeezing its panels until their labels overlap.
  return { width: window.screen.width, height: Math.max(window.screen.height, div._gvHeight ?? 0) };
}

function onFullscreenChange(div) {
  // A full-screen chart fills the screen; back on the page it takes its figure's own size again.
  const Plotly = window.Plotly;
  if (!Plotly || !div.layout) return;
  const full = document.fullscreenElement === div;
  div.style.overflowY = full ? "auto" : "";
  Plotly.relayout(div, full ? fullScreenSize(div) : { width: div._gvWidth ?? null, height: div._gvHeight ?? null });
}

function fitWidth(div) {
  // Redraw at the <div>'s width if the chart was drawn at another (more than a pixel off: no redraw for rounding).
  // Plots.resize keeps the figure's height here because the component is mounted with height="content" (the
  // <div> is as tall as what Plotly drew); with both width and height fixed (full screen) it does nothing.
  const Plotly = window.Plotly, drawn = div._fullLayout?.width, width = div.clientWidth;
  if (!Plotly || div.dataset.state !== "drawn" || !drawn || width <= 0 || Math.abs(width - drawn) <= 1) return;
  Plotly.Plots.resize(div).catch(() => {}); // a chart unmounted meanwhile has nothing to resize
}

export default function (component) {
  const { data, parentElement } = component;
  let div = parentElement.querySelector(":scope > .gv-chart");
  if (!div) {
    div = document.createElement("div");
    div.className = "gv-chart";
    div.dataset.testid = "gvChart";
    div.setAttribute("role", "figure"); // labelled by its one-line reading; its modebar stays reachable
    div.style.width = "100%";
    div.style.background = "white"; // also behind a full-screen chart
    div.addEventListener("fullscreenchange", () => onFullscreenChange(div));
    parentElement.appendChild(div);
  }
  if (!div._gvResize) {
    // Plotly's `responsive` follows the window's size only: folding the sidebar widens the page without resizing
    // the window, and left every chart at its old width. Redraw when the <div>'s width changes (after a draw, too:
    // a change that came while Plotly was drawing).
    div._gvResize = new ResizeObserver(() => fitWidth(div));
    div._gvResize.observe(div);
  }
  const message = JSON.parse(new TextDecoder().decode(data));
  const { figure, config } = message;
  div.setAttribute("aria-label", message.alt || "chart");
  div._gvWidth = figure.layout.width;
  div._gvHeight = figure.layout.height;
  if (document.fullscreenElement === div) Object.assign(figure.layout, fullScreenSize(div));
  const draw = (div._gvDraw = (div._gvDraw || 0) + 1);
  div.dataset.state = "drawing";
  loadPlotly()
    .then((Plotly) => {
      if (draw !== div._gvDraw) return null; // a newer figure arrived while Plotly was loading
      const fullConfig = { responsive: true, ...config, modeBarButtonsToAdd: [FULLSCREEN_BUTTON] };
      return Plotly.react(div, figure.data, figure.layout, fullConfig);
    })
    .then(() => {
      if (draw !== div._gvDraw) return;
      div.dataset.state = "drawn";
      fitWidth(div);
    })
    .catch((err) => {
      // A draw that a newer figure (or an unmount) has overtaken may fail half-way, e.g. when Streamlit unmounts
      // the chart (purge) while Plotly is still redrawing after a window resize: only the latest draw reports.
      if (draw !== div._gvDraw) return;
      div.dataset.state = "error";
      div.textContent = "This chart could not be drawn: " + err.message;
    });
  return () => {
    div._gvDraw = (div._gvDraw || 0) + 1; // a draw still in flight is no longer the latest
    div._gvResize?.disconnect();
    delete div._gvResize; // a chart mounted again into the same <div> observes it afresh
    if (window.Plotly) window.Plotly.purge(div);
  };
}
