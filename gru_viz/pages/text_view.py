"""Gates on text: a character-level GRU and LSTM read Python code, every character coloured by one unit.

Controls (text, pattern) -> cached NumPy runs of the shipped models -> one
fragment per model (signal, unit, coloured text, ranking), so choosing another
unit or gate reruns only that model's fragment and never the models: the runs
are cached per (model, text). Every setting is in the URL (ui.url_*), typed
text too while it is at most URL_TEXT_CHARS long, so a copied link reopens the
same picture. The coloured text is drawn by the component in
gru_viz/components/coloured_text from figures_text.text_payload's JSON; it puts
the user's characters in with textContent (never as HTML). The ranking table
is escaped HTML shown with st.html (sanitised; no unsafe_allow_html).
"""

import json

import numpy as np
import streamlit as st

from gru_viz import classroom, corpus, interpret, limits, text_models, ui
from gru_viz import figures_text as ft
from gru_viz.components import coloured_text

KINDS = ("GRU", "LSTM")
MAX_CHARS = limits.UI_TEXT_CHARS.hi  # longest text the page reads (longer: cut, with a warning)
URL_TEXT_CHARS = 2000  # typed text up to this long is kept in the link (a few KB of URL: fine in any browser)
TOP_K = 5  # next-character predictions shown per position (in the table)
HOVER_K = 3  # ... and in each character's hover tip
SNIPPET = interpret.SNIPPET  # the page's first sample: a snippet that is not in the corpus
OWN = "✏️ my own text (type or paste below)"
PATTERN_NONE, PATTERN_SPAN = "none", "span"
MEMORY = ui.page_memory("text")  # back from another page, the text and every setting are put back as they were


# ----------------------------------------------------------------------------
# cached computation (no math here: it all lives in text_models and interpret)


@st.cache_resource(show_spinner=False)
def load_models() -> dict:
    return {k: text_models.load_shipped(k) for k in KINDS}


@st.cache_data(show_spinner=False)
def load_manifest() -> dict:
    return text_models.manifest()


@st.cache_data(show_spinner=False)
def load_gallery() -> dict:
    path = text_models.CHECKPOINT_DIR / "gallery.json"
    return json.loads(path.read_text()) if path.is_file() else {}


@st.cache_data(show_spinner=False)
def samples() -> dict[str, str]:
    out = {"A Python snippet (not from the corpus)": SNIPPET}
    held_out = text_models.held_out_text()
    for p in load_manifest()["corpus"].get("test_pieces", []):
        out[f"held-out code: {p['file']}"] = held_out[p["start"] : p["end"]]
    out["the whole held-out test text"] = held_out[:MAX_CHARS]
    return out


@st.cache_resource(max_entries=8, show_spinner=False)  # shared, never copied: the arrays are only read
def read(kind: str, text: str) -> dict:
    """Run one shipped model over the text: signals (T, H) each, top-k next characters, hover notes, unknown flags."""
    run = load_models()[kind].read(text)
    top_ids, top_p = run.top_k(TOP_K)
    return {"signals": interpret.signals(run.trace), "top_ids": top_ids, "top_p": top_p, "unknown": run.unknown,
            "bits": run.bits(), "notes": ft.position_notes(text, top_ids[:, :HOVER_K], top_p[:, :HOVER_K], run.unknown)}


@st.cache_data(max_entries=32, show_spinner=False)
def labels(text: str):
    return interpret.patterns(text)


@st.cache_data(max_entries=64, show_spinner=False)
def ranking(kind: str, text: str, signal: str, pattern: str, span: tuple[int, int] | None) -> list[dict]:
    values = read(kind, text)["signals"][signal]
    if pattern == PATTERN_SPAN:
        return interpret.rank_units(values, interpret.span_pattern(len(text), *span), binary=True)
    return interpret.rank_units(values, labels(text)[0][pattern], interpret.PATTERNS[pattern][1])


def pattern_mask(text: str, pattern: str, span) -> np.ndarray | None:
    """(T,) bool: the characters a yes/no pattern (or the span) marks; None for graded patterns and "none"."""
    if pattern == PATTERN_SPAN:
        return interpret.span_pattern(len(text), *span) > 0.5
    if pattern in interpret.PATTERNS and interpret.PATTERNS[pattern][1]:
        return labels(text)[0][pattern] > 0.5
    return None


