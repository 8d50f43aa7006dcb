"""Lessons: step-through lessons from simple RNNs to gated cells, read from lessons/*.md.

URL: ``?lesson=3&step=4`` opens lesson 3 at step 4 (both 1-based), so a teacher
can share one step; no ``lesson`` shows the list. Bad values give a message and
fall back (to the list, or to step 1). The lesson files are parsed by
gru_viz.lessons; figures come from gru_viz.figures_lessons (cached on the plain
parameter values); this page only lays them out and adds the widgets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st

from gru_viz import classroom, components, lesson_export, ui
from gru_viz import lessons as L

LESSON_DIR = Path(__file__).resolve().parents[2] / "lessons"


# Readable names for the options of a choice widget; the values stay as they are (lesson files and tests use them).
CHOICE_LABELS = {
    "hard_sigmoid": "hard sigmoid",
    "torch": r"PyTorch: $r_t \odot (W_{hn} h_{t-1} + b_{hn})$",
    "cho2014": r"Cho et al. 2014: $W_{hn} (r_t \odot h_{t-1}) + b_{hn}$",
}


# ----------------------------------------------------------------------------
# cached loading and building


@st.cache_data(show_spinner=False)
def load_lessons(stamp: tuple) -> list:
    """[(path, Lesson or error message)] for every lesson file; ``stamp`` (names, mtimes) refreshes the cache on edits."""
    out = []
    for path in L.lesson_files(LESSON_DIR):
        try:
            out.append((path, L.parse_lesson(path)))
        except L.LessonError as e:
            out.append((path, str(e)))
    return out


@st.cache_data(max_entries=256, show_spinner=False)
def build(kind: str, params_json: str):
    return L.build_figure(kind, json.loads(params_json))


@st.cache_data(max_entries=256, show_spinner=False)
def numeric_check(quiz_json: str, value: float):
    return L.numeric_feedback(L.Quiz(**json.loads(quiz_json)), value)


def stamp() -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns) for p in L.lesson_files(LESSON_DIR))


# ----------------------------------------------------------------------------
# URL state: the query parameters are the single source of truth


def url_int(key: str, hi: int, what: str) -> int | None:
    """A 1-based number from the URL in [1, hi], None if absent; a bad value warns and gives None."""
    raw = st.query_params.get(key)
    if raw is None:
        return None
    value = ui.parse_int(raw)
    if value is not None and 1 <= value <= hi:
        return value
    st.warning(f"The link asks for {what} `{ui.shorten(raw) or ' '}`, but there are {hi} ({what}s 1 to {hi}).", icon="⚠️")
    return None


def go_to(lesson: int | None, step: int = 1) -> None:
    """Show a lesson's step (None: the list of lessons): lesson and step become the URL's only settings besides
    presentation mode, in one message (one history entry, so Back returns to the step before)."""
    cleared = {k: None for k in st.query_params.to_dict() if k != classroom.PRESENT_KEY}
    ui.write_query(**{**cleared, **({"lesson": lesson, "step": step} if lesson is not None else {})})


# ----------------------------------------------------------------------------
# widgets


# Labels that depend on the figure kind (the attention figure's seed draws the string, not weights).
KIND_LABELS = {("attention", "seed"): "random seed of the string"}


def control_ui(name: str, p: L.Param, value, key: str, hi: int | None = None, label: str | None = None):
    """One reader control for parameter p, starting at the lesson's value; returns the chosen value.

    hi: a tighter upper end for an int slider (a timestep cannot pass the sequence length T).
    """
    label = label or L.CONTROL_LABELS.get(name, name)
    if p.type == "int":
        lo, hi = p.bound.lo, min(p.bound.hi, hi or p.bound.hi)
        value = min(max(lo if value is None else value, lo), hi)
        if hi - lo > 1000:
            return int(st.number_input(label, lo, hi, value, key=key, help=p.help))
        return st.slider(label, lo, hi, value, key=key, help=p.help)
    if p.type == "float" and not p.optional:
        b = p.bound
        return st.slider(label, float(b.lo), float(b.hi), float(value), step=float(b.step), key=key, help=p.help)
    if p.type == "float":  # optional: "off" = leave it to the random weights / free gate
        b = p.bound
        grid = [float(v) for v in np.round(np.arange(b.lo, b.hi + b.step / 2, b.step), 6)]
        if value is not None and value not in grid:
            grid = sorted([*grid, float(value)])
        choice = st.select_slider(label, ["off", *grid], "off" if value is None else float(value), key=key, help=p.help,
                                  format_func=lambda v: v if v == "off" else f"{v:g}")
        return None if choice == "off" else choice
    if p.type == "choice":
        return st.radio(label, p.choices, p.choices.index(value), horizontal=True, key=key, help=p.help,
                        format_func=lambda v: CHOICE_LABELS.get(v, v))
    if p.type == "choices":
        return st.multiselect(label, p.choices, value, key=key, help=p.help)
    if p.type == "bool":
        return st.checkbox(label, value, key=key, help=p.help)
    raise AssertionError(p.type)


def figure_ui(fig: L.Figure, key: str) -> None:
    schema = L.FIGURE_KINDS[fig.kind]["params"]
    params = dict(fig.params)
    if fig.controls:
        cols = st.columns(min(len(fig.controls), 3))
        for i, name in enumerate(fig.controls):
            with cols[i % len(cols)]:
                hi = params.get("T") if name in ("pulse_at", "step") else None
                if fig.kind == "unrolled" and name == "pulse_at":
                    hi = min(hi, params["steps"])  # the diagram draws steps 1 .. steps: a later pulse would not show
                params[name] = control_ui(name, schema[name], params[name], f"{key}-{name}", hi,
                                          KIND_LABELS.get((fig.kind, name)))
    try:
        out = build(fig.kind, json.dumps(params, sort_keys=True))
    except (ValueError, OSError) as e:  # bad settings (the core says why), or a missing shipped model file
        st.warning(f"This setting cannot be drawn: {e}", icon="⚠️")
        return
    if isinstance(out, list):  # LaTeX equations
        for tex in out:
            st.latex(tex)
        if fig.caption:
            st.caption(fig.caption)
    else:
        ui.plot(out, fig.caption or L.FIGURE_KINDS[fig.kind]["doc"], key=f"{key}-chart")


def quiz_ui(quiz: L.Quiz, key: str) -> bool:
    """The quiz with its feedback once answered; True when the reader has answered it."""
    saved = saved_answer(key, quiz)
    with st.container(border=True):
        st.markdown(f"**Quiz.** {quiz.question}")
        if quiz.type == "choice":
            texts = [c.text for c in quiz.choices]
            # answered: the choices lock (the keyboard's ← → then move between steps, not to the next choice)
            # until the reader asks to change the answer
            locked = saved in texts and not st.session_state.get(f"{key}-change")
            if locked:  # the choices as text, the reader's marked (a disabled radio would lose its value)
                picked = saved
                st.markdown("\n".join(f"- **◉ {t}**" if t == saved else f"- ○ {t}" for t in texts))
            else:  # choose, then check: in a form the arrow keys only move the choice (each move used to answer)
                with st.form(f"{key}-form", border=False, enter_to_submit=False):
                    st.radio("Your answer", texts, index=texts.index(saved) if saved in texts else None, key=key,
                             label_visibility="collapsed")
                    st.form_submit_button("Check my answer", key=f"{key}-check", on_click=save_answer, args=(key, quiz))
                picked = None
            if picked is not None:
                c = quiz.choices[texts.index(picked)]
                (st.success if c.correct else st.error)(("Right. " if c.correct else "Not quite. ") + c.feedback)
            if locked:
                st.button("Change my answer", key=f"{key}-change-button", on_click=_reopen, args=(key,))
            return picked is not None
        typed = st.text_input("Your answer", value="" if saved is None else str(saved), key=key,
                              placeholder="type a number, e.g. 0.25, 2.5e-1 or 1/4, and press Enter",
                              on_change=save_answer, args=(key, quiz))
        if not typed.strip():
            return False
        try:
            value = L.parse_number(typed)
        except ValueError as e:
            st.warning(str(e), icon="✍️")
            return False
        quiz_json = json.dumps({k: getattr(quiz, k) for k in ("type", "question", "line", "answer", "compute",
                                                               "tolerance", "explanation")}, sort_keys=True)
        ok, answer = numeric_check(quiz_json, value)
        verdict = "Right" if ok else "Not quite"
        (st.success if ok else st.error)(f"{verdict}: the answer is {L.format_answer(answer)} "
                                         f"(accepted within ±{quiz.tolerance:g}). {quiz.explanation}")
        return True


# Quiz answers: {quiz key: [fingerprint of the quiz, answer]}, kept for the session and, through the browser's
# localStorage, across reloads and tabs (components.browser_memory). The fingerprint ties an answer to the quiz's
# text (Quiz.fingerprint): a lesson edited since, with another quiz at the same place, does not inherit the old answer.
MEMORY_NAME = "gru-viz-quiz-answers"


def answers() -> dict:
    return st.session_state.setdefault("quiz_memory", {})


def remember_answers_in_browser() -> None:
    """Send this session's answers to the browser, and take the ones it kept from earlier visits that this session
    lacks (the session's own are newer). Mounted once per run of the lessons page."""
    forget = st.session_state.pop("quiz_forget", False)
    generation = st.session_state.get("quiz_memory_generation", 0)
    stored = components.browser_memory(MEMORY_NAME, answers(), forget=forget, key=f"quiz-memory-{generation}")
    for key, entry in stored.items():
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str):
            answers().setdefault(key, entry)


