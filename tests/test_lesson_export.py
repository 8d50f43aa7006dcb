"""Offline lesson export: every lesson becomes one self-contained HTML file.

The whole lessons/ folder is exported once per module through the CLI
(``python -m gru_viz.export lessons/ out/`` = gru_viz.export.main); each test
then reads the files. The browser check lives in test_e2e_offline_lesson.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import plotly.offline
import pytest

from gru_viz import export, lesson_export
from gru_viz import lessons as L

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{lesson path: (Lesson, html text)} for every lesson, written by the CLI.

    The lessons are copied first, so an edit to lessons/ during the run cannot make file and expectation disagree.
    """
    src, out = tmp_path_factory.mktemp("lessons-md"), tmp_path_factory.mktemp("lessons-html")
    for p in L.lesson_files(LESSONS):
        shutil.copy(p, src / p.name)
    assert export.main([str(src), str(out)]) == 0
    return {p: (L.parse_lesson(p), (out / f"{p.stem}.html").read_text(encoding="utf-8")) for p in L.lesson_files(src)}


class Tags(HTMLParser):
    """Every start tag with its attributes; <script> bodies are raw text, so plotly.js's own strings are not tags."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def test_cli_writes_one_file_per_lesson(exported, tmp_path):
    assert len(exported) == len(L.lesson_files(LESSONS)) >= 1
    for path, (lesson, page) in exported.items():
        assert page.startswith("<!DOCTYPE html>")
        assert f"<h1>{html.escape(lesson.title)}</h1>" in page, path.name


def test_no_network_resource_is_referenced(exported):
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    for path, (_, page) in exported.items():
        found = tags(page)
        refs = [(t, k, v) for t, a in found for k, v in a.items() if k in ("src", "href", "srcset", "data", "poster") and v]
        assert [r for r in refs if remote.match(r[2])] == [], path.name
        assert not any(t in ("link", "img", "iframe", "object", "embed") for t, _ in found), path.name
        for blob in re.findall(r'class="plot-data" data-for="[^"]+">(.*?)</script>', page, re.S):
            assert not re.search(r"https?://", blob), path.name  # no remote image or font inside a figure
        styles = re.findall(r"<style>(.*?)</style>", page, re.S)
        assert styles and not any(re.search(r"url\(|@import", s) for s in styles), path.name


def test_plotly_js_is_inlined_exactly_once(exported):
    plotly_js = plotly.offline.get_plotlyjs()
    for path, (_, page) in exported.items():
        assert page.count(plotly_js) == 1, path.name
        assert page.count(plotly_js[:200]) == 1, path.name  # not even a second partial copy
        assert not any(t == "script" and "src" in a for t, a in tags(page)), path.name


def test_every_step_and_every_figure_is_in_the_file(exported):
    for path, (lesson, page) in exported.items():
        assert page.count('<section class="step"') == len(lesson.steps), path.name
        for s, step in enumerate(lesson.steps, start=1):
            assert f'id="step-{s}"' in page
            assert lesson_export.markdown_inline(step.title) in page, (path.name, step.title)
            for j, part in enumerate(step.parts):
                if not isinstance(part, L.Figure):
                    continue
                if part.kind == "equations":
                    assert '<div class="equations"><math' in page, path.name
                    continue
                assert f'<div class="plot" id="fig-{s}-{j}"' in page, (path.name, s, j)
                blob = re.search(rf'<script type="application/json" class="plot-data" data-for="fig-{s}-{j}">(.*?)</script>',
                                 page, re.S)
                fig = json.loads(blob.group(1))
                assert fig["data"], (path.name, s, j)  # a figure with something drawn in it
        n_plots = sum(1 for st in lesson.steps for f in st.figures if f.kind != "equations")
        assert page.count('<div class="plot"') == n_plots, path.name


def test_embedded_figure_is_the_one_the_lessons_page_builds(exported):
    path, (lesson, page) = next(iter(exported.items()))
    s, j, fig = next((s, j, p) for s, st in enumerate(lesson.steps, 1) for j, p in enumerate(st.parts)
                     if isinstance(p, L.Figure) and p.kind != "equations")
    blob = re.search(rf'data-for="fig-{s}-{j}">(.*?)</script>', page, re.S).group(1)
    assert json.loads(blob) == json.loads(L.build_figure(fig.kind, fig.params).to_json())


def test_quiz_choices_feedback_and_answers_are_in_the_file(exported):
    seen = {"choice": 0, "numeric": 0}
    for path, (lesson, page) in exported.items():
        for step in lesson.steps:
            for quiz in step.quizzes:
                seen[quiz.type] += 1
                assert lesson_export.markdown_inline(quiz.question) in page, path.name
                if quiz.type == "choice":
                    for c in quiz.choices:
                        assert lesson_export.markdown_inline(c.text) in page
                        assert lesson_export.markdown_inline(c.feedback) in page
                else:  # the live answer, computed from the model as the Lessons page does
                    answer = L.quiz_answer(quiz)
                    assert f'data-answer="{answer!r}" data-tolerance="{quiz.tolerance!r}"' in page, path.name
                    assert f"The answer is <strong>{L.format_answer(answer)}</strong>" in page, path.name
    assert seen["choice"] >= 1 and seen["numeric"] >= 1
    assert sum(page.count('<details class="answer">') for _, page in exported.values()) == sum(seen.values())


def test_caption_names_the_control_values_shown(exported):
    checked = 0
    for _, (lesson, page) in exported.items():
        for fig in (f for st in lesson.steps for f in st.figures if f.controls):
            caption = lesson_export.settings_caption(fig)
            assert all(name in caption for name in fig.controls)
            assert f"Shown at the lesson's settings: {html.escape(caption)}." in page
            checked += 1
    assert checked >= 1


def test_markdown_math_becomes_mathml_not_raw_tex(exported):
    for path, (_, page) in exported.items():
        body = re.sub(r"<script.*?</script>", "", page, flags=re.S)
        assert "<math" in body, path.name
        assert "$$" not in body and not re.search(r"\$[^$\s][^$]*\$", body), path.name  # every $...$ was converted


def test_aligned_equations_become_a_mathml_table():
    out = lesson_export.math_html(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", display=True)
    assert out.startswith("<math") and 'display="block"' in out and "<mtable" in out and out.count("<mtr>") == 2


def test_unparseable_latex_is_shown_as_code():
    out = lesson_export.math_html(r"\left( x^")  # latex2mathml raises on this
    assert out == '<code class="tex">\\left( x^</code>'


def test_bad_source_path_exits_1_with_a_message(tmp_path, capsys):
    assert export.main([str(tmp_path / "no-such-folder"), str(tmp_path / "out")]) == 1
    assert "neither a folder of lessons nor a lesson .md file" in capsys.readouterr().err
    assert export.main([str(tmp_path), str(tmp_path / "out")]) == 1  # a folder without lessons
    assert "no lesson files" in capsys.readouterr().err


def test_broken_lesson_exits_1_naming_file_and_line(tmp_path, capsys):
    good = "# Fine\nA summary.\n\n## One\nText.\n"
    (tmp_path / "a.md").write_text(good)
    bad = "# Broken\nA summary.\n\n## One\nText.\n\n```figure\nkind = \"lines\"\nT = 10\npulse_at = 30\n```\n"
    (tmp_path / "b.md").write_text(bad)  # valid fields, but the pulse is after the end: the core says so
    out = tmp_path / "out"
    assert export.main([str(tmp_path), str(out)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"b\.md:\d+: .*pulse_at", err), err
    assert (out / "a.html").exists() and not (out / "b.html").exists()  # the good lesson is still written


def test_single_lesson_file_is_accepted(tmp_path):
    (tmp_path / "one.md").write_text("# One\nSummary with $x_t$.\n\n## Step\nText with $h_t$.\n")
    assert export.main([str(tmp_path / "one.md"), str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "one.html").read_text()
    assert "<math" in page and 'id="step-1"' in page


def test_prime_is_set_inline_not_as_a_superscript():
    out = lesson_export.math_html("\\tanh' = 1")
    assert "<mi>tanh</mi><mo>&#x02032;</mo>" in out and "<msup>" not in out


def test_a_figure_that_answers_a_quiz_is_folded_under_show_the_figure(exported):
    (lesson, page), = [v for p, v in exported.items() if p.name.startswith("06-")]
    step = next(s for s, st in enumerate(lesson.steps, start=1) if any(f.after_quiz for f in st.figures))
    section = page.split(f'id="step-{step}"')[1].split('<section class="step"')[0]
    folded = section.split('<details class="reveal">')[1].split("</details>")[0]
    assert "<summary>Show the figure (it gives the answer to the quiz above)</summary>" in folded
    assert 'data-kind="params"' in folded and 'class="plot"' in folded
    assert section.index('class="quiz"') < section.index('<details class="reveal">')  # the quiz comes first
    assert page.count('<details class="reveal">') == sum(f.after_quiz for st in lesson.steps for f in st.figures)


def test_the_help_option_explains_both_arguments_and_exits_0(capsys):
    assert export.main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines to the terminal's width
    assert "a folder of lessons (e.g. lessons/) or one lesson .md file" in out and "the output folder" in out


def test_a_missing_argument_prints_the_usage_and_exits_2(tmp_path, capsys):
    assert export.main([str(tmp_path)]) == 2
    assert "usage: python -m gru_viz.export" in capsys.readouterr().err
