"""Shared Streamlit helpers: settings in the URL, the model/input controls, cached runs.

Pattern for a page (controls -> cached core call -> figure -> chart):

    from gru_viz import ui, figures
    m = ui.model_ui()                         # {"cell": "GRU", "hidden_size": 16, "seed": 0, "init_scale": 1.0, ...}
    inp = ui.input_ui()                       # {"preset": "pulse", "T": 100, "input_seed": 0, "text": "..."}
    trace, names = ui.run_model(**m, **inp)   # cached on those plain values
    ui.plot(figures.trace_figure(trace, names), figures.key_number(trace), key="trace")

URL state: every ``url_*`` widget reads its start value from ``st.query_params``
(checked against the same bounds as the widget; a malformed value gives a
``st.warning`` and the default) and writes its current value back, so the
address bar always reproduces the picture.

Writes to the URL are queued (``write_query``) and sent in one message at the
end of the run (app.py) or of a fragment's rerun (``ui.fragment``): the browser
makes a history entry per message, so a page that set its ten settings one by
one left ten entries for Back to walk through. After Back/Forward the URL holds
settings the app did not write last (``follow_browser_history``): the widgets
then take theirs from the URL, so Back shows the previous picture.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import streamlit as st

from gru_viz import limits, presets, tasks
from gru_viz.limits import Bound

# ----------------------------------------------------------------------------
# reading and writing the URL


def shorten(raw, chars: int = 40) -> str:
    """A link's value as a message quotes it: at most ``chars`` characters (a link may carry kilobytes)."""
    raw = str(raw)
    return raw if len(raw) <= chars else raw[:chars] + "…"


def parse_int(raw) -> int | None:
    """A link's whole number (ASCII digits, an optional minus, spaces around), else None: int() also takes
    '²', '٣' and '1_0', and raises on a 5000-digit one."""
    m = re.fullmatch(r"\s*(-?[0-9]{1,15})\s*", str(raw))
    return int(m.group(1)) if m else None


def parse_float(raw) -> float:
    """A link's number (ASCII digits, optional minus, decimal point and exponent, spaces around), else NaN: float()
    also takes '1_0' (as 10), '١.٥' and 'inf'."""
    m = re.fullmatch(r"\s*(-?(?:[0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})(?:[eE][-+]?[0-9]{1,3})?)\s*", str(raw))
    return float(m.group(1)) if m else math.nan


def warn_ignored(key: str, raw, why: str, default) -> None:
    """Say on the page that the link's ``key=raw`` was not used, why, and what is used instead."""
    st.warning(f"The link's setting `{key}={shorten(raw)}` was ignored: {why}. Using the default, {default!r}.", icon="⚠️")


def query_int(key: str, default: int, bound: Bound) -> int:
    """The URL parameter ``key`` as an int within ``bound``, else ``default`` with a warning."""
    raw = query_get(key)
    if raw is None:
        return default
    try:
        value = parse_int(raw)
        return bound.check(value if value is not None else shorten(raw))
    except ValueError as e:
        warn_ignored(key, raw, str(e), default)
        return default


def query_float(key: str, default: float, lo: float, hi: float, name: str | None = None) -> float:
    """The URL parameter ``key`` as a finite float in [lo, hi], else ``default`` with a warning."""
    raw = query_get(key)
    if raw is None:
        return default
    v = parse_float(raw)
    if not (math.isfinite(v) and lo <= v <= hi):
        warn_ignored(key, raw, f"{name or key} must be a number in [{lo}, {hi}]", default)
        return default
    return v


def query_choice(key: str, default: str, choices) -> str:
    """The URL parameter ``key`` if it is one of ``choices``, else ``default`` with a warning."""
    raw = query_get(key)
    if raw is None:
        return default
    if raw not in choices:
        warn_ignored(key, raw, f"it must be one of {', '.join(map(str, choices))}", default)
        return default
    return raw


def query_text(key: str, default: str, max_chars: int) -> str:
    """The URL parameter ``key`` as text of at most ``max_chars`` characters (longer: cut, with a warning)."""
    raw = query_get(key)
    if raw is None:
        return default
    if len(raw) > max_chars:
        st.warning(f"The link's text `{key}` has {len(raw)} characters; only the first {max_chars} are used.", icon="⚠️")
        return raw[:max_chars]
    return raw


