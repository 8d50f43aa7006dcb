"""Lessons: Markdown files with live figures and quizzes -> validated Lesson objects.

A lesson is one Markdown file in ``lessons/`` (sorted by file name, so
``01-simple-rnn.md`` is lesson 1). The format, in full (see docs/lessons.md):

    # Lesson title                      <- first line: the title
    One paragraph that summarises it.   <- the summary, shown in the lesson list

    ## First step title                 <- every `## ` heading starts a step
    Markdown text ($\\LaTeX$ works) ...

    ```figure                           <- a live figure: the body is TOML
    kind = "heatmap"                    <- one of FIGURE_KINDS
    cell = "gru"                        <- parameters of that kind (defaults apply)
    controls = ["seed", "update_bias"]  <- parameters the reader gets a widget for
    after_quiz = true                   <- optional: hidden until the step's quiz above is answered
    ```

    ```quiz                             <- a question: the body is TOML
    type = "choice"                     <- "choice" or "numeric"
    ...
    ```

Only fences whose info string is exactly ``figure`` or ``quiz`` are special;
any other fenced code stays ordinary Markdown. There is no other syntax.

Validation is strict so a teacher's typo surfaces at once: unknown figure
kinds, unknown or missing fields, wrong types, values outside gru_viz.limits
all raise ``LessonError("file:line: message")``, pointing at the offending
line. ``check_lesson`` goes further and builds every figure and computes every
live quiz answer, so errors the core raises (a pulse after the end of the
sequence, ...) are caught too. From the shell:

    python -m gru_viz.lessons check lessons/      # exit code 1 on any error

Adding a figure kind is one entry in ``FIGURE_KINDS``: a parameter schema and
a builder (plain values in, a Plotly figure or LaTeX string out), found in
gru_viz.figures_lessons.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gru_viz import limits

# ----------------------------------------------------------------------------
# parameters: one schema entry per field a block may hold


class LessonError(ValueError):
    """A problem in a lesson file; str(e) is ``file:line: message``."""

    def __init__(self, file, line: int, message: str):
        self.file, self.line, self.message = str(file), int(line), message
        super().__init__(f"{self.file}:{self.line}: {message}")


@dataclass(frozen=True)
class FloatBound:
    """An inclusive float range; ``step`` is the slider step when it is a control."""

    name: str
    lo: float
    hi: float
    step: float

    def check(self, value) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}], got {value!r}")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{self.name} must be in [{self.lo}, {self.hi}], got {value}")
        return float(value)


SEED = limits.Bound("seed", 0, 9999)
STEP = limits.Bound("timestep", 1, limits.UI_SEQ_LEN.hi)
UNIT = limits.Bound("unit", 0, limits.UI_HIDDEN_SIZE.hi - 1)
INPUT_SIZE = limits.Bound("input size", 1, 16)
SPECTRAL_RADIUS = FloatBound("spectral radius", 0.05, 3.0, 0.05)
GATE_BIAS = FloatBound("gate bias", -8.0, 8.0, 0.5)
GATE_VALUE = FloatBound("clamped gate value", 0.0, 1.0, 0.05)
AMPLITUDE = FloatBound("input amplitude", -5.0, 5.0, 0.1)
NOISE = FloatBound("noise level", 0.0, 3.0, 0.05)
PERIOD = FloatBound("period", 2.0, 200.0, 1.0)
INIT_SCALE = FloatBound("weight scale", 0.1, 5.0, 0.1)  # as gru_viz.presets.INIT_SCALE
PREACT = FloatBound("pre-activation range", 1.0, 20.0, 1.0)
TOLERANCE = FloatBound("tolerance", 0.0, 1e6, 0.01)


@dataclass(frozen=True)
class Param:
    """One field of a block: its type, default, allowed values and help text.

    type: "int" | "float" (checked against ``bound``), "choice" (one of
    ``choices``), "choices" (a list of them), "str", "bool".
    A param can be a reader control (a widget) unless ``control=False``.
    """

    type: str
    default: object
    help: str
    bound: object = None  # limits.Bound for ints, FloatBound for floats
    choices: tuple = ()
    optional: bool = False  # True: None (absent) is a legal value
    control: bool = True

    def check(self, value):
        """Return the value converted, or raise ValueError saying what is allowed."""
        if value is None and self.optional:
            return None
        if self.type == "int":
            return self.bound.check(value)
        if self.type == "float":
            return self.bound.check(value)
        if self.type == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {list(self.choices)}, got {value!r}")
            return value
        if self.type == "choices":
            if not isinstance(value, list) or not value:
                raise ValueError(f"must be a non-empty list of {list(self.choices)}, got {value!r}")
            bad = [v for v in value if v not in self.choices]
            if bad:
                raise ValueError(f"unknown value(s) {bad}; choose from {list(self.choices)}")
            return list(value)
        if self.type == "str":
            if not isinstance(value, str):
                raise ValueError(f"must be a string, got {value!r}")
            return value
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, got {value!r}")
            return value
        raise AssertionError(self.type)


CELLS = ("rnn", "gru", "lstm", "mgu", "mingru", "cifg")  # the last three from gru_viz.variants
GATES = ("reset", "update", "candidate", "input", "forget", "cell", "output")

# The scenario: which cell, which weights, which input. Shared by every figure
# kind that runs a model, so "cell", "seed", "T", ... mean the same everywhere.
SCENARIO = {
    "cell": Param("choice", "gru", "which recurrent cell", choices=CELLS),
    "variant": Param("choice", "torch", "GRU reset-gate placement: torch (after W_hn) or cho2014 (before)",
                     choices=("torch", "cho2014")),
    "gate_activation": Param("choice", "sigmoid", "GRU/LSTM gate function", choices=("sigmoid", "hard_sigmoid")),
    "nonlinearity": Param("choice", "tanh", "RNN nonlinearity", choices=("tanh", "relu")),
    "hidden": Param("int", 8, "hidden size H (number of units)", bound=limits.UI_HIDDEN_SIZE),
    "seed": Param("int", 0, "seed of the random weights (and of noise input)", bound=SEED),
    "biases": Param("choice", "zero", "zero: every bias 0, so h = 0 is the resting state; random: torch's random biases",
                    choices=("zero", "random")),
    "init_scale": Param("float", 1.0, "multiplies every random weight", bound=INIT_SCALE),
    "radius": Param("float", None, "rescale each recurrent block (RNN: W_hh; GRU: W_hr, W_hz, W_hn) to this spectral radius",
                    bound=SPECTRAL_RADIUS, optional=True),
    "update_bias": Param("float", None, "set the total GRU update-gate bias (z = 1 keeps the old state); absent = random",
                         bound=GATE_BIAS, optional=True),
    "update_input_weight": Param("float", None, "set every GRU input weight W_iz of the update gate; absent = random",
                                 bound=FloatBound("update-gate input weight", -20.0, 20.0, 0.5), optional=True),
    "input_gate_bias": Param("float", None, "set the total LSTM input-gate bias; absent = random", bound=GATE_BIAS,
                             optional=True),
    "input_gate_weight": Param("float", None, "set every LSTM input weight W_ii of the input gate; absent = random",
                               bound=FloatBound("input-gate input weight", -20.0, 20.0, 0.5), optional=True),
    "reset_bias": Param("float", None, "set the total GRU reset-gate bias; absent = random", bound=GATE_BIAS, optional=True),
    "forget_bias": Param("float", None, "set the total LSTM forget-gate bias; absent = random", bound=GATE_BIAS, optional=True),
    "clamp_update": Param("float", None, "hold the GRU update gate at this value (absent = free)", bound=GATE_VALUE,
                          optional=True),
    "clamp_reset": Param("float", None, "hold the GRU reset gate at this value (absent = free)", bound=GATE_VALUE,
                         optional=True),
    "clamp_forget": Param("float", None, "hold the LSTM forget gate at this value (absent = free)", bound=GATE_VALUE,
                          optional=True),
    "h0": Param("float", None, "initial state h_0: every unit at this value (absent = 0)",
                bound=FloatBound("initial state", -1.0, 1.0, 0.05), optional=True),
    "input": Param("choice", "pulse", "input sequence", choices=("pulse", "sine", "noise", "zeros", "text")),
    "T": Param("int", 40, "sequence length", bound=limits.UI_SEQ_LEN),
    "input_size": Param("int", 1, "input size D (ignored for text: D = alphabet size)", bound=INPUT_SIZE),
    "pulse_at": Param("int", None, "timestep (1-based) where the pulse starts; absent = T // 5 + 1", bound=STEP,
                      optional=True),
    "amplitude": Param("float", 1.0, "pulse / sine amplitude, noise standard deviation", bound=AMPLITUDE),
    "noise": Param("float", 0.0, "Gaussian noise (this std) added on top of the input", bound=NOISE),
    "period": Param("float", 20.0, "sine period in steps", bound=PERIOD),
    "text": Param("str", "hello world", "the text for input = \"text\" (one character per step)", control=False),
}


def _kind(extra: dict, builder: str, doc: str, scenario: bool = True, drop: tuple = ()):
    params = {k: v for k, v in (SCENARIO if scenario else {}).items() if k not in drop}
    return {"params": {**params, **extra}, "builder": builder, "doc": doc}


UNITS = Param("int", 4, "how many hidden units to draw as lines", bound=limits.UI_UNITS_SHOWN)
STEP_PARAM = Param("int", 1, "which timestep t (1-based)", bound=STEP)
PANELS = ("x", "hidden", "cell_state", *GATES)  # "x" = the input sequence; "input" = the LSTM input gate

# Widget labels of the parameters a lesson can hand to the reader (its figures' controls).
CONTROL_LABELS = {
    "radius": "spectral radius ρ of the recurrent weights",
    "update_bias": "update-gate bias (large → z ≈ 1 → keep the old state)",
    "reset_bias": "reset-gate bias (small → r ≈ 0 → ignore the old state)",
    "forget_bias": "forget-gate bias (large → f ≈ 1 → keep the cell state)",
    "clamp_update": "clamp the update gate z (1 keeps the old state)",
    "clamp_reset": "clamp the reset gate r",
    "clamp_forget": "clamp the forget gate f",
    "T": "sequence length T",
    "hidden": "hidden size H",
    "input_size": "input size D",
    "seed": "random seed of the weights",
    "step": "timestep t",
    "unit": "hidden unit",
    "pulse_at": "pulse at step",
    "init_scale": "weight scale",
    "cells": "cells to compare",
    "what": "show",
    "input": "input sequence",
    "cell": "cell",
    "variant": "where the reset gate goes",
    "gate_activation": "gate activation",
    "pattern": "pattern the unit is ranked on",
    "input_gate_bias": "input-gate bias (large → i ≈ 1 → write the candidate)",
    "update_input_weight": "update-gate input weight W_iz",
    "input_gate_weight": "input-gate input weight W_ii",
    "amplitude": "input amplitude",
    "noise": "noise added to the input",
    "period": "sine period (steps)",
    "h0": "initial state h₀",
    "biases": "biases",
    "nonlinearity": "nonlinearity",
    "panels": "panels",
    "units": "units shown",
    "steps": "steps drawn",
    "range": "pre-activation range",
    "signal": "state that colours the text (h, or the LSTM's cell state c)",
    "length": "string length",
}

# kind -> parameter schema + the name of its builder in gru_viz.figures_lessons.
# Adding a figure kind = one entry here + one builder function there.
FIGURE_KINDS = {
    "input": _kind({}, "input_figure", "the input sequence x_t, one line per input channel"),
    "lines": _kind({"panels": Param("choices", ["x", "hidden"], "stacked panels sharing the time axis", choices=PANELS),
                    "units": UNITS},
                   "lines_figure", "line plots over time: the input, then h_t or a gate for the first `units` units"),
    "heatmap": _kind(
        {"what": Param("choice", "hidden", "what to draw: the hidden state, the LSTM cell state or one gate",
                       choices=("hidden", "cell_state", *GATES))},
        "heatmap_figure", "one quantity as a heatmap: x = timestep, y = unit (gates on [0, 1], states on [-1, 1])"),
    "trace": _kind({}, "trace_figure", "everything at once: input, every gate, hidden (and cell) state, gate means"),
    "unrolled": _kind({"steps": Param("int", 6, "how many timesteps to draw", bound=limits.Bound("steps", 2, 12))},
                      "unrolled_figure", "the network unrolled in time, with the live hidden vectors h_0 .. h_N"),
    "decay": _kind({"cells": Param("choices", ["rnn", "gru"], "cells overlaid on the same axes", choices=CELLS)},
                   "decay_figure", "gradient norm ||d state_T / d state_{T-k}|| against lag k, log axis", drop=("cell",)),
    "cell_diagram": _kind({"step": STEP_PARAM}, "cell_diagram_figure",
                          "the GRU cell at one step; each path as wide as its gate is open"),
    "step_bars": _kind({"step": STEP_PARAM}, "step_bars_figure", "h_(t-1), r_t, z_t, n_t, h_t of one GRU step as bars"),
    "eigenvalues": _kind({"cells": Param("choices", ["rnn"], "cells whose main recurrent block is shown",
                                         choices=("rnn", "gru", "lstm"))},
                         "eigenvalue_figure", "eigenvalues of the recurrent matrix against the unit circle", drop=("cell",)),
    "influence": _kind({"cells": Param("choices", ["rnn", "gru"], "one heatmap per cell", choices=CELLS)},
                       "influence_panels_figure", "per-unit gradient magnitude ||d state_T / d h_t[j]|| over time, log colour",
                       drop=("cell",)),
    "jacobian": _kind({"step": STEP_PARAM}, "jacobian_figure", "the one-step Jacobian d h_t / d h_{t-1} as a heatmap"),
    "equations": _kind({"step": STEP_PARAM,
                        "units": Param("int", 2, "how many units' numbers to show", bound=limits.Bound("units", 1, 4))},
                       "equations_latex", "the GRU equations of one step, symbols and live numbers (LaTeX)"),
    "params": _kind({"cells": Param("choices", ["rnn", "gru", "lstm"], "cells to count", choices=CELLS),
                     "input_size": Param("int", 8, "input size D", bound=limits.INPUT_SIZE),
                     "hidden": Param("int", 32, "hidden size H", bound=limits.HIDDEN_SIZE)},
                    "params_figure", "parameter counts of RNN, GRU and LSTM for the same D and H", scenario=False),
    "attention": _kind({"length": Param("int", 10, "length of the random string to reverse", bound=limits.ATTENTION_SEQ_LEN),
                        "seed": Param("int", 0, "seed of the random string", bound=SEED)},
                       "attention_figure", "attention weights of the shipped GRU encoder-decoder reversing a string",
                       scenario=False),
    "attention_accuracy": _kind({}, "attention_accuracy_figure",
                                "accuracy with and without attention against string length (shipped models)", scenario=False),
    "text_unit": _kind({"cell": Param("choice", "gru", "which shipped character model", choices=("gru", "lstm")),
                        "signal": Param("choice", "h", "colour by the hidden state h or the LSTM cell state c",
                                        choices=("h", "c")),
                        "pattern": Param("choice", "string", "the yes/no pattern the unit is ranked on",
                                         choices=("string", "literal", "comment", "brackets")),
                        "unit": Param("int", None, "show this unit; absent = the best-ranked one", bound=UNIT,
                                      optional=True)},
                       "text_unit_figure", "a shipped character model reading a Python snippet, coloured by one unit",
                       scenario=False),
    "activation": _kind({"range": Param("float", 6.0, "x axis from -range to +range", bound=PREACT)},
                        "activation_figure", "gate activations: sigmoid, hard sigmoid and tanh", scenario=False),
}

# ----------------------------------------------------------------------------
# quiz schemas

QUIZ_CHOICE = {
    "type": Param("choice", "choice", "", choices=("choice", "numeric")),
    "question": Param("str", None, "the question (Markdown)"),
}
CHOICE_ITEM = {
    "text": Param("str", None, "what the reader picks"),
    "correct": Param("bool", False, "true for the right answer(s)"),
    "feedback": Param("str", None, "shown when the reader picks it: say why"),
}
QUIZ_NUMERIC = {
    "type": QUIZ_CHOICE["type"],
    "question": QUIZ_CHOICE["question"],
    "answer": Param("float", None, "the right number (or give [compute] instead)",
                    bound=FloatBound("answer", -1e6, 1e6, 0.01), optional=True),
    "tolerance": Param("float", None, "accepted absolute error", bound=TOLERANCE),
    "explanation": Param("str", None, "shown after any answer: how to get it"),
}
QUANTITIES = ("gate", "state", "decay")
COMPUTE = {
    **SCENARIO,
    "quantity": Param("choice", None, "gate: a gate value; state: h_t; decay: ||d h_T / d h_{T-k}||", choices=QUANTITIES),
    "gate": Param("choice", "update", "which gate (quantity = gate)", choices=GATES),
    "step": Param("int", 1, "timestep t, 1-based (gate, state)", bound=STEP),
    "unit": Param("int", 0, "hidden unit (gate, state)", bound=UNIT),
    "lag": Param("int", 1, "lag k (decay)", bound=limits.Bound("lag", 0, limits.UI_SEQ_LEN.hi)),
}

# ----------------------------------------------------------------------------
# the parsed lesson


@dataclass
class Figure:
    kind: str
    params: dict  # every parameter of the kind, defaults filled in
    controls: list[str]  # parameters the reader gets a widget for
    caption: str
    line: int  # line of the opening fence in the file
    after_quiz: bool = False  # hidden until the quiz before it in the step is answered (it shows the answer)


@dataclass
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass
class Quiz:
    type: str  # "choice" | "numeric"
    question: str
    line: int
    choices: list[Choice] = field(default_factory=list)  # choice
    answer: float | None = None  # numeric: typed answer ...
    compute: dict | None = None  # ... or computed live from these scenario params
    tolerance: float = 0.0
    explanation: str = ""

    @property
    def fingerprint(self) -> str:
        """A short hash of what the reader answers (question, choices or answer): a kept answer counts only for a
        quiz with the same fingerprint, so an edited lesson does not hand an old answer to a new question."""
        what = [self.type, self.question, [c.text for c in self.choices], self.answer, self.compute]
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass
class Step:
    title: str
    parts: list  # in order: str (Markdown), Figure, Quiz
    line: int

    @property
    def figures(self) -> list[Figure]:
        return [p for p in self.parts if isinstance(p, Figure)]

    @property
    def quizzes(self) -> list[Quiz]:
        return [p for p in self.parts if isinstance(p, Quiz)]


@dataclass
class Lesson:
    path: Path
    title: str
    summary: str
    steps: list[Step]


# ----------------------------------------------------------------------------
# parsing

FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)\s*$")
BLOCKS = ("figure", "quiz")


def _key_line(body: list[str], start: int, key: str) -> int:
    """File line of `key = ...` in a block body starting at file line start (or the fence line)."""
    pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i, text in enumerate(body):
        if pat.match(text):
            return start + i
    return start - 1


def _check_fields(data: dict, schema: dict, err, where: str, fill: bool = True) -> dict:
    """Check data against a schema: unknown keys, missing required keys, each value."""
    unknown = [k for k in data if k not in schema]
    if unknown:
        raise err(unknown[0], f"unknown field {unknown[0]!r} in {where}; allowed: {sorted(schema)}")
    out = {}
    for name, p in schema.items():
        if name not in data:
            if p.default is None and not p.optional:
                raise err(None, f"missing field {name!r} in {where} ({p.help})")
            if fill:
                out[name] = p.default
            continue
        try:
            out[name] = p.check(data[name])
        except ValueError as e:
            raise err(name, f"{where}: {name}: {e}") from None
    return out


def _parse_block(info: str, body: list[str], start: int, path) -> Figure | Quiz:
    """A figure or quiz block; start = file line of the first body line."""
    fence = start - 1

    def err(key, msg):
        return LessonError(path, _key_line(body, start, key) if key else fence, msg)

    try:
        data = tomllib.loads("\n".join(body))
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        if m:
            line = start + int(m.group(1)) - 1
        else:  # "at end of document": point at the block's last line
            line = start + len(body) - 1 if body else fence
        raise LessonError(path, line, f"bad TOML in {info} block: {e}") from None
    if info == "figure":
        return _parse_figure(data, err, fence)
    return _parse_quiz(data, body, start, err, fence)


def _parse_figure(data: dict, err, fence: int) -> Figure:
    kind = data.pop("kind", None)
    if kind is None:
        raise err(None, f"figure block needs a kind; one of {sorted(FIGURE_KINDS)}")
    if not isinstance(kind, str) or kind not in FIGURE_KINDS:  # kind = [1, 2] is unhashable: not a dict lookup
        raise err("kind", f"unknown figure kind {kind!r}; known kinds: {sorted(FIGURE_KINDS)}")
    schema = FIGURE_KINDS[kind]["params"]
    controls = data.pop("controls", [])
    caption = data.pop("caption", "")
    if not isinstance(caption, str):
        raise err("caption", "caption must be a string")
    after_quiz = data.pop("after_quiz", False)
    if not isinstance(after_quiz, bool):
        raise err("after_quiz", "after_quiz must be true or false")
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise err("controls", "controls must be a list of parameter names, e.g. controls = [\"seed\"]")
    for c in controls:
        if c not in schema or not schema[c].control:
            ok = sorted(k for k, p in schema.items() if p.control)
            raise err("controls", f"{c!r} cannot be a control of a {kind!r} figure; choose from {ok}")
    params = _check_fields(data, schema, err, f"{kind!r} figure")
    return Figure(kind, params, controls, caption, fence, after_quiz)


def _parse_quiz(data: dict, body, start, err, fence: int) -> Quiz:
    qtype = data.get("type")
    if qtype not in ("choice", "numeric"):
        raise err("type" if "type" in data else None, f"quiz needs type = \"choice\" or \"numeric\", got {qtype!r}")
    if qtype == "choice":
        choices = data.pop("choices", None)
        fields = _check_fields(data, QUIZ_CHOICE, err, "choice quiz")
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, dict) for c in choices):
            raise err("choices" if choices is not None else None,
                      "a choice quiz needs at least two [[choices]] tables (text, correct, feedback)")
        items = []
        for i, c in enumerate(choices):
            line = _nth_table_line(body, start, "choices", i)

            def cerr(key, msg, line=line):
                return LessonError(err(None, "").file, line, msg)

            f = _check_fields(c, CHOICE_ITEM, cerr, f"choice {i + 1}")
            items.append(Choice(f["text"], f["correct"], f["feedback"]))
        if not any(c.correct for c in items):
            raise err(None, "a choice quiz needs at least one choice with correct = true")
        return Quiz("choice", fields["question"], fence, choices=items)
    compute = data.pop("compute", None)
    fields = _check_fields(data, QUIZ_NUMERIC, err, "numeric quiz")
    if (fields["answer"] is None) == (compute is None):
        raise err(None, "a numeric quiz needs exactly one of answer = <number> or a [compute] table")
    if compute is not None:
        if not isinstance(compute, dict):
            raise err("compute", "compute must be a table: [compute]")
        compute = _check_fields(compute, COMPUTE, err, "[compute]")
    return Quiz("numeric", fields["question"], fence, answer=fields["answer"], compute=compute,
                tolerance=fields["tolerance"], explanation=fields["explanation"])


def _nth_table_line(body: list[str], start: int, name: str, n: int) -> int:
    pat = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
    hits = [start + i for i, t in enumerate(body) if pat.match(t)]
    return hits[n] if n < len(hits) else start - 1


def parse_lesson(path) -> Lesson:
    """Read and validate one lesson file (structure and every block's fields)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise LessonError(path, 1, f"cannot read lesson: {e}") from None
    first = next((i for i, t in enumerate(lines) if t.strip()), None)
    if first is None or not lines[first].startswith("# "):
        raise LessonError(path, (first or 0) + 1, "a lesson starts with its title: '# Title'")
    title = lines[first][2:].strip()
    summary: list[str] = []
    steps: list[Step] = []
    text: list[str] = []  # Markdown lines of the current step not yet flushed

    def flush():
        if steps and "\n".join(text).strip():
            steps[-1].parts.append("\n".join(text).strip("\n"))
        text.clear()

    i = first + 1
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:  # a fenced block: skip to its closing fence
            fence, info = m.group(1), m.group(2)
            j = i + 1
            while j < len(lines) and lines[j].strip() != fence:
                j += 1
            if j == len(lines):
                raise LessonError(path, i + 1, f"fenced block opened here is never closed with {fence}")
            if info in BLOCKS:
                if not steps:
                    raise LessonError(path, i + 1, f"a {info} block must be inside a step (after a '## ' heading)")
                flush()
                block = _parse_block(info, lines[i + 1 : j], i + 2, path)
                if isinstance(block, Figure) and block.after_quiz and not any(isinstance(p, Quiz) for p in steps[-1].parts):
                    raise LessonError(path, i + 1, "after_quiz = true hides a figure until the quiz before it is "
                                                   "answered; put a quiz before this figure in the same step")
                steps[-1].parts.append(block)
            else:
                (text if steps else summary).extend(lines[i : j + 1])
            i = j + 1
            continue
        if line.startswith("## "):
            flush()
            if steps and not steps[-1].parts:
                raise LessonError(path, steps[-1].line, f"step {steps[-1].title!r} is empty")
            steps.append(Step(line[3:].strip(), [], i + 1))
        elif line.startswith("# "):
            raise LessonError(path, i + 1, "only one '# ' title per lesson; start steps with '## '")
        elif steps:
            text.append(line)
        else:
            summary.append(line)
        i += 1
    flush()
    if not steps:
        raise LessonError(path, first + 1, "a lesson needs at least one step: a '## Step title' heading")
    if not steps[-1].parts:
        raise LessonError(path, steps[-1].line, f"step {steps[-1].title!r} is empty")
    summary_text = " ".join(t.strip() for t in summary if t.strip())
    if not summary_text:
        raise LessonError(path, first + 2, "write a one-paragraph summary between the title and the first step")
    return Lesson(path, title, summary_text, steps)


DISPLAY_MATH = re.compile(r"^[ \t]*\$\$(.+?)\$\$[ \t]*$", re.MULTILINE | re.DOTALL)


def split_display_math(text: str) -> list[tuple[str, str]]:
    """Split Markdown into ("markdown", text) and ("latex", body) pieces.

    A display formula is ``$$ ... $$`` starting and ending on its own line(s);
    it may span several lines (``\\begin{aligned} ... \\end{aligned}``). The page
    draws these with st.latex (centred, multi-line safe); inline ``$...$`` stays
    in the Markdown.
    """
    out, pos = [], 0
    for m in DISPLAY_MATH.finditer(text):
        if text[pos : m.start()].strip():
            out.append(("markdown", text[pos : m.start()].strip("\n")))
        out.append(("latex", m.group(1).strip()))
        pos = m.end()
    if text[pos:].strip():
        out.append(("markdown", text[pos:].strip("\n")))
    return out


# ----------------------------------------------------------------------------
# building: figures and live quiz answers


def build_figure(kind: str, params: dict):
    """A go.Figure (or a list of LaTeX strings for kind "equations") from validated parameters."""
    from gru_viz import figures_lessons

    return getattr(figures_lessons, FIGURE_KINDS[kind]["builder"])(**params)


def quiz_answer(quiz: Quiz) -> float:
    """The right answer of a numeric quiz: typed in, or computed from the model now."""
    if quiz.compute is None:
        return quiz.answer
    from gru_viz import figures_lessons

    return figures_lessons.compute_quantity(**quiz.compute)


_TEX_SYMBOLS = {r"\operatorname{diag}": "diag", r"\tanh": "tanh", r"\cdot": "·", r"\odot": "⊙", r"\ne": "≠",
                r"\lVert": "‖", r"\rVert": "‖", r"\partial": "∂", r"\dots": "…", r"\approx": "≈", r"\sigma": "σ",
                r"\,": " ", r"\!": ""}


def plain_text(text: str) -> str:
    """A caption's Markdown with its $...$ math as plain text, for a chart's text alternative (aria-label):
    "$h_{t-1}$ and $\\tanh(0)$" -> "h_(t-1) and tanh(0)"."""

    def math(m: re.Match) -> str:
        tex = m.group(1)
        for command, symbol in _TEX_SYMBOLS.items():
            tex = tex.replace(command, symbol)
        tex = re.sub(r"([_^])\{([^{}]{2,})\}", r"\1(\2)", tex)  # h_{t-1} -> h_(t-1)
        return tex.replace("{", "").replace("}", "")

    return re.sub(r"\$([^$]+)\$", math, text).replace("**", "")


def format_answer(value: float) -> str:
    """A numeric quiz's answer as shown to the reader: four significant digits, so 0.000977 is not "0.001"
    and 4032 is not "4032.000"."""
    return f"{value:.4g}"


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"  # 0.25, .25, 25., 2.5e-1 (no '1_0', 'inf', 'nan');
# matched with re.ASCII: JavaScript's \d (the offline copy) is 0-9 only, Python's also took '١.٥' as 1.5


def parse_number(text: str) -> float:
    """A reader's typed answer as a number: '0.25', '.25', '2.5e-1', '1/4', '−0.5', and '0,25' (a decimal comma).

    Raises ValueError with a message for the reader when it is no number, or when a comma could mean either
    thing ('4,032': four thousand and thirty-two, or 4.032?). The offline copy's JavaScript
    (lesson_export.SCRIPT, parseAnswer) reads answers by the same rules."""
    s = re.sub(r"\s+", "", str(text)).replace("−", "-")
    if re.fullmatch(r"[-+]?[1-9]\d{0,2},\d{3}", s, re.ASCII):
        raise ValueError(f"Is “{s}” {s.replace(',', '')} or {s.replace(',', '.')}? Type it without the comma, "
                         "or with a decimal point.")
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")  # a decimal comma: 0,5
    if m := re.fullmatch(f"({_NUMBER})/({_NUMBER})", s, re.ASCII):
        num, den = float(m.group(1)), float(m.group(2))
        if den == 0:
            raise ValueError(f"“{s}” divides by zero.")
        return num / den
    if re.fullmatch(_NUMBER, s, re.ASCII) and math.isfinite(value := float(s)):
        return value
    shown = s if len(s) <= 20 else s[:20] + "…"
    raise ValueError(f"“{shown}” is not a number: type it like 0.25, .25, 2.5e-1 or 1/4.")


def numeric_feedback(quiz: Quiz, value: float) -> tuple[bool, float]:
    """(correct?, right answer) for a reader's numeric answer."""
    answer = quiz_answer(quiz)
    return bool(abs(value - answer) <= quiz.tolerance + 1e-12), answer


def check_lesson(path) -> Lesson:
    """Parse a lesson, then build every figure and compute every answer (catches core errors too)."""
    lesson = parse_lesson(path)
    for step in lesson.steps:
        for part in step.parts:
            try:
                if isinstance(part, Figure):
                    build_figure(part.kind, part.params)
                elif isinstance(part, Quiz) and part.type == "numeric":
                    quiz_answer(part)
            except ValueError as e:
                raise LessonError(path, part.line, f"{e}") from None
    return lesson


def lesson_files(folder) -> list[Path]:
    """The lesson files of a folder, in order (sorted by name)."""
    return sorted(Path(folder).glob("*.md"))


def load_lessons(folder) -> list[Lesson]:
    """Parse every lesson of a folder (raises LessonError on the first bad file)."""
    return [parse_lesson(p) for p in lesson_files(folder)]


def main(argv=None) -> int:
    """`python -m gru_viz.lessons check <folder or files...>`: exit 1 if any lesson is broken, 2 on a bad command line."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m gru_viz.lessons", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", metavar="check")
    check = sub.add_parser("check", help="parse every lesson, build every figure and compute every quiz answer; "
                                         "exit 1 if any lesson is broken")
    check.add_argument("paths", nargs="*", default=["lessons"], metavar="PATH",
                       help="lesson folders or .md files (default: lessons)")
    try:
        args = p.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # --help (0) or a bad command line (2): return the code, as the other outcomes
        return int(e.code or 0)
    if args.command is None:
        p.print_usage(sys.stderr)
        return 2
    paths = []
    for a in args.paths:
        p = Path(a)
        paths += lesson_files(p) if p.is_dir() else [p]
    if not paths:
        print("no lesson files found", file=sys.stderr)
        return 1
    errors = 0
    for p in paths:
        try:
            lesson = check_lesson(p)
            print(f"ok   {p}: {lesson.title} ({len(lesson.steps)} steps)")
        except LessonError as e:
            errors += 1
            print(f"FAIL {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