def one_sided(mask: np.ndarray | None) -> bool:
    """True when a yes/no pattern marks every character of the text or none: no unit can be ranked for it."""
    return mask is not None and (bool(mask.all()) or not mask.any())


def pattern_label(pattern: str) -> str:
    return "the selected span" if pattern == PATTERN_SPAN else interpret.PATTERNS[pattern][0]


@st.cache_data(max_entries=1, show_spinner=False)
def held_out_saturation() -> dict:
    """saturation() of the held-out text as `python -m gru_viz.interpret` stored it in gallery.json (tests check it
    against the models), so the page need not read 14 k characters twice on its first visit; computed if absent."""
    try:
        return {kind: {g: (np.array(v["left"]), np.array(v["right"]))
                       for g, v in load_gallery()["models"][kind]["saturation_per_unit"].items()} for kind in KINDS}
    except (KeyError, TypeError):
        return saturation(text_models.held_out_text())


@st.cache_data(max_entries=16, show_spinner=False)
def saturation(text: str) -> dict:
    out = {}
    for kind in KINDS:
        sig = read(kind, text)["signals"]
        out[kind] = {g: interpret.saturation(sig[g]) for g in ft.GATE_SIGNALS if g in sig}
    return out


# ----------------------------------------------------------------------------
# controls


def _fill_text():
    choice = st.session_state["w_sample"]
    if choice != OWN:
        st.session_state["text"] = samples()[choice]


def _mark_own():
    st.session_state["w_sample"] = OWN


def text_ui() -> str:
    """Sample picker + editable text area; returns the text (cut to MAX_CHARS with a warning).

    Own text goes into the URL as ?text=... (read back only with sample = own text, the default
    when a link has a text); past URL_TEXT_CHARS it is left out of the link, and the page says so.
    """
    options = [*samples(), OWN]
    if ui.query_get("sample") is None:  # a link's text or sample wins over the one typed before a visit elsewhere
        ui.restore(MEMORY, "text", "text")
        ui.restore(MEMORY, "w_sample", "text")
    choice = ui.url_choice("Text", "sample", options, OWN if ui.query_get("text") is not None else options[0],
                           on_change=_fill_text, help="A sample fills the box below; edit it or paste anything.")
    if "text" not in st.session_state:
        own = ui.query_text("text", SNIPPET, MAX_CHARS) if choice == OWN else None
        st.session_state["text"] = own if own is not None else samples().get(choice, SNIPPET)
    text = st.text_area("Type or paste text (Python code reads best: the models learned from the standard library)",
                        key="text", height=180, on_change=_mark_own)
    ui.write_query(text=text if choice == OWN and len(text) <= URL_TEXT_CHARS else None)
    ui.remember(MEMORY, ["text", "w_sample"])
    if choice == OWN and len(text) > URL_TEXT_CHARS:
        st.caption(f"This text ({len(text):,} characters) is too long to keep in the link (at most "
                   f"{URL_TEXT_CHARS:,}): a copy of the address opens the page with the sample snippet instead.")
    text = corpus.normalise(text)
    if len(text) > MAX_CHARS:
        st.warning(f"The text has {len(text):,} characters; only the first {MAX_CHARS:,} are read, so the page stays live.")
        text = text[:MAX_CHARS]
    return text