def query_get(key: str) -> str | None:
    """A setting in the URL as the page will leave it: a change queued this run (``write_query``) counts."""
    pending = st.session_state.get(QUERY_PENDING, {})
    return pending[key] if key in pending else st.query_params.get(key)


QUERY_PENDING = "_query_pending"  # session keys: settings queued for the URL (value None: remove the key),
QUERY_WRITTEN = "_query_written"  # the URL as the app last left it,
FULL_RUN = "_query_full_run"  # app.py is running the whole page (it sends the URL at the end),
IN_FRAGMENT = "_query_in_fragment"  # a ui.fragment reruns alone (it sends the URL at its end)
WIDGETS_SEEN = "_query_widgets_seen"  # the widgets' values when the URL was last written (Back, or a quick move?)
WRITTEN_BY_PAGE = "_query_written_by_page"  # page (url path) -> the URL the app last left on it
PAGE = "_widgets_page"  # the page whose widgets the session holds (forget_other_pages_widgets)
VISIT = "_page_visit"  # how many times the session has opened a page (forget_other_pages_widgets counts)


def write_query(**values) -> None:
    """Put settings into the URL (a value of None removes its key).

    Inside a run of app.py or a fragment they are queued and reach the browser in
    one message at its end (``flush_query``): one history entry per change of the
    picture. Anywhere else (a widget callback, a page run on its own in a test)
    they are sent at once.
    """
    pending = st.session_state.setdefault(QUERY_PENDING, {})
    for k, v in values.items():
        pending[k] = None if v is None else _fmt(v)
    if not (st.session_state.get(FULL_RUN) or st.session_state.get(IN_FRAGMENT)):
        flush_query()


def flush_query() -> None:
    """Send the queued settings in one message, if they change the URL; remember the URL as written."""
    pending = st.session_state.pop(QUERY_PENDING, {})
    current = st.query_params.to_dict()
    target = {**current, **{k: v for k, v in pending.items() if v is not None}}
    for k in [k for k, v in pending.items() if v is None]:
        target.pop(k, None)
    if target != current:
        st.query_params.from_dict(target)  # clear and update: one message, so one history entry
    st.session_state[QUERY_WRITTEN] = target
    st.session_state[WIDGETS_SEEN] = _widget_values()
    st.session_state.setdefault(WRITTEN_BY_PAGE, {})[st.session_state.get(PAGE)] = target


def _widget_values() -> dict:
    return {k: st.session_state[k] for k in st.session_state if isinstance(k, str) and k.startswith("w_")}


def flush_query_before_charts() -> None:
    """In a fragment's rerun, send the queued settings before its first chart: the browser handles the URL
    message (a re-render of the whole app) while the charts are still being computed, not after they arrive
    (measured: ~40 ms later charts on the Gradient Lab). The settings widgets come before the charts, so this
    is still one message per rerun."""
    if st.session_state.get(IN_FRAGMENT) and st.session_state.get(QUERY_PENDING):
        flush_query()


def repair_mixed_history_entry(page: str) -> None:
    """Call before the page runs, with the page about to run, and before ``forget_other_pages_widgets`` (which
    records that page as the current one): when Back lands on a history entry that holds the path of this page but
    the settings the app last wrote on another, show this page as the app last left it.

    Such an entry comes from a race in Streamlit's frontend (1.67) on a page change: the new page's path is
    pushed once React has drawn the change, the settings written at the end of the new page's run at once. A
    run that finishes quickly (warm caches) can send them before React has drawn, and the browser then pushes
    the new page's settings on the old page's path, then the new page's path: Back from the new page lands on
    that mixed entry, and the old page read the other page's settings. Written here in a run that Back started,
    the settings replace that entry (Streamlit's frontend replaces rather than pushes during a history
    navigation), so it now repeats the entry before it: Back still reaches every picture, one entry later.
    A page switch from the menu comes without settings, so it never looks like this.
    """
    previous, written = st.session_state.get(PAGE), st.session_state.get(QUERY_WRITTEN)
    own = st.session_state.get(WRITTEN_BY_PAGE, {}).get(page)
    if previous is None or previous == page or not written or own is None:
        return
    if st.query_params.to_dict() == written:  # the other page's settings on this page's path
        st.query_params.from_dict(own)


