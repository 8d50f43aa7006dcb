"""Fuzzing the lesson engine with random mutations of the real lessons in lessons/.

Each example takes one real lesson, applies one mutation at a drawn position
(delete / duplicate / swap lines, corrupt a TOML value, unknown key or figure
kind, unclosed fence, empty file, binary garbage, very long or non-ASCII lines)
and writes it to tmp_path. gru_viz.lessons must then either accept the file or
raise LessonError whose message starts with ``file:line:`` and whose line is a
line of the file as an editor numbers it. Any other exception, or a hang
(pytest-timeout), fails.

Two levels:
    * parse_lesson on the whole mutated file (structure and every field; fast);
    * check_lesson (which also builds the figure and computes the quiz answer) on
      one real figure or [compute] block with one field set to a legal but
      extreme value, cut into a one-step lesson so each example builds one figure.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gru_viz import lessons, limits

ROOT = Path(__file__).resolve().parent.parent
LESSONS = lessons.lesson_files(ROOT / "lessons")
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in LESSONS}
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
pytestmark = pytest.mark.timeout(240)


def editor_lines(data: bytes) -> int:
    """How many lines an editor shows: lines end at \\n, \\r\\n or \\r (nothing else)."""
    text = data.decode("utf-8", errors="replace")
    return len(re.split(r"\r\n|\r|\n", text.removesuffix("\n").removesuffix("\r")))


def outcome(fn, path: Path):
    """fn(path)'s Lesson, or the LessonError it raised after checking its file:line: prefix and line."""
    data = path.read_bytes()
    try:
        return fn(path)
    except lessons.LessonError as e:
        assert str(e).startswith(f"{path}:{e.line}: "), f"message must start with file:line: -> {e}"
        assert e.message.strip(), "the message must say what is wrong"
        assert 1 <= e.line <= max(1, editor_lines(data)), f"line {e.line} is not a line of the file ({editor_lines(data)})"
        return e


# ----------------------------------------------------------------------------
# the mutations

WRONG_VALUES = ['"oops"', "true", "[1, 2]", "{ a = 1 }", "-1", "0", "1e9", "99999999999999999999", "nan", "inf", "-inf",
                "1.5", '""', "[]", '["no such cell"]', "2023-01-01", '"""unclosed', "[1, ", "= =", ""]
NON_ASCII = ["é", "漢字", "😀", "\u200b", "\u2028", "\x0c", "\x85", "\ufeff", "\u202e", "\x00", "\t"]
KEY = re.compile(r"^(\s*)([A-Za-z_][\w-]*)(\s*=\s*)(.*)$")