def forget_answers() -> None:
    """The "Forget my answers" button: for a shared classroom computer."""
    st.session_state["quiz_memory"] = {}
    st.session_state["quiz_forget"] = True
    st.session_state["quiz_memory_generation"] = st.session_state.get("quiz_memory_generation", 0) + 1


def saved_answer(key: str, quiz: L.Quiz):
    """The reader's answer to this quiz, or None: Streamlit forgets a widget's value once a run does not show it,
    so going to the next step and back would empty the quiz; and a reload starts a new session."""
    entry = answers().get(key)
    return entry[1] if entry and entry[0] == quiz.fingerprint else None


def save_answer(key: str, quiz: L.Quiz) -> None:
    if st.session_state.get(key) is None:  # "Check my answer" with no choice made: nothing to check yet
        return
    answers()[key] = [quiz.fingerprint, st.session_state[key]]
    st.session_state.pop(f"{key}-change", None)  # an answer locks the quiz again


def _reopen(key: str) -> None:
    st.session_state[f"{key}-change"] = True


def hidden_until_answered(key: str, answered: bool) -> bool:
    """In place of a figure that would give the quiz above away (after_quiz = true): True while it stays hidden.

    Once the quiz is answered, or the reader asks for the figure, it stays shown for the session.
    """
    revealed = f"{key}-revealed"
    if answered:
        st.session_state[revealed] = True
    if st.session_state.get(revealed):
        return False
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.info("The figure here shows the answer: answer the quiz above first, and it appears.", icon="🙈")
    right.button("Show it now", key=f"{key}-reveal", on_click=_reveal, args=(revealed,), width="stretch")
    return True