def follow_browser_history() -> None:
    """Call before the page runs: when the URL is not what the app last wrote (the browser went Back or Forward),
    drop the widgets' values ('w_' keys) so that every widget takes its setting from the URL again.

    A rerun that a widget asked for (a slider moved: some widget's value differs from the end of the last run)
    is not Back or Forward, even with an old URL: pressed in quick succession, the browser sends the next
    rerun before the URL of the last one has reached it. Following that URL would undo the moves."""
    written = st.session_state.get(QUERY_WRITTEN)
    if written is None or st.query_params.to_dict() == written:
        return
    seen, now = st.session_state.get(WIDGETS_SEEN, {}), _widget_values()
    if any(k in seen and seen[k] != v for k, v in now.items()):
        return  # the user's own move, sent with the URL before it: the run writes the new URL at its end
    for key in now:
        del st.session_state[key]


def fragment(func):
    """``st.fragment`` for a page's live part: when it reruns alone, the URL settings its widgets wrote are
    sent at its end in one message (in the page's own run, app.py sends them)."""

    @functools.wraps(func)
    def body(*args, **kwargs):
        if st.session_state.get(FULL_RUN):
            return func(*args, **kwargs)
        st.session_state[IN_FRAGMENT] = True
        try:
            return func(*args, **kwargs)
        finally:
            st.session_state[IN_FRAGMENT] = False
            flush_query()

    return st.fragment(body)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def init_widget(key: str, read) -> str:
    """Seed a widget's session-state value from the URL once and return its key 'w_' + key: ``read()``
    is called only when the widget has no value yet, so a bad link warns once. The url_* helpers below
    use it; a page's own URL-bound widget (a multiselect, a toggle) calls it with its own ``read``."""
    wkey = f"w_{key}"
    if wkey not in st.session_state:
        st.session_state[wkey] = read()
    return wkey


def page_memory(page: str) -> dict:
    """A plain dict in the session for the settings of ``page`` that must survive a visit to another page:
    Streamlit forgets the state of widgets that are not on screen, and the URL loses the page's settings.
    The page writes its widgets' values into it (``remember``) and puts them back on its return (``restore``)."""
    return st.session_state.setdefault(f"_memory_{page}", {})


def restore(memory: dict, widget_key: str, url_key: str | None = None) -> str:
    """Back from another page: put the widget ``widget_key`` back as ``memory`` holds it, unless the widget has a
    value already or the URL sets ``url_key`` (a link wins). Returns ``widget_key``."""
    if widget_key not in st.session_state and widget_key in memory and (url_key is None or query_get(url_key) is None):
        st.session_state[widget_key] = memory[widget_key]
    return widget_key


def remember(memory: dict, widget_keys) -> None:
    """Copy the current values of these widgets into ``memory`` (see page_memory)."""
    memory.update({k: st.session_state[k] for k in widget_keys if k in st.session_state})


def forget_other_pages_widgets(page: str) -> None:
    """When the page changes, drop the widget values ('w_' keys) the previous page left in the session.

    Pages share URL keys (H, T, seed, units, cells, ...) but not widgets: step-through's H slider and the
    Gradient Lab's are different widgets under the same key, and a value one leaves behind would seed the
    other (a slider then starts at its minimum, a list meets a text box). So each page starts from its own
    URL or its defaults. Called by app.py with the page about to run.
    """
    if st.session_state.get(PAGE) != page:
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("w_")]:
            del st.session_state[key]
        st.session_state[PAGE] = page
        st.session_state[VISIT] = st.session_state.get(VISIT, 0) + 1


def first_time_this_visit(name: str) -> bool:
    """True on the first call for ``name`` since the page was opened (from another page, or in a new session),
    e.g. to hold the place of a chart that is still being computed, which later runs leave on screen."""
    visit = st.session_state.get(VISIT, 0)
    first = st.session_state.get(f"_first_{name}") != visit
    st.session_state[f"_first_{name}"] = visit
    return first


# ----------------------------------------------------------------------------
# widgets bound to the URL


def url_slider(label: str, key: str, bound: Bound, default: int, help: str | None = None, **kw) -> int:
    """An int slider over ``bound`` whose value lives in the URL under ``key``."""
    wkey = init_widget(key, lambda: query_int(key, default, bound))
    v = st.slider(label, bound.lo, bound.hi, key=wkey, help=help, **kw)
    write_query(**{key: v})
    return int(v)


