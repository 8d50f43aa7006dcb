"""Offline lessons: one lesson -> one self-contained HTML file (no server, no network).

A teacher hands students a single file that opens in any browser, even with the
network cable pulled. Everything the page needs is inside it:

    * the lesson's Markdown, rendered to HTML (markdown-it-py, CommonMark + tables);
    * its formulas as MathML (latex2mathml), which browsers draw natively, so no
      MathJax/KaTeX download is needed;
    * every live figure, built at the lesson's default control values by the same
      builders as the Lessons page (gru_viz.lessons.build_figure), embedded as
      Plotly JSON and drawn by plotly.js, which is inlined exactly once;
    * every quiz with its choices and a "show answer" control; numeric answers
      that the lesson computes from the model are computed now, at export time.

Navigation is a few lines of inline JavaScript: one step at a time, "previous /
next" buttons, arrow keys (and PageUp/PageDown, as a presenter's clicker sends),
a progress bar, and a "show all steps" view for printing. A figure is drawn the
first time its step is shown, so a long lesson opens fast.

From the shell (see gru_viz.export):

    python -m gru_viz.export lessons/ out/      # out/<lesson-file-stem>.html for every lesson
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import plotly.offline
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from gru_viz import lessons as L

PLOT_CONFIG = {"responsive": True, "displaylogo": False, "toImageButtonOptions": {"scale": 2}}

# ----------------------------------------------------------------------------
# Markdown and LaTeX -> HTML


PRIME = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>&#x02032;</mi></msup>")


def math_html(tex: str, display: bool = False) -> str:
    """LaTeX -> MathML (drawn by the browser itself); on a formula it cannot parse, the TeX as code.

    latex2mathml knows ``align*`` but not amsmath's ``aligned``, which lays out the same
    right/left column pairs, so one is read as the other.
    """
    tex = re.sub(r"\\(begin|end)\{aligned\}", r"\\\1{align*}", tex)
    try:
        mathml = latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many exception types; the reader still gets the formula
        return f'<code class="tex">{html.escape(tex)}</code>'
    # f' comes out as f with a superscript prime; the prime glyph is already raised, so set it inline
    return PRIME.sub(r"\1<mo>&#x02032;</mo>", mathml)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    dollarmath_plugin(md, allow_space=True, allow_digits=True, double_inline=True,
                      renderer=lambda tex, opts: math_html(tex, opts.get("display_mode", False)))
    return md


_MD = _markdown()


def markdown_html(text: str) -> str:
    """Lesson Markdown ($...$ inline and $$...$$ display math included) -> HTML."""
    return _MD.render(text)


def markdown_inline(text: str) -> str:
    """One line of Markdown (a question, a choice) -> HTML without the surrounding <p>."""
    return _MD.renderInline(text)


# ----------------------------------------------------------------------------
# the parts of a step


def _fmt(value) -> str:
    if value is None:
        return "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def settings_caption(fig: L.Figure) -> str:
    """The reader's controls and the values this export shows, e.g. 'clamp_update = 0 · seed = 0'."""
    return " · ".join(f"{name} = {_fmt(fig.params[name])}" for name in fig.controls)


def figure_html(fig: L.Figure, fig_id: str, path) -> str:
    """A figure block: a plot div with its JSON (or the equations as MathML) and its captions."""
    try:
        out = L.build_figure(fig.kind, fig.params)
    except ValueError as e:  # as check_lesson: point at the figure's line
        raise L.LessonError(path, fig.line, str(e)) from None
    caption = fig.caption or L.FIGURE_KINDS[fig.kind]["doc"]
    if isinstance(out, list):  # kind "equations": LaTeX strings
        body = '<div class="equations">' + "".join(math_html(tex, display=True) for tex in out) + "</div>"
    else:
        data = out.to_json().replace("</", "<\\/")  # nothing in the JSON may close the <script>
        body = (f'<div class="plot" id="{fig_id}" role="img" aria-label="{html.escape(L.plain_text(caption))}"></div>'
                f'<script type="application/json" class="plot-data" data-for="{fig_id}">{data}</script>')
    settings = settings_caption(fig)
    note = (f'<p class="settings">Shown at the lesson\'s settings: {html.escape(settings)}. '
            "Change them in the live app.</p>" if settings else "")
    return (f'<figure class="lesson-figure" data-kind="{fig.kind}">{body}'
            f"<figcaption>{markdown_inline(caption)}</figcaption>{note}</figure>")


