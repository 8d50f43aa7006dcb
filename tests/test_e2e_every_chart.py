"""Every page and every lesson step in a real headless Chromium: no error on the page, and every chart drawn once.

Plotly grows a margin that is too small for its tick labels, axis titles, colour bar or legend by drawing the
whole chart a second time (layout.margin.autoexpand). Before the figures' margins were measured
(gru_viz.figures.MARGIN_LEFT and the rest), nearly every chart of the app was drawn twice on first showing.
A chart was drawn once when the margins Plotly ended with (``_fullLayout._size``) are the figure's own.
"""

import pytest

from gru_viz import lessons
from tests.e2e_helpers import ROOT, errors_on_page, goto

pytestmark = pytest.mark.e2e

PAGES = ["", "gate-explorer", "gate-explorer?cell=LSTM", "step-through", "gradient-lab", "gradient-lab?T=500&H=128",
         "compare", "phase-portrait", "training-lab", "attention", "text"]
LESSON_STEPS = [f"lessons?lesson={n}&step={s}"
                for n, lesson in enumerate(lessons.load_lessons(ROOT / "lessons"), start=1)
                for s in range(1, len(lesson.steps) + 1)]

# [label, the figure's margins, the margins Plotly drew with] of every chart whose margins Plotly had to grow
GROWN = """() => [...document.querySelectorAll('[data-testid="gvChart"]')].flatMap(div => {
  const asked = div.layout.margin || {}, drawn = div._fullLayout._size;
  const grown = ['l', 'r', 't', 'b'].some(side => Math.abs(drawn[side] - (asked[side] ?? 80)) > 1);
  return grown ? [[(div.getAttribute('aria-label') || '').slice(0, 60), asked, drawn]] : [];
})"""
COUNT = """() => document.querySelectorAll('[data-testid="gvChart"]').length"""


def test_every_page_and_lesson_step_draws_each_chart_once_without_errors(browser_page, app_url):
    page, problems, charts = browser_page, [], 0
    for path in PAGES + LESSON_STEPS:
        goto(page, app_url, path, timeout=180)
        problems += [f"{path}: {e}" for e in errors_on_page(page)]
        problems += [f"{path}: margins grown (drawn twice): {g}" for g in page.evaluate(GROWN)]
        charts += page.evaluate(COUNT)
    assert problems == []
    assert charts >= len(LESSON_STEPS)  # the check above saw the charts (most steps have one or two)