def url_float_slider(label: str, key: str, lo: float, hi: float, default: float, step: float = 0.05,
                     help: str | None = None, **kw) -> float:
    """A float slider on [lo, hi] whose value lives in the URL under ``key``."""
    wkey = init_widget(key, lambda: query_float(key, default, lo, hi, name=label))
    v = st.slider(label, float(lo), float(hi), step=step, key=wkey, help=help, **kw)
    write_query(**{key: float(v)})
    return float(v)


def url_number(label: str, key: str, bound: Bound, default: int, help: str | None = None, **kw) -> int:
    """An int number input over ``bound`` whose value lives in the URL under ``key``."""
    wkey = init_widget(key, lambda: query_int(key, default, bound))
    v = st.number_input(label, min_value=bound.lo, max_value=bound.hi, step=1, key=wkey, help=help, **kw)
    write_query(**{key: int(v)})
    return int(v)


def url_choice(label: str, key: str, choices, default: str, labels: dict | None = None, radio: bool = False,
               help: str | None = None, **kw) -> str:
    """A selectbox (or horizontal radio) over ``choices`` whose value lives in the URL under ``key``."""
    wkey = init_widget(key, lambda: query_choice(key, default, choices))
    fmt = (lambda c: labels.get(c, c)) if labels else str
    if radio:
        v = st.radio(label, list(choices), key=wkey, format_func=fmt, horizontal=True, help=help, **kw)
    else:
        v = st.selectbox(label, list(choices), key=wkey, format_func=fmt, help=help, **kw)
    write_query(**{key: v})
    return v


def url_toggle(label: str, key: str, default: bool, help: str | None = None, **kw) -> bool:
    """A toggle whose state lives in the URL under ``key`` as on|off."""
    wkey = init_widget(key, lambda: query_choice(key, "on" if default else "off", ["on", "off"]) == "on")
    on = st.toggle(label, key=wkey, help=help, **kw)
    write_query(**{key: "on" if on else "off"})
    return on


def url_text(label: str, key: str, default: str, max_chars: int, help: str | None = None, **kw) -> str:
    """A text input whose value lives in the URL under ``key`` (at most ``max_chars`` characters)."""
    wkey = init_widget(key, lambda: query_text(key, default, max_chars))
    v = st.text_input(label, key=wkey, max_chars=max_chars, help=help, **kw)
    write_query(**{key: v})
    return v


# ----------------------------------------------------------------------------
# the shared control groups


def session_models() -> dict:
    """This session's trained (Training Lab) and uploaded models: name -> LoadedModel."""
    from gru_viz import ui_models

    return ui_models.trained_models()


def weight_choices() -> dict[str, str]:
    """name -> label of the weights a page can use: "random" (seeded init), the shipped checkpoints,
    and the models trained or uploaded in this session. A model the Training Lab asked to open
    ("open_model") is preselected."""
    choices = {"random": "random init (seeded)"}
    try:
        from gru_viz import checkpoints

        session = session_models()
        for name, title in checkpoints.model_choices(session).items():
            choices[name] = f"this session: {title}" if name in session else title  # "GRU trained on ..."
    except (ImportError, OSError, ValueError, KeyError):  # no checkpoints shipped, or an unreadable manifest
        pass
    opened = st.session_state.pop("open_model", None)
    if opened in choices:
        st.session_state["w_weights"] = opened
        st.session_state.pop("w_input", None)  # start from the model's own task
    return choices


def _slots(n: int, horizontal: bool, widths: list[float] | None = None) -> list:
    """n places to put widgets: side-by-side columns (relative ``widths``), or the current container n times."""
    return list(st.columns(widths or n, gap="medium")) if horizontal else [contextlib.nullcontext()] * n