def _reveal(flag: str) -> None:
    st.session_state[flag] = True


# ----------------------------------------------------------------------------
# the two views


def list_view(entries) -> None:
    st.title("📚 Lessons: from simple RNNs to gated cells")
    st.markdown("Step-through lessons with live figures. Each figure is computed from the model as you read; "
                "change the controls under a figure to test what the text claims. "
                "Share a step with its link: the address bar holds the lesson and the step.")
    for i, (path, lesson) in enumerate(entries, start=1):
        with st.container(border=True):
            if isinstance(lesson, str):
                st.error(f"Lesson file `{path.name}` has an error and cannot be shown:\n\n`{lesson}`")
                continue
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(f"### {i}. {lesson.title}\n{lesson.summary}\n\n*{len(lesson.steps)} steps*")
            right.button(f"Start lesson {i} ▶", key=f"open-{i}", on_click=go_to, args=(i, 1), width="stretch")
    if n := len(answers()):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.caption(f"This browser keeps your {n} quiz answer{'s' * (n > 1)}, so a reload or a later visit finds them. "
                     "On a shared computer, forget them when you are done.")
        right.button("Forget my answers", on_click=forget_answers, width="stretch")


def nav_ui(n_lessons: int, i: int, s: int, n: int, where: str) -> None:
    prev, mid, nxt = st.columns([2, 3, 2], vertical_alignment="center")  # wide enough for "◀ Previous lesson ←" at projector size
    # Keyboard: Left/Right move between steps (the top buttons carry the shortcuts, so each key is bound once).
    back, forward = ("Left", "Right") if where == "top" else (None, None)
    if s > 1:
        prev.button("◀ Previous", key=f"prev-{where}", on_click=go_to, args=(i, s - 1), width="stretch", shortcut=back)
    elif i > 1:
        prev.button("◀ Previous lesson", key=f"prev-{where}", on_click=go_to, args=(i - 1, 1), width="stretch",
                    shortcut=back)
    if s < n:
        nxt.button("Next ▶", key=f"next-{where}", on_click=go_to, args=(i, s + 1), type="primary", width="stretch",
                   shortcut=forward)
    elif i < n_lessons:
        nxt.button("Next lesson ▶", key=f"next-{where}", on_click=go_to, args=(i + 1, 1), type="primary", width="stretch",
                   shortcut=forward)
    else:
        nxt.button("All lessons", key=f"next-{where}", on_click=go_to, args=(None,), width="stretch", shortcut=forward)
    if where == "top":  # on a projector it also names the lesson: the header's one row
        mid.progress(s / n, text=f"Lesson {i} · Step {s} of {n}" if classroom.is_presenting() else f"Step {s} of {n}")