def quiz_html(quiz: L.Quiz, quiz_id: str, path) -> str:
    """A quiz: the question, its choices (click one to check it) and a "show answer" control."""
    head = f'<p class="question"><strong>Quiz.</strong> {markdown_inline(quiz.question)}</p>'
    if quiz.type == "choice":
        items = "".join(
            f'<li><button type="button" class="choice" data-correct="{str(c.correct).lower()}">'
            f'{markdown_inline(c.text)}</button><p class="feedback" hidden>'
            f'{"Right. " if c.correct else "Not quite. "}{markdown_inline(c.feedback)}</p></li>'
            for c in quiz.choices)
        answer = "".join(
            f'<li class="{"right" if c.correct else "wrong"}"><span class="mark">{"✔" if c.correct else "✘"}</span> '
            f"{markdown_inline(c.text)}<br><span class=\"why\">{markdown_inline(c.feedback)}</span></li>"
            for c in quiz.choices)
        body = f'<ol class="choices">{items}</ol>'
        answer = f'<ul class="answer-list">{answer}</ul>'
    else:
        try:
            value = L.quiz_answer(quiz)
        except ValueError as e:
            raise L.LessonError(path, quiz.line, str(e)) from None
        live = " (computed from the model)" if quiz.compute is not None else ""
        body = (f'<p class="numeric" data-answer="{value!r}" data-tolerance="{quiz.tolerance!r}">'
                f'<input type="text" inputmode="decimal" aria-label="your answer" placeholder="e.g. 0.25 or 1/4"> '
                f'<button type="button" class="check">Check</button> <span class="verdict" aria-live="polite"></span></p>')
        answer = (f"<p>The answer is <strong>{L.format_answer(value)}</strong>{live}, accepted within ±{quiz.tolerance:g}. "
                  f"{markdown_inline(quiz.explanation)}</p>")
    return (f'<section class="quiz" id="{quiz_id}">{head}{body}'
            f'<details class="answer"><summary>Show answer</summary>{answer}</details></section>')


def step_html(step: L.Step, s: int, n: int, path) -> str:
    parts = []
    for j, part in enumerate(step.parts):
        if isinstance(part, str):
            parts.append(markdown_html(part))
        elif isinstance(part, L.Figure) and part.after_quiz:  # it shows the quiz's answer: folded until asked for
            parts.append('<details class="reveal"><summary>Show the figure (it gives the answer to the quiz above)</summary>'
                         f'{figure_html(part, f"fig-{s}-{j}", path)}</details>')
        elif isinstance(part, L.Figure):
            parts.append(figure_html(part, f"fig-{s}-{j}", path))
        else:
            parts.append(quiz_html(part, f"quiz-{s}-{j}", path))
    return (f'<section class="step" id="step-{s}" data-step="{s}" aria-label="step {s} of {n}">'
            f'<h2><span class="num">{s}.</span> {markdown_inline(step.title)}</h2>{"".join(parts)}</section>')


# ----------------------------------------------------------------------------
# the page


