// node build.js -> ../../gru_viz/components/plotly_chart/plotly-gru-viz.min.js
// The settings are plotly.js's own (its esbuild-config.js), minified, without its WebGL/CSS plugins
// (no trace here needs them).
const path = require('path');
const version = require('plotly.js/package.json').version;
const out = path.join(__dirname, '..', '..', 'gru_viz', 'components', 'plotly_chart', 'plotly-gru-viz.min.js');

require('esbuild').build({
  entryPoints: [path.join(__dirname, 'entry.js')],
  outfile: out,
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  target: 'es2016',
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  alias: { stream: 'stream-browserify' },
  loader: { '.css': 'empty' }, // maplibre's stylesheet, required only for map traces
  banner: { js: `/* plotly.js v${version} (core + bar + heatmap) for gru-viz, built by tools/plotly-bundle. MIT license: LICENSE-plotly.js.txt */` },
  legalComments: 'eof',
  logLevel: 'warning',
}).then(() => console.log(`wrote ${out}`));