def split_screens(parts) -> list[list]:
    """Group a step's parts into screens holding at most one figure each (text goes with the figure after it)."""
    screens, current = [], []
    for j, part in enumerate(parts):
        current.append((j, part))
        if isinstance(part, L.Figure):
            screens.append(current)
            current = []
    if current:
        if screens and not any(isinstance(p, L.Figure) for _, p in current):
            screens[-1].extend(current)  # trailing text or quiz stays with the last figure
        else:
            screens.append(current)
    return screens or [[]]


def show_parts(i: int, s: int, parts, answered: bool = False) -> bool:
    """Show a screen's parts; ``answered``: whether the step's latest quiz so far is answered (returned updated)."""
    for j, part in parts:
        key = f"l{i}-s{s}-p{j}"
        if isinstance(part, str):
            for kind, text in L.split_display_math(part):
                if kind == "latex":
                    st.latex(text)
                else:
                    st.markdown(text)
        elif isinstance(part, L.Figure):
            if not (part.after_quiz and hidden_until_answered(key, answered)):
                figure_ui(part, key)
        else:
            answered = quiz_ui(part, key)
    return answered


def lesson_view(entries, i: int) -> None:
    path, lesson = entries[i - 1]
    presenting = classroom.is_presenting()
    if not presenting or isinstance(lesson, str):  # on a projector the header is one row (below): the figure comes sooner
        st.button("← All lessons", on_click=go_to, args=(None,))
    if isinstance(lesson, str):
        st.error(f"Lesson {i} (`{path.name}`) has an error and cannot be shown:\n\n`{lesson}`")
        return
    n = len(lesson.steps)
    s = url_int("step", n, "step") or 1
    step = lesson.steps[s - 1]
    components.scroll_to_top_on_change(f"lesson {i}, step {s}", key="lesson-scroll")
    if not presenting:
        top_left, top_right = st.columns([5, 2], vertical_alignment="center")
        top_left.caption(f"Lesson {i} of {len(entries)}: {lesson.title} · keys ← → move between steps")
        top_right.download_button(
            "⬇ Offline copy (HTML)", lambda: lesson_export.lesson_html(lesson), file_name=f"{path.stem}.html",
            mime="text/html", on_click="ignore", key=f"offline-{i}", width="stretch",
            help="The whole lesson in one file: every step, figure and quiz answer; opens without a network.",
        )
    nav_ui(len(entries), i, s, n, "top")
    st.header(f"{s}. {step.title}")
    screens = split_screens(step.parts) if presenting else [list(enumerate(step.parts))]
    if len(screens) > 1:  # presentation mode: one figure per screen, as tabs the keyboard can reach
        answered = False  # a quiz on one screen may hide the figure on the next
        for tab, screen in zip(st.tabs([f"Screen {k}" for k in range(1, len(screens) + 1)]), screens, strict=True):
            with tab:
                answered = show_parts(i, s, screen, answered)
    else:
        show_parts(i, s, screens[0])
    st.divider()
    nav_ui(len(entries), i, s, n, "bottom")
    if presenting:
        st.button("← All lessons", on_click=go_to, args=(None,))


entries = load_lessons(stamp())
if not entries:
    st.error(f"No lesson files found in `{LESSON_DIR}`.")
    st.stop()
remember_answers_in_browser()  # before the quizzes: after a reload, the answers kept in the browser come back in one rerun
lesson_no = url_int("lesson", len(entries), "lesson")
if lesson_no is None:
    list_view(entries)
else:
    lesson_view(entries, lesson_no)