def model_ui(default_cell: str = "GRU", default_hidden: int = 16, cells=presets.CELLS, weights: dict | None = None,
             horizontal: bool = False, default_weights: str = "random") -> dict:
    """Cell kind, hidden size, seed, init scale (and weights, if checkpoints exist). Returns plain values.

    ``weights`` maps weight choices to labels (see weight_choices): "random"
    (seeded init) and the names of shipped checkpoints. With a checkpoint the
    cell and sizes come from the file: its description stands in for those widgets.
    ``horizontal=True`` lays the widgets out in one row of columns.
    """
    weights = weights or {"random": "random"}
    # the first slot holds the weights' names ("GRU trained on ..."); the rest, a checkpoint's description or
    # the three widgets of random weights
    a, rest = _slots(2, horizontal, [2.6, 3])
    w = "random"
    with a:
        if len(weights) > 1:
            default_weights = default_weights if default_weights in weights else "random"
            w = url_choice("weights", "weights", list(weights), default_weights, labels=weights, on_change=_reset_input,
                           help="random: freshly initialised with the seed; otherwise a checkpoint trained on a toy task.")
    if w != "random":  # the checkpoint fixes the cell and its sizes
        entry = checkpoint_entry(w)
        _drop_random_weight_settings(entry, w)
        with rest:
            st.markdown(f"**{entry['cell']}**, hidden size H = **{entry['hidden_size']}**, "
                        f"input size D = {entry['input_size']}")
            params = ", ".join(f"{k}={v}" for k, v in (entry.get("task_params") or {}).items())
            if entry.get("task") is None:  # uploaded: the file says nothing about what it was trained for
                line = f"{entry.get('title') or w}: the weights as saved; no training task is known, so its input is noise"
            else:
                line = f"trained on the {entry['task']} task ({params})"
            if isinstance(entry.get("test_loss"), float) and isinstance(entry.get("baseline"), float):
                line += f": test loss {entry['test_loss']:.4f}, against {entry['baseline']:.3f} for a model that learned nothing"
            st.caption(line)
        return {"cell": entry["cell"], "hidden_size": entry["hidden_size"], "seed": 0, "init_scale": 1.0, "weights": w}
    b, c, d = rest.columns(3, gap="medium") if horizontal else _slots(3, False)
    with a:
        cell = url_choice("cell", "cell", cells, default_cell, radio=True,
                          help="GRU: reset + update gates. LSTM: input, forget, output gates and a cell state. RNN: no gates.")
    with b:
        H = url_slider("hidden size H", "H", limits.UI_HIDDEN_SIZE, default_hidden)
    with c:
        scale = url_float_slider("init scale", "scale", *presets.INIT_SCALE, presets.INIT_SCALE_DEFAULT, step=0.1,
                                 help="multiplies the random weights: large values push gates towards 0 or 1, small ones to ~0.5")
    with d:
        seed = url_number("seed", "seed", presets.SEED, 0, help="same seed, same weights, same picture")
    return {"cell": cell, "hidden_size": H, "seed": seed, "init_scale": scale, "weights": w}


RANDOM_WEIGHT_KEYS = ("cell", "H", "scale", "seed")  # URL settings that only random weights have


def _drop_random_weight_settings(entry: dict, name: str) -> None:
    """Take the random-weight settings out of the URL of a checkpoint's view (they would make a shared link
    lie), and say so when a link set them to something the checkpoint is not (e.g. ?weights=...&cell=LSTM)."""
    given = {k: v for k in RANDOM_WEIGHT_KEYS if (v := query_get(k)) is not None}
    if not given:
        return
    write_query(**dict.fromkeys(given))
    own = {"cell": entry["cell"], "H": str(entry["hidden_size"]), "scale": "1", "seed": "0"}
    clash = [f"`{k}={shorten(v)}`" for k, v in given.items() if str(v).strip() != own[k]]
    if clash:
        title = entry.get("title") or name
        st.info(f"The link's {', '.join(clash)} {'does' if len(clash) == 1 else 'do'} not apply to **{title}**: a trained "
                f"model fixes its cell and sizes ({entry['cell']}, H = {entry['hidden_size']}). Choose "
                "*random init* under **weights** to set them.", icon="ℹ️")


def weights_kind(weights: str) -> str:
    """ "random", "trained" (a shipped or session model that knows its task) or "uploaded" (no task known)."""
    if weights == "random":
        return "random"
    return "trained" if checkpoint_entry(weights).get("task") is not None else "uploaded"


def task_input_label(weights: str) -> str | None:
    """What the input preset "task" feeds the model of these weights (None for random weights: no such preset)."""
    kind = weights_kind(weights)
    if kind == "uploaded":  # no task of its own: see _run_model
        D = checkpoint_entry(weights)["input_size"]
        return f"seeded noise on its {D} input{'s' * (D != 1)} ({UNKNOWN_TASK_T} steps)"
    return "a sample of its training task" if kind == "trained" else None


