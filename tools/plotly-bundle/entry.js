'use strict';
// The Plotly that gru-viz draws with: the core (which holds the scatter trace, the axes, shapes,
// annotations, legends, colour bars, the modebar and image export) and the two other trace types
// the app's figures use. Keep in step with tests/test_chart_component.py.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap')]);

module.exports = Plotly;