def lesson_html(lesson: L.Lesson) -> str:
    """The whole lesson as one HTML document (plotly.js inlined once; no network needed)."""
    n = len(lesson.steps)
    steps = "".join(step_html(step, s, n, lesson.path) for s, step in enumerate(lesson.steps, start=1))
    title = html.escape(lesson.title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gru-viz lesson export">
<title>{title} · gru-viz lesson</title>
<style>{CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body class="one">
<header class="top">
  <div class="brand">gru-viz · offline lesson</div>
  <h1>{title}</h1>
  <p class="summary">{markdown_inline(lesson.summary)}</p>
</header>
<nav class="controls" aria-label="lesson navigation">
  <button type="button" id="prev" aria-label="previous step">◀ Previous</button>
  <div class="progress"><div class="bar"><div class="fill" id="fill"></div></div>
    <span id="where" aria-live="polite">Step 1 of {n}</span></div>
  <button type="button" id="next" class="primary" aria-label="next step">Next ▶</button>
  <button type="button" id="all" aria-pressed="false">Show all steps</button>
</nav>
<main id="steps" data-steps="{n}">{steps}</main>
<footer><p>Keys: → / ← (or Page Down / Page Up) move between steps. Figures are drawn at the lesson's
settings; open the live app to change them. Formulas are MathML, drawn by the browser. Made with gru-viz.</p></footer>
<script>{JS}</script>
</body></html>
"""


def export_lesson(path, out_dir) -> Path:
    """Parse one lesson file and write ``out_dir/<stem>.html``; returns the written path.

    Raises LessonError (file:line: message) on a broken lesson, including errors
    the core raises while building a figure or computing an answer.
    """
    path, out_dir = Path(path), Path(out_dir)
    page = lesson_html(L.parse_lesson(path))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{path.stem}.html"
    out.write_text(page, encoding="utf-8")
    return out


def lesson_paths(src) -> list[Path]:
    """The lesson files named by src: a folder (its *.md, sorted) or one .md file; ValueError if none."""
    src = Path(src)
    if src.is_dir():
        paths = L.lesson_files(src)
        if not paths:
            raise ValueError(f"no lesson files (*.md) in {src}")
        return paths
    if src.is_file() and src.suffix == ".md":
        return [src]
    raise ValueError(f"{src} is neither a folder of lessons nor a lesson .md file")


# ----------------------------------------------------------------------------
# look and behaviour (inlined into every file)

CSS = """
:root { --ink:#1d2330; --muted:#5a6275; --line:#dde1ea; --accent:#0072B2; --bg:#fbfbfd; --ok:#0b7a4b; --bad:#b0301c; }
* { box-sizing: border-box; }
html { font-size: 20px; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.55;
  font-family: system-ui, -apple-system, "Segoe UI", "Source Sans Pro", Helvetica, Arial, "DejaVu Sans", sans-serif; }
header.top { max-width: 76rem; margin: 0 auto; padding: 1.1rem 2rem 0; }
.brand { font-size: .75rem; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); }
h1 { font-size: 1.7rem; margin: .1rem 0 .3rem; line-height: 1.2; }
.summary { margin: 0 0 .8rem; color: var(--muted); font-size: .95rem; max-width: 62rem; }
nav.controls { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: .8rem;
  background: rgba(255,255,255,.97); border-bottom: 1px solid var(--line); box-shadow: 0 2px 8px rgba(20,30,60,.06);
  padding: .5rem max(2rem, calc((100% - 76rem) / 2 + 2rem)); }
.step { scroll-margin-top: 4rem; }
nav button, .quiz button { font: inherit; font-size: .9rem; padding: .35rem .9rem; border-radius: .4rem; cursor: pointer;
  border: 1px solid #b9c0cf; background: #fff; color: var(--ink); }
nav button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
nav button:disabled { opacity: .35; cursor: default; }
button:focus-visible, summary:focus-visible, input:focus-visible { outline: 3px solid #E69F00; outline-offset: 2px; }
.progress { flex: 1; display: flex; align-items: center; gap: .8rem; font-size: .9rem; color: var(--muted); white-space: nowrap; }
.bar { flex: 1; height: .45rem; background: #e7eaf1; border-radius: 1rem; overflow: hidden; }
.fill { height: 100%; width: 0; background: var(--accent); transition: width .2s; }
main { max-width: 76rem; margin: 0 auto; padding: 1rem 2rem 2rem; }
.step h2 { font-size: 1.45rem; margin: .6rem 0 .6rem; line-height: 1.25; }
.step h2 .num { color: var(--accent); }
body.one .step { display: none; }
body.one .step.current { display: block; }
body.all .step { border-bottom: 2px solid var(--line); padding-bottom: 1.2rem; margin-bottom: 1.2rem; }
p, li { max-width: 62rem; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em; background: #eef0f5;
  padding: .05em .3em; border-radius: .25em; }
pre code { display: block; padding: .7rem 1rem; overflow-x: auto; }
math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Serif", serif; font-size: 1.1em; }
math[display="block"] { margin: .7rem 0; font-size: 1.2em; }
mtd[columnalign="right"] { text-align: right; } mtd[columnalign="left"] { text-align: left; }
mtd { padding: .15em 0; } mtd[columnalign="right"]:not(:first-child) { padding-left: 2em; }
.equations math[display="block"] { font-size: 1.05em; margin: .5rem 0; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .7rem; }
figure.lesson-figure { margin: 1rem 0 1.3rem; background: #fff; border: 1px solid var(--line); border-radius: .5rem;
  padding: .6rem .8rem .5rem; }
.plot { width: 100%; min-height: 200px; }
figcaption { font-size: .9rem; color: var(--ink); margin-top: .3rem; }
.settings { font-size: .8rem; color: var(--muted); margin: .2rem 0 0; }
.quiz { background: #f3f6fb; border: 1px solid #cfd8e8; border-left: 6px solid var(--accent); border-radius: .5rem;
  padding: .7rem 1.1rem; margin: 1.1rem 0; }
.question { margin: .2rem 0 .5rem; }
ol.choices { margin: 0; padding-left: 1.6rem; }
ol.choices li { margin: .3rem 0; }
.choice { text-align: left; width: 100%; max-width: 60rem; }
.choice.right { border-color: var(--ok); background: #e5f5ec; }
.choice.wrong { border-color: var(--bad); background: #fbe9e6; }
.feedback { margin: .2rem 0 .4rem; font-size: .9rem; }
.numeric input { font: inherit; width: 9rem; padding: .3rem .5rem; border: 1px solid #b9c0cf; border-radius: .4rem; }
.verdict.right, .feedback.right { color: var(--ok); } .verdict.wrong, .feedback.wrong { color: var(--bad); }
details.answer { margin-top: .6rem; }
details.answer summary, details.reveal summary { cursor: pointer; color: var(--accent); font-weight: 600; }
.answer-list { list-style: none; padding-left: .2rem; }
.answer-list li { margin: .35rem 0; } .answer-list .why { color: var(--muted); font-size: .9rem; }
.answer-list .right .mark { color: var(--ok); } .answer-list .wrong .mark { color: var(--bad); }
footer { max-width: 76rem; margin: 0 auto; padding: 0 2rem 2rem; color: var(--muted); font-size: .8rem; }
@media (max-width: 800px) { html { font-size: 17px; } main, header.top { padding-left: 1rem; padding-right: 1rem; } }
@media print {
  html { font-size: 12pt; } nav.controls { display: none; }
  body .step { display: block !important; break-before: page; } body .step:first-child { break-before: auto; }
  figure.lesson-figure { break-inside: avoid; }
}
"""

JS = """
(function () {
  const steps = Array.from(document.querySelectorAll('.step'));
  const n = steps.length;
  const prev = document.getElementById('prev'), next = document.getElementById('next'), all = document.getElementById('all');
  let cur = 1;

  function draw(scope) {  // draw the figures of scope once, then only resize them
    scope.querySelectorAll('.plot').forEach(function (div) {
      if (div.dataset.drawn) { Plotly.Plots.resize(div); return; }
      const data = document.querySelector('script.plot-data[data-for="' + div.id + '"]');
      const fig = JSON.parse(data.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, PLOT_CONFIG);
      div.dataset.drawn = '1';
    });
  }
  function show(s) {
    cur = Math.min(Math.max(s, 1), n);
    steps.forEach(function (el, i) { el.classList.toggle('current', i === cur - 1); });
    document.getElementById('where').textContent = 'Step ' + cur + ' of ' + n;
    document.getElementById('fill').style.width = (100 * cur / n) + '%';
    prev.disabled = cur === 1; next.disabled = cur === n;
    // '#step=3' (not '#step-3', the section's id), so the browser never jumps on its own
    if (location.hash !== '#step=' + cur) history.replaceState(null, '', '#step=' + cur);
    if (document.body.classList.contains('one')) {
      draw(steps[cur - 1]);
      if (cur === 1) window.scrollTo(0, 0); else steps[cur - 1].scrollIntoView();
    }
  }
  function setAll(on) {
    document.body.classList.toggle('all', on); document.body.classList.toggle('one', !on);
    all.textContent = on ? 'One step at a time' : 'Show all steps';
    all.setAttribute('aria-pressed', String(on));
    if (on) draw(document); else show(cur);
  }
  prev.addEventListener('click', function () { show(cur - 1); });
  next.addEventListener('click', function () { show(cur + 1); });
  all.addEventListener('click', function () { setAll(!document.body.classList.contains('all')); });
  document.addEventListener('keydown', function (e) {
    if (e.target.closest && e.target.closest('input, textarea, select')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') { show(cur + 1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { show(cur - 1); e.preventDefault(); }
    else if (e.key === 'Home') { show(1); e.preventDefault(); }
    else if (e.key === 'End') { show(n); e.preventDefault(); }
  });
  window.addEventListener('beforeprint', function () {  // print = every step, every figure, every answer
    document.querySelectorAll('details.answer, details.reveal').forEach(function (d) { d.open = true; });
    draw(document);
  });
  document.querySelectorAll('details.reveal').forEach(function (d) {  // a folded figure is sized when opened
    d.addEventListener('toggle', function () { if (d.open) draw(d); });
  });

  function answered(el) {  // a figure folded because it gives this quiz's answer away opens once it is answered
    for (let next = el.closest('.quiz').nextElementSibling; next && !next.matches('.quiz'); next = next.nextElementSibling) {
      if (next.matches('details.reveal')) { next.open = true; return; }
    }
  }
  document.querySelectorAll('.choice').forEach(function (b) {  // click a choice: its feedback, right or not
    b.addEventListener('click', function () {
      const ok = b.dataset.correct === 'true', fb = b.parentElement.querySelector('.feedback');
      b.classList.add(ok ? 'right' : 'wrong'); fb.classList.add(ok ? 'right' : 'wrong'); fb.hidden = false;
      answered(b);
    });
  });
  // A typed answer as a number, by the app's rules (gru_viz.lessons.parse_number): 0.25, .25, 2.5e-1, 1/4, 0,25
  // (a decimal comma), a minus sign; {error} when it is no number or a comma could mean either thing (4,032).
  const NUM = __NUMBER__;  // gru_viz.lessons._NUMBER, the same pattern
  function parseAnswer(text) {
    let s = text.replace(/\\s+/g, '').replace(/\u2212/g, '-');
    if (/^[-+]?[1-9]\\d{0,2},\\d{3}$/.test(s)) {
      return {error: 'Is \u201c' + s + '\u201d ' + s.replace(',', '') + ' or ' + s.replace(',', '.') +
                     '? Type it without the comma, or with a decimal point.'};
    }
    if ((s.match(/,/g) || []).length === 1 && s.indexOf('.') < 0) s = s.replace(',', '.');
    const m = new RegExp('^(' + NUM + ')/(' + NUM + ')$').exec(s);
    if (m) {
      const d = parseFloat(m[2]);
      return d === 0 ? {error: '\u201c' + s + '\u201d divides by zero.'} : {value: parseFloat(m[1]) / d};
    }
    if (new RegExp('^' + NUM + '$').test(s) && isFinite(parseFloat(s))) return {value: parseFloat(s)};
    return {error: s ? '\u201c' + s + '\u201d is not a number: type it like 0.25, .25, 2.5e-1 or 1/4.' : 'Type a number first.'};
  }
  document.querySelectorAll('.numeric').forEach(function (p) {  // type a number: checked against the answer
    const input = p.querySelector('input'), out = p.querySelector('.verdict');
    function check() {
      const read = parseAnswer(input.value), v = read.value;
      if (read.error) { out.textContent = read.error; out.className = 'verdict'; return; }
      const ok = Math.abs(v - parseFloat(p.dataset.answer)) <= parseFloat(p.dataset.tolerance) + 1e-12;
      out.textContent = ok ? 'Right!' : 'Not quite: open "Show answer" below.';
      out.className = 'verdict ' + (ok ? 'right' : 'wrong');
      answered(p);
    }
    p.querySelector('.check').addEventListener('click', check);
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') check(); });
  });

  const m = /^#step[=-](\\d+)$/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : 1);
})();
""".replace("PLOT_CONFIG", json.dumps(PLOT_CONFIG)).replace("__NUMBER__", json.dumps(L._NUMBER))  # one number pattern