RANDOM_SETTINGS_KEPT = "_random_weight_settings"  # session key: the random weights' URL settings while a checkpoint is shown


def _reset_input() -> None:
    """New weights: let the input choice start again from its default (a checkpoint's own task).

    Choosing a checkpoint puts the random weights' settings (cell, H, scale, seed) aside, out of the URL (they
    do not describe what is shown); choosing random init again brings them back."""
    st.session_state.pop("w_input", None)
    write_query(input=None)
    if st.session_state.get("w_weights") == "random":
        write_query(**st.session_state.pop(RANDOM_SETTINGS_KEPT, {}))
    else:
        kept = {k: v for k in (*RANDOM_WEIGHT_KEYS, "T") if (v := query_get(k)) is not None}  # T: its task sets it
        if kept:
            st.session_state[RANDOM_SETTINGS_KEPT] = kept
            write_query(**dict.fromkeys(kept))


def first_checkpoint(cell: str) -> str:
    """Name of the first shipped checkpoint of this cell kind, or "random" if there is none."""
    return next((name for name in weight_choices() if name != "random" and checkpoint_entry(name)["cell"] == cell), "random")


def checkpoint_entry(name: str) -> dict:
    """The entry (cell, hidden_size, task, ...) of a shipped checkpoint or of a model of this session."""
    from gru_viz import checkpoints

    if name in session_models():
        return checkpoints.LoadedModel(*session_models()[name]).entry
    return next(e for e in checkpoints.list_checkpoints() if e["name"] == name)


TEXT_BOX_CHARS = 4 * limits.UI_SEQ_LEN.hi  # what the input text box accepts (the model reads UI_SEQ_LEN.hi of it)


def input_ui(default_preset: str = "pulse", default_T: int = 100, presets_offered=presets.PRESETS,
             task: str | None = None, horizontal: bool = False) -> dict:
    """Input preset, sequence length, input seed and typed text. Returns plain values.

    ``task`` (a trained or uploaded model is loaded; see ``task_input_label``) adds the preset "task",
    shown under that label: a sample of the task the model was trained on (its length fixed by the task),
    or seeded noise on the inputs of a model with no known task.
    ``horizontal=True`` lays the widgets out in one row of columns.
    """
    if task:
        presets_offered, default_preset = ("task", *presets_offered), "task"
    labels = {**presets.PRESET_LABELS, "task": task or ""}
    a, b, c = _slots(3, horizontal) if not horizontal else st.columns([2, 3, 1], gap="medium")
    from_link = "w_input" not in st.session_state  # the first run of this input: its settings come from the link
    with a:
        preset = url_choice("input", "input", presets_offered, default_preset, labels=labels)
    text = presets.DEFAULT_TEXT
    with b:
        if preset == "text":
            # The box takes more than the model reads: the browser drops a paste longer than max_chars without a
            # word (and counts an emoji as two), so clean_text cuts it to UI_SEQ_LEN.hi and says so instead.
            typed = url_text("text (one character per timestep)", "text", presets.DEFAULT_TEXT, TEXT_BOX_CHARS)
            text, message = presets.clean_text(typed)
            if message:
                st.warning(message, icon="⚠️")
            T = len(text)
        elif preset == "task":
            T = 0  # set by the task
            if (asked := query_get("T")) is not None:  # left by another input, or a link's: not what is shown
                write_query(T=None)
                if from_link:
                    st.info(f"The link's `T={shorten(asked)}` does not apply: a sample of the model's task has the "
                            "task's own length. Choose another input to set T.", icon="ℹ️")
        else:
            T = url_slider("sequence length T", "T", limits.UI_SEQ_LEN, default_T)
    seed = 0
    with c:
        if preset in ("noise", "adding", "task"):
            seed = url_number("input seed", "iseed", presets.SEED, 0)
    return {"preset": preset, "T": T, "input_seed": seed, "text": text}


# ----------------------------------------------------------------------------
# cached computation


TASK_CHANNELS = {"adding": ["value", "marker"], "delayed_recall": ["value"]}  # input channel names of the toy tasks
UNKNOWN_TASK_T = 100  # steps of the noise fed to an uploaded model as its "task" input