def mutate(text: str, mutation: str, i: int, j: int, pick: int) -> str | bytes:
    """Apply one mutation at line i (j: a second line, pick: which variant); str, or bytes for binary files."""
    lines = text.split("\n")
    n = len(lines)
    i, j = i % n, j % n
    if mutation == "delete":
        del lines[i]
    elif mutation == "duplicate":
        lines.insert(i, lines[i])
    elif mutation == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif mutation == "value":  # corrupt the value of the i-th `key = value` line (from line i on)
        k = next((k for k in list(range(i, n)) + list(range(i)) if KEY.match(lines[k])), i)
        m = KEY.match(lines[k])
        if m:
            lines[k] = m.group(1) + m.group(2) + m.group(3) + WRONG_VALUES[pick % len(WRONG_VALUES)]
    elif mutation == "unknown_key":
        lines.insert(i, f"colour{pick} = 3")
    elif mutation == "unknown_kind":
        k = next((k for k in list(range(i, n)) + list(range(i)) if lines[k].startswith("kind = ")), i)
        lines[k] = 'kind = "sankey"'
    elif mutation == "fence":  # open a fence that is never closed, or remove a closing one
        fences = [k for k, t in enumerate(lines) if t.strip().startswith("```")]
        if pick % 2 and fences:
            del lines[fences[i % len(fences)]]
        else:
            lines.insert(i, ["```figure", "```quiz", "```", "~~~"][pick % 4])
    elif mutation == "empty":
        return ["", "\n", "   \n\n", "\ufeff"][pick % 4]
    elif mutation == "binary":
        rng = np.random.default_rng(pick)
        garbage = rng.integers(0, 256, size=int(rng.integers(1, 400)), dtype=np.uint8).tobytes()
        raw = "\n".join(lines).encode()
        return [garbage, raw[: len(raw) // 2] + garbage + raw[len(raw) // 2:], b"\xff\xfe" + raw][pick % 3]
    elif mutation == "long":
        long = ["x" * 200_000, "## " + "y" * 100_000, 'text = "' + "z" * 100_000 + '"', "`" * 50_000][pick % 4]
        lines.insert(i, long)
    elif mutation == "non_ascii":
        ch = NON_ASCII[pick % len(NON_ASCII)]
        c = len(lines[i]) // 2 if lines[i] else 0
        lines[i] = lines[i][:c] + ch + lines[i][c:]
    elif mutation == "heading":
        lines.insert(i, ["# Another title", "## ", "##", "#", "## Empty step"][pick % 5])
    elif mutation == "crlf":
        return "\r\n".join(lines) if pick % 2 else "\r".join(lines)
    return "\n".join(lines)


MUTATIONS = ["delete", "duplicate", "swap", "value", "unknown_key", "unknown_kind", "fence", "empty", "binary", "long",
             "non_ascii", "heading", "crlf"]


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", errors="surrogatepass"))
    return path


@FUZZ
@given(lesson=st.sampled_from(sorted(TEXTS)), mutation=st.sampled_from(MUTATIONS), i=st.integers(0, 10_000),
       j=st.integers(0, 10_000), pick=st.integers(0, 1000))
def test_a_mutated_lesson_parses_or_names_file_and_line(tmp_path, lesson, mutation, i, j, pick):
    text = mutate(TEXTS[lesson], mutation, i, j, pick)
    path = write(tmp_path, lesson, text)
    result = outcome(lessons.parse_lesson, path)
    if mutation == "unknown_kind" and 'kind = "sankey"' in text:
        assert isinstance(result, lessons.LessonError)
    if isinstance(result, lessons.LessonError) and mutation in ("unknown_kind", "unknown_key") and not isinstance(text, bytes):
        lines = text.split("\n")
        bad = "sankey" if mutation == "unknown_kind" else f"colour{pick}"
        if bad in result.message:  # the error is about the mutation: it points at the mutated line (or its [[table]])
            at = lines[result.line - 1]
            assert bad in at or at.strip().startswith("[["), f"line {result.line} is {at!r}"


def test_every_real_lesson_parses():
    for p in LESSONS:
        assert lessons.parse_lesson(p).steps


# ----------------------------------------------------------------------------
# check_lesson on one block with one legal, extreme value


def blocks():
    """(lesson name, first body line index, body lines, schema of each key line) for every figure block and
    [compute] table of the real lessons."""
    out = []
    for name, text in TEXTS.items():
        lines = text.split("\n")
        k = 0
        while k < len(lines):
            m = lessons.FENCE.match(lines[k])
            if not m:
                k += 1
                continue
            end = next(e for e in range(k + 1, len(lines)) if lines[e].strip() == m.group(1))
            body = lines[k + 1 : end]
            if m.group(2) in ("figure", "quiz"):
                kind = next((KEY.match(t).group(4).strip('"') for t in body if t.startswith("kind = ")), None)
                table, keys = None, {}
                for b, t in enumerate(body):
                    if t.strip().startswith("["):
                        table = t.strip()
                    km = KEY.match(t)
                    if not km:
                        continue
                    if m.group(2) == "figure" and km.group(2) in lessons.FIGURE_KINDS[kind]["params"]:
                        keys[b] = lessons.FIGURE_KINDS[kind]["params"][km.group(2)]
                    elif table == "[compute]":
                        keys[b] = lessons.COMPUTE[km.group(2)]
                if keys:
                    out.append((name, m.group(2), body, keys))
            k = end + 1
    return out


BLOCKS = blocks()


def legal_values(p: lessons.Param):
    """Legal values of a schema field, biased to the edges (sizes capped so one figure stays under a second)."""
    if p.type == "int":
        lo, hi = p.bound.lo, p.bound.hi
        if p.bound in (limits.UI_HIDDEN_SIZE, limits.HIDDEN_SIZE):
            hi = 32
        if p.bound is limits.UI_SEQ_LEN:
            hi = 200
        return st.sampled_from([lo, hi]) | st.integers(lo, hi)
    if p.type == "float":
        return st.sampled_from([p.bound.lo, p.bound.hi]) | st.floats(p.bound.lo, p.bound.hi)
    if p.type == "choice":
        return st.sampled_from(p.choices)
    if p.type == "choices":
        return st.lists(st.sampled_from(p.choices), min_size=1, max_size=3, unique=True)
    if p.type == "str":
        return st.text(alphabet=st.sampled_from(list("ab \n\"\\<é漢😀")), max_size=40) | st.just("w" * 6000)
    return st.booleans()


def toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


@settings(FUZZ, max_examples=12)
@given(block=st.sampled_from(BLOCKS), data=st.data())
def test_a_block_with_a_legal_extreme_value_builds_or_names_its_line(tmp_path, block, data):
    name, info, body, keys = block
    b = data.draw(st.sampled_from(sorted(keys)))
    m = KEY.match(body[b])
    body = list(body)
    body[b] = m.group(1) + m.group(2) + m.group(3) + toml(data.draw(legal_values(keys[b])))
    text = "\n".join(["# Fuzz", "One summary line.", "", "## One step", f"```{info}", *body, "```", ""])
    path = write(tmp_path, name, text)
    with np.errstate(all="ignore"):
        outcome(lessons.check_lesson, path)