def find_ui(text: str) -> tuple[str, tuple[int, int] | None]:
    """Pattern picker; for a span, a range slider over character positions."""
    names = [PATTERN_NONE, *interpret.PATTERNS, PATTERN_SPAN]
    shown = {PATTERN_NONE: "— none: I pick units myself —", PATTERN_SPAN: "a span I select (characters from … to …)",
             **{k: v[0] for k, v in interpret.PATTERNS.items()}}
    ui.restore(MEMORY, "w_pattern", "pattern")
    pattern = ui.url_choice("Find units that track …", "pattern", names, "string", labels=shown,
                            help="Ranks all 128 units of each model by how well they follow the pattern "
                            "(ROC AUC for yes/no patterns, correlation for graded ones) and colours the text by the best one.")
    span, T = None, len(text)
    if pattern == PATTERN_SPAN:
        if T < 2:
            st.warning("A span needs a text of at least two characters.")
            return PATTERN_NONE, None
        key = ui.restore(MEMORY, f"span_{T}", "span")  # a new text (length) starts a new span
        if key not in st.session_state:
            st.session_state[key] = span_from_link(T) or (0, min(T, max(1, T // 4)))
        a, b = st.slider("span (character positions)", 0, T, key=key)
        span = (a, max(b, a + 1))
        st.caption(f"selected: `{text[span[0] : span[1]][:200]!r}`")
        ui.remember(MEMORY, [key])
    ui.write_query(span=f"{span[0]}-{span[1]}" if span else None)
    ui.remember(MEMORY, ["w_pattern"])
    return pattern, span


def span_from_link(T: int) -> tuple[int, int] | None:
    """The link's span=a-b (character positions, 0 <= a < b <= T), or None with a warning when it does not fit."""
    raw = ui.query_get("span")
    if raw is None:
        return None
    a, _, b = raw.partition("-")
    lo, hi = ui.parse_int(a), ui.parse_int(b)  # ASCII digits only: int() reads '²' and then fails
    if lo is not None and hi is not None and 0 <= lo < hi <= T:
        return lo, hi
    ui.warn_ignored("span", raw, f"it must be two character positions a-b with 0 <= a < b <= {T}", "the first quarter")
    return None


def gallery_string_unit(kind: str) -> dict:
    """The shipped gallery's best "inside a string" unit of a model ({"signal", "unit", "auc", ...} or {})."""
    return load_gallery().get("models", {}).get(kind, {}).get("patterns", {}).get("string", [{}])[0]


def signal_ui(kind: str, signals: list[str]) -> str:
    """Which signal to colour by (in the URL as ?gru_signal=...); starts at the gallery's string unit's signal
    (h for the GRU, c for the LSTM)."""
    start = gallery_string_unit(kind).get("signal", "h")
    key = f"{kind.lower()}_signal"
    ui.restore(MEMORY, f"w_{key}", key)
    signal = ui.url_choice(f"{kind}: colour by", key, signals, start if start in signals else signals[0],
                           labels=ft.SIGNAL_LABELS)
    ui.remember(MEMORY, [f"w_{key}"])
    return signal


def unit_ui(kind: str, default: int, ranked_on: str) -> int:
    """The unit to show (in the URL as ?gru_unit=...). When what the units are ranked on changes (``ranked_on``:
    signal, pattern, span, text), it starts again at ``default``, that ranking's best unit; a link's unit is kept."""
    key, seen = f"{kind.lower()}_unit", f"ranked_on_{kind}"
    if st.session_state.get(seen, ranked_on) != ranked_on:
        st.session_state.pop(f"w_{key}", None)
        ui.write_query(**{key: None})
    else:
        ui.restore(MEMORY, f"w_{key}", key)
    st.session_state[seen] = ranked_on
    H = load_models()[kind].hidden_size
    unit = ui.url_number(f"{kind} unit", key, limits.Bound(f"{kind} unit", 0, H - 1), default,
                         help="Which of the units to show (numbered from 0).")
    ui.remember(MEMORY, [f"w_{key}"])
    return unit


def ranked_or_error(kind: str, text: str, signal: str, pattern: str, span) -> tuple[list[dict], str | None]:
    if pattern == PATTERN_NONE:
        return [], None
    try:
        return ranking(kind, text, signal, pattern, span), None
    except ValueError as e:
        return [], str(e)


# ----------------------------------------------------------------------------
# one model's view (a fragment: a new unit or gate reruns only this)


def strength_word(score: float) -> str:
    """A rough reading of a ranking score for newcomers (|AUC − 0.5|·2 or |r|)."""
    return "strong" if score >= 0.8 else "moderate" if score >= 0.5 else "weak"


def ranked_caption(kind: str, ranked: list[dict], unit: int, plabel: str) -> str:
    """Where the shown unit stands in the ranking, with the direction spelled out."""
    best = ranked[0]
    pos = next((i for i, e in enumerate(ranked) if e["unit"] == unit), None)
    s = (f"**{kind} best for “{plabel}”: {best['signal']}[{best['unit']}]**, {ft.score_text(best)} "
         f"(strength {best['score']:.2f}: {strength_word(best['score'])})")
    if pos is not None and pos > 0:
        e = ranked[pos]
        s += f". Shown: unit {unit}, rank {pos + 1} of {len(ranked)}, {ft.score_text(e)} (strength {e['score']:.2f})"
    if best["auc"] is not None and best["sign"] < 0:
        s += (". *Lower inside* counts as much as higher (AUC 0.1 separates as well as 0.9): look for the characters at "
              "the low end of the colour bar")
    return s + "."


@ui.fragment
def model_view(kind: str, text: str, pattern: str, span, underline: bool) -> None:
    r = read(kind, text)  # cached: a new unit or gate never re-runs the model
    c1, c2 = st.columns([3, 2])
    with c1:
        signal = signal_ui(kind, [s for s in ("h", "c", *ft.GATE_SIGNALS, "candidate", "cell") if s in r["signals"]])
    ranked, err = ranked_or_error(kind, text, signal, pattern, span)
    if ranked:
        default = ranked[0]["unit"]
    else:  # no pattern: start from the gallery's string unit
        g = gallery_string_unit(kind)
        default = g.get("unit", 0) if g.get("signal") == signal else 0
    with c2:
        unit = unit_ui(kind, default, f"{signal}_{pattern}_{span}_{hash(text) if ranked else ''}")
    values = r["signals"][signal][:, unit]  # (T,) the unit's value after each character
    mask = pattern_mask(text, pattern, span)
    marked = mask if underline and not err else None
    coloured_text(**ft.text_payload(text, values, signal, title=f"{kind}: {ft.SIGNAL_LABELS[signal]}, unit {unit}",
                                    label=f"{signal}[{unit}]", notes=r["notes"], unknown=r["unknown"], marked=marked,
                                    kind=kind), scale=1.45 if classroom.is_presenting() else 1.0,  # as the charts
                  key=f"coloured_{kind}", default=None)
    if len(text) > 1:
        st.caption(f"{kind} reads this text at {float(r['bits'].mean()):.2f} bits per character "
                   f"(held-out test text: {load_manifest()['models'][kind]['test_bpc']:.2f}).")
    if err and not one_sided(mask):  # one-sided: said once, under the text box
        st.warning(f"Cannot rank units for this pattern here: {err}")
    elif ranked:
        plabel = pattern_label(pattern)
        ranked = [{**e, "signal": signal} for e in ranked]
        st.markdown(ranked_caption(kind, ranked, unit, plabel))
        st.html(ft.ranking_html(kind, ranked, plabel, shown=unit))


@ui.fragment
def predictions_view(text: str) -> None:
    bound = limits.Bound("position", 0, len(text) - 1)
    ui.restore(MEMORY, "w_pos", "pos")
    if "w_pos" in st.session_state:
        st.session_state["w_pos"] = bound.clip(st.session_state["w_pos"])  # the text may have become shorter
    pos = ui.url_number("position (0 = first character)", "pos", bound, min(len(text) - 1, 10))
    ui.remember(MEMORY, ["w_pos"])
    st.write(f"After reading `{text[max(0, pos - 20) : pos + 1]!r}`, the models expect:")
    pc = st.columns(2)
    for c, kind in zip(pc, KINDS, strict=True):
        r = read(kind, text)
        rows = "".join(f"| `{corpus.VOCAB[i]!r}` | {p:.1%} |\n" for i, p in zip(r["top_ids"][pos], r["top_p"][pos], strict=True))
        c.markdown(f"**{kind}**\n\n| next | probability |\n|---|---|\n{rows}")  # a table: lighter than st.dataframe


@ui.fragment
def saturation_view(text: str) -> None:
    # the held-out text by default: 14 k characters give steadier fractions than a snippet, and the chart
    # then stays as it is while the text above is edited
    ui.restore(MEMORY, "w_sat_mine", "sat_mine")
    mine = ui.url_toggle("measure on the text above instead of the held-out test text (14 k characters)", "sat_mine", False)
    ui.remember(MEMORY, ["w_sat_mine"])
    stats = saturation(text) if mine else held_out_saturation()
    classroom.show_chart(ft.saturation_figure(stats), None, key="saturation", filename="saturation")


# ----------------------------------------------------------------------------
# the page

st.title("📝 Gates on text")
st.caption(
    "A character-level GRU and LSTM (128 units each) trained on Python's own standard library read your text one "
    "character at a time. Each character is coloured by one unit's value right after reading it; hover (or Tab to "
    "the text and use the arrow keys) for the numbers and the model's guesses for the next character. Look for units "
    "that light up inside strings, comments or brackets."
)

try:
    load_models()
    manifest = load_manifest()
except ValueError as e:
    st.error(f"The trained text models are missing or unreadable: {e}")
    st.stop()

text = text_ui()
about_text = st.container()  # messages about the text, right under its box
# the pattern widgets come before any st.stop(): a widget left out of a run loses its value (and the URL its setting)
pattern, span = find_ui(text)
ui.restore(MEMORY, "w_underline", "underline")
underline = pattern != PATTERN_NONE and (pattern == PATTERN_SPAN or interpret.PATTERNS[pattern][1]) and ui.url_toggle(
    "underline the characters the pattern marks", "underline", True,
    help="So you can check a unit against the pattern: a good unit changes colour exactly where the underline is.")
ui.remember(MEMORY, ["w_underline"])
if not text:
    about_text.info("The text is empty: type or paste some text (at least one character), or pick a sample above.")
    # the views below are not drawn now, and the browser forgets their widgets; forget them here as well, so that
    # the next text sets them again from the URL (else the browser shows their defaults, and sends those back)
    for key in [f"w_{kind.lower()}_{w}" for kind in KINDS for w in ("signal", "unit")] + ["w_pos", "w_sat_mine"]:
        st.session_state.pop(key, None)
    st.stop()

unknown = read("GRU", text)["unknown"]
if unknown.any():
    odd = sorted({ch for ch, u in zip(text, unknown, strict=True) if u})
    shown = ", ".join(repr(ch) for ch in odd[:12]) + (" …" if len(odd) > 12 else "")
    about_text.warning(f"{int(unknown.sum())} character(s) are not in the models' vocabulary ({shown}); they are read "
                       f"as the unknown symbol {corpus.UNK} and outlined in orange.")

mask = pattern_mask(text, pattern, span)
if one_sided(mask):  # the same for both models: said once, here
    about_text.info(f"Units cannot be ranked for “{pattern_label(pattern)}” in this text: "
                    f"{'every character' if mask.all() else 'no character'} of it matches. The ranking compares the "
                    "characters that match with those that do not, so the text needs some of each.")

for col, kind in zip(st.columns(2, gap="large"), KINDS, strict=True):
    with col:
        model_view(kind, text, pattern, span, underline)

with st.expander("Next-character predictions at one position"):
    predictions_view(text)

st.subheader("Gate saturation")
saturation_view(text)
st.caption("One dot per gate unit (Karpathy, Johnson & Fei-Fei 2015, Fig. 3). Dots near the top-left edge are "
           "gates that are almost always wide open, near the bottom-right almost always shut; dots near the dotted "
           "diagonal act as switches, rarely in between. For the GRU's update gate z, open (z = 1) KEEPS the old state.")

with st.expander("About the models and the corpus"):
    b = manifest["baselines"]
    rows = [{"model": k, "held-out bits per character": round(m["test_bpc"], 3), "training steps": m["steps_done_total"],
             "CPU time (s)": m["cpu_time_s_total"], "parameters": m["n_params"]} for k, m in manifest["models"].items()]
    rows.append({"model": f"{b['ngram']['order']}-gram (add-{b['ngram']['k']:g})", "held-out bits per character": round(
        b["ngram"]["test_bpc"], 3)})
    rows.append({"model": "unigram", "held-out bits per character": round(b["unigram"]["test_bpc"], 3)})
    st.dataframe(rows, hide_index=True)
    st.markdown(
        f"Trained by `python -m gru_viz.text_training` on {manifest['corpus']['train_chars']:,} characters of "
        f"{len(manifest['corpus']['train_files'])} standard-library files (PSF License); scored on "
        f"{manifest['corpus']['test_chars']:,} characters of {len(manifest['corpus']['test_files'])} other files. "
        f"Vocabulary: {corpus.V} symbols (newline, printable ASCII, and {corpus.UNK} for anything else)."
    )