def run_model(cell: str, hidden_size: int, seed: int, init_scale: float, preset: str, T: int,
              input_seed: int = 0, text: str = presets.DEFAULT_TEXT, weights: str = "random"):
    """Build the input and the model from plain values and run it. Returns (trace, channel_names).

    Random weights and shipped checkpoints are cached on these plain values, so
    moving a slider back shows the earlier picture instantly. A model trained or
    uploaded in this session is run uncached: its name is not unique across
    sessions (two students' "run 1" differ), and a run takes milliseconds.
    ``weights`` other than "random" must read as many input channels as the
    input has; preset "task" feeds it a sample of the task it was trained on.
    """
    if weights in session_models():
        from gru_viz import checkpoints

        loaded = checkpoints.LoadedModel(*session_models()[weights])
        return _run_model(cell, hidden_size, seed, init_scale, preset, T, input_seed, text, weights, loaded=loaded)
    return _run_model_cached(cell, hidden_size, seed, init_scale, preset, T, input_seed, text, weights)


@st.cache_data(max_entries=64, show_spinner=False)
def _run_model_cached(cell, hidden_size, seed, init_scale, preset, T, input_seed, text, weights):
    return _run_model(cell, hidden_size, seed, init_scale, preset, T, input_seed, text, weights)


def _run_model(cell, hidden_size, seed, init_scale, preset, T, input_seed, text, weights, loaded=None):
    if weights == "random":
        x, names = presets.build_input(preset, T, seed=input_seed, text=text)  # (T, D)
        model = presets.build_model(cell, x.shape[1], hidden_size, seed=seed, init_scale=init_scale)
    else:
        from gru_viz import checkpoints

        model, _, entry = loaded or checkpoints.load_checkpoint(weights)
        if preset == "task" and entry.get("task") is None:
            # an uploaded model has no task of its own: feed it seeded noise with as many channels as it reads
            x = tasks.noise(T if T > 0 else UNKNOWN_TASK_T, D=model.input_size, seed=input_seed)  # (T, D)
            return model.run(x), [f"x[{j + 1}] (noise)" for j in range(model.input_size)]
        if preset == "task":
            x = checkpoints.example_input(entry, seed=input_seed)[0]  # (T, D)
            names = TASK_CHANNELS.get(entry.get("task"), [f"x[{j + 1}]" for j in range(x.shape[1])])
        else:
            x, names = presets.build_input(preset, T, seed=input_seed, text=text)  # (T, D)
        if model.input_size != x.shape[1]:
            raise ValueError(
                f"checkpoint {weights!r} reads {model.input_size} input channels but the {preset!r} input has {x.shape[1]}"
            )
    return model.run(x), names


def in_parallel(calls: dict) -> dict:
    """name -> call() for every name, all started at once, each on its own thread.

    For independent heavy computations such as the Gradient Lab's three cells,
    which hand their work to worker processes (gru_viz.workers): the threads
    only wait for them, so every call gets one. Each thread gets this script
    run's context, so st.cache_data functions work in it as usual.
    """
    if len(calls) < 2:
        return {name: call() for name, call in calls.items()}
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    ctx = get_script_run_ctx()
    with ThreadPoolExecutor(len(calls), initializer=lambda: add_script_run_ctx(threading.current_thread(), ctx)) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        return {name: f.result() for name, f in futures.items()}


def plot(fig, caption: str, key: str, filename: str | None = None):
    """Show a figure full width with its one-line reading (``key``: its fixed place on the page).

    Goes through gru_viz.classroom.show_chart, so presentation mode scales the
    fonts and the caption doubles as the chart's text alternative.
    """
    from gru_viz import classroom

    return classroom.show_chart(fig, caption, key=key, filename=filename)


def finite_or_warn(trace) -> bool:
    """Warn on the page when a run exploded (NaN/inf); the figures still draw, marking those cells."""
    if trace.finite:
        return True
    st.warning("This run exploded: some numbers overflowed to infinity or NaN. They are marked ✕ in the heatmaps.", icon="💥")
    return False


def mean_block(values: np.ndarray, lo: int, hi: int) -> float:
    """Mean of a (T, H) array over steps lo..hi (1-based, inclusive), ignoring non-finite numbers."""
    block = values[lo - 1 : hi]
    block = block[np.isfinite(block)]
    return float(block.mean()) if block.size else math.nan
