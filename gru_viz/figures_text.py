"""Figures for the text view: the coloured text, unit rankings (HTML) and gate saturation (Plotly). No streamlit here.

The coloured text is drawn by a small Streamlit component
(gru_viz/components/coloured_text/index.html): one ``<span>`` per character,
its background the chosen unit's value at that character, the numbers in a
hover tip. :func:`text_payload` computes everything it shows (colours, text
colour, tips) as plain JSON, and the component puts the user's characters in
with ``textContent``, so nothing typed is ever read as HTML. This is fast: a
browser builds a few thousand spans from JSON in milliseconds, where a Plotly
heatmap with one SVG label per character took seconds, and HTML of the same
spans inserted with ``st.html`` spent most of its time in the sanitiser
(bench/bench_text.py). The ranking table is small HTML built with :func:`esc`
on every user-supplied string, shown with ``st.html``.

Colour scales follow gru_viz.figures and are interpolated the way Plotly does
(linearly in RGB between the scale's stops), so a character has the colour
its cell would have in any heatmap of the app: gates on the fixed [0, 1]
sequential scale, hidden states and tanh outputs on the fixed [-1, 1]
diverging scale; the LSTM cell state c is unbounded, so it gets a symmetric
range [-m, m] with m = max(1, max |c|), said next to the colour bar.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from gru_viz import corpus
from gru_viz.figures import (
    CELL_COLORS,
    GATE_COLORS,
    GATE_COLORSCALE,
    MARGIN_COLORBAR,
    STATE_COLORSCALE,
    _figure,
    base_layout_dict,
)

SIGNAL_LABELS = {
    "h": "hidden state h",
    "c": "cell state c",
    "reset": "reset gate r",
    "update": "update gate z (z = 1 keeps the old state)",
    "candidate": "candidate n",
    "input": "input gate i",
    "forget": "forget gate f (f = 1 keeps the old cell)",
    "output": "output gate o",
    "cell": "cell input g",
}
GATE_SIGNALS = ("reset", "update", "input", "forget", "output")  # sigmoid outputs in [0, 1]
MONO = "'DejaVu Sans Mono', Menlo, Consolas, monospace"
CSS = f"""<style>
.gv-rank {{ margin: 0.3rem 0 0.8rem 0; font-size: 1.0rem; }}
.gv-rank-title {{ font-weight: 700; font-size: 1.1rem; margin-bottom: 0.25rem; }}
.gv-rank table {{ border-collapse: collapse; width: 100%; }}
.gv-rank th {{ text-align: left; font-weight: 600; color: #555; font-size: 0.9rem; padding: 0.1rem 0.4rem; }}
.gv-rank td {{ padding: 0.12rem 0.4rem; white-space: nowrap; }}
.gv-rank td.gv-u {{ font-family: {MONO}; font-weight: 600; }}
.gv-rank td.gv-b {{ width: 40%; }}
.gv-rank td.gv-b div {{ height: 0.95rem; border-radius: 2px; }}
.gv-rank tr.sel td {{ background: #fff3c4; }}
.gv-rank .gv-note {{ color: #555; font-size: 0.9rem; margin-top: 0.2rem; }}
</style>"""


def signal_range(signal: str, values: np.ndarray) -> tuple[float, float]:
    """Colour range of a signal: [0, 1] for gates, [-1, 1] for h and tanh outputs, [-m, m] for c."""
    if signal in GATE_SIGNALS:
        return 0.0, 1.0
    if signal == "c":
        finite = values[np.isfinite(values)]
        m = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        return -m, m
    return -1.0, 1.0


def signal_scale(signal: str) -> list:
    """The colour scale of a signal: sequential for gates, diverging for everything else."""
    return GATE_COLORSCALE if signal in GATE_SIGNALS else STATE_COLORSCALE


def esc(s: str) -> str:
    """Escape text for HTML element text and double-quoted attribute values (and Plotly's HTML subset):
    & < > " become entities, so no tag or attribute can form; nothing else changes."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _stops(scale: list) -> tuple[np.ndarray, np.ndarray]:
    """A Plotly colour scale [[position, colour], ...] -> (K,) positions, (K, 3) RGB in 0..255."""
    pos = np.array([float(p) for p, _ in scale])
    rgb = plotly.colors.convert_colors_to_same_type([c for _, c in scale], colortype="tuple")[0]
    return pos, np.array(rgb, dtype=np.float64) * 255


def colours(values: np.ndarray, scale: list, lo: float, hi: float) -> np.ndarray:
    """(T,) values -> (T, 3) RGB in 0..255: linear between the scale's stops, clipped to [lo, hi], NaN rows
    where a value is not finite."""
    v = np.asarray(values, dtype=np.float64)
    pos, rgb = _stops(scale)
    f = np.clip((v - lo) / (hi - lo), 0.0, 1.0)  # (T,) position on the scale
    out = np.stack([np.interp(f, pos, rgb[:, k]) for k in range(3)], axis=1)  # (T, 3)
    out[~np.isfinite(v)] = np.nan
    return out


def _hex(rgb: np.ndarray) -> list[str]:
    """(T, 3) RGB -> (T,) '#rrggbb' ('' for a NaN row)."""
    ok = np.isfinite(rgb).all(axis=1)
    q = np.rint(np.nan_to_num(rgb)).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" if k else "" for (r, g, b), k in zip(q.tolist(), ok.tolist(), strict=True)]


def _dark(rgb: np.ndarray) -> np.ndarray:
    """(T, 3) -> (T,) True where white text reads better than black (relative luminance < 0.4)."""
    lin = (rgb / 255) ** 2.2  # close enough to sRGB's curve for picking a text colour
    return (lin @ np.array([0.2126, 0.7152, 0.0722])) < 0.18


def _shown(ch: str) -> str:
    """What a character looks like in the coloured text: ↵ for a newline, the UNK symbol for anything unknown."""
    return "↵" if ch == "\n" else ch if ch in corpus.VOCAB else corpus.UNK


def _name(ch: str) -> str:
    """A character as a hover tip shows it (unescaped): ␣ for a space, ↵ for a newline, � for anything unknown."""
    return {"\n": "↵", " ": "␣"}.get(ch, ch if ch in corpus.VOCAB else corpus.UNK)


_NEXT = [_name(ch) for ch in corpus.VOCAB]  # (V,) names of the vocabulary, for the tips


def _lines(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(T,) 0-based line and (T,) 0-based column of every character (a newline ends its line)."""
    newline = np.array([ch == "\n" for ch in text], dtype=bool)
    line = np.cumsum(newline) - newline
    starts = np.concatenate([[0], np.nonzero(newline)[0] + 1])  # (lines,) index of each line's first character
    return line, np.arange(len(text)) - starts[line]


def position_notes(text: str, top_ids: np.ndarray | None = None, top_p: np.ndarray | None = None,
                   unknown: np.ndarray | None = None) -> list[str]:
    """(T,) hover lines that do not depend on the unit (plain text): the character, its position and line,
    and the model's likeliest next characters (k = top_ids.shape[1]). Build once per text and model, then
    pass to :func:`text_payload` for any unit."""
    line = (_lines(text)[0] + 1).tolist()  # (T,) 1-based
    out = [f"{_name(ch)}   char {i}, line {n}" for i, (ch, n) in enumerate(zip(text, line, strict=True))]
    if unknown is not None:
        flag = "\nnot in the vocabulary: read as the unknown symbol"
        out = [s + flag if u else s for s, u in zip(out, unknown, strict=True)]
    if top_ids is not None:
        pct = np.rint(np.asarray(top_p) * 100).astype(int).tolist()  # (T, k) whole percent
        out = [s + "\nnext: " + "  ".join(f"{_NEXT[k]} {p}%" for k, p in zip(ids, ps, strict=True))
               for s, ids, ps in zip(out, np.asarray(top_ids).tolist(), pct, strict=True)]
    return out


def _num(x: float) -> str:
    """A colour-bar end as a teacher would write it: 0, 1, −1, 2.35."""
    return f"{x:.2f}".rstrip("0").rstrip(".").replace("-", "−")


def gradient_css(signal: str) -> str:
    """The signal's colour scale as a CSS linear-gradient, for the colour bar above the text."""
    pos, rgb = _stops(signal_scale(signal))
    stops = ", ".join(f"rgb({r:.0f},{g:.0f},{b:.0f}) {100 * p:.1f}%" for p, (r, g, b) in zip(pos, rgb, strict=True))
    return f"linear-gradient(to right, {stops})"


def text_payload(text: str, values: np.ndarray, signal: str, title: str = "", label: str = "value",
                 notes: list[str] | None = None, unknown: np.ndarray | None = None, marked: np.ndarray | None = None,
                 zrange: tuple[float, float] | None = None, kind: str = "") -> dict:
    """Everything the coloured-text component (gru_viz/components/coloured_text) draws, as plain JSON.

    ``values[i]`` is the unit's value right after reading character i (the
    Trace's row i): ``bg[i]`` is its colour ('' if not finite), ``tips[i]``
    the hover text (``label = value`` and ``notes[i]`` from
    :func:`position_notes`). ``chars`` has one UTF-16 unit per character
    (newline as ↵, anything outside the vocabulary as the UNK symbol);
    ``dark``/``unknown``/``marked`` are strings of 0/1 per character: white
    text, an orange outline (read as UNK), an underline (e.g. inside the
    pattern being ranked). The component sets all text with ``textContent``,
    so nothing here is ever read as HTML.
    """
    values = np.asarray(values, dtype=np.float64)
    T = len(text)
    if values.shape != (T,):
        raise ValueError(f"need one value per character: text has {T}, values have shape {values.shape}")
    if T == 0:
        raise ValueError("the text is empty: nothing to draw")
    for name, a in (("notes", notes), ("unknown", unknown), ("marked", marked)):
        if a is not None and len(a) != T:
            raise ValueError(f"{name} needs one entry per character: text has {T}, {name} has {len(a)}")
    lo, hi = zrange or signal_range(signal, values)
    rgb = colours(values, signal_scale(signal), lo, hi)  # (T, 3)

    def flags(m) -> str:
        return "".join("1" if f else "0" for f in m) if m is not None else "0" * T

    tips = [f"{label} = {v:+.4f}" if np.isfinite(v) else f"{label} = {v} (not finite: uncoloured)" for v in values.tolist()]
    if notes is not None:
        tips = [f"{t}\n{n}" for t, n in zip(tips, notes, strict=True)]
    return {
        "kind": kind, "title": title, "lo": _num(lo), "hi": _num(hi) + (" (largest |c|)" if signal == "c" and hi > 1 else ""),
        "gradient": gradient_css(signal), "chars": "".join(_shown(ch) for ch in text), "bg": _hex(rgb),
        "dark": flags(_dark(np.nan_to_num(rgb, nan=255.0))), "unknown": flags(unknown), "marked": flags(marked), "tips": tips,
    }


def score_text(e: dict) -> str:
    """One ranking entry in words: 'AUC 0.08, lower inside' or 'r = +0.61'."""
    if e["auc"] is not None:
        return f"AUC {e['auc']:.2f}, " + ("higher inside" if e["sign"] > 0 else "lower inside")
    return f"r = {e['corr']:+.2f}"


def ranking_html(kind: str, ranked: list[dict], pattern_label: str, shown: int | None = None, top: int = 8) -> str:
    """The best units of one model for a pattern as an HTML list: bar = strength (|AUC − 0.5|·2 or |r|), then
    the signed number and its direction in words; the row of the unit on show is highlighted.

    A unit that goes *down* inside the pattern (AUC near 0, r < 0) is as
    informative as one that goes up, so rows are ranked by strength and the
    bars of "lower inside" units are hatched.
    """
    colour = CELL_COLORS.get(kind, "#555")
    rows = []
    for e in ranked[:top]:
        w = 100 * min(max(float(e["score"]), 0.0), 1.0) if np.isfinite(e["score"]) else 0.0
        fill = colour if e["sign"] > 0 else f"repeating-linear-gradient(135deg, {colour} 0 5px, #fff 5px 8px)"
        sel = ' class="sel"' if e["unit"] == shown else ""
        rows.append(f'<tr{sel}><td class="gv-u">{esc(str(e.get("signal", "h")))}[{e["unit"]}]</td><td class="gv-b">'
                    f'<div style="width:{w:.0f}%;background:{fill}"></div></td><td>{e["score"]:.2f}</td>'
                    f'<td>{esc(score_text(e))} {"↑" if e["sign"] > 0 else "↓"}</td></tr>')
    what = ("strength = |AUC − 0.5|·2: 0 = chance, 1 = one threshold separates inside from outside perfectly "
            "(either way round)" if ranked and ranked[0]["auc"] is not None else "strength = |r| (Pearson correlation)")
    return (f'{CSS}<div class="gv-rank"><div class="gv-rank-title">{esc(kind)}: best units for “{esc(pattern_label)}” '
            f'in this text</div><table><tr><th>unit</th><th>strength</th><th></th><th>measured</th></tr>{"".join(rows)}'
            f'</table><div class="gv-note">{what}</div></div>')


def saturation_figure(stats: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]) -> go.Figure:
    """Karpathy et al. (2015) Fig. 3: per gate unit, fraction of time < 0.1 (x) vs > 0.9 (y); one panel per model.

    Built to survive presentation mode's 1.45x fonts on a 1280 px screen: a two-line title, short axis titles
    ("time < 0.1 (shut)"), quarter ticks and a wide gap between the panels, margins that hold the larger text.
    """
    kinds = list(stats)
    n = max(len(kinds), 1)
    layout = base_layout_dict("gate saturation: how often each unit is<br>nearly shut (< 0.1) or wide open (> 0.9)", 520)
    layout["margin"] = dict(l=100, r=180, t=120, b=90)  # r: the legend, right of the panels
    layout["annotations"] = []
    data = []
    for j, kind in enumerate(kinds):
        ax = "" if j == 0 else str(j + 1)
        lo, hi = j / n + (0.06 if j else 0), (j + 1) / n - (0.06 if j + 1 < n else 0)
        layout[f"xaxis{ax}"] = dict(domain=[lo, hi], anchor=f"y{ax}", range=[-0.02, 1.02], tickformat=".0%", dtick=0.25,
                                    title=dict(text="time < 0.1 (shut)"))
        layout[f"yaxis{ax}"] = dict(range=[-0.02, 1.02], anchor=f"x{ax}", tickformat=".0%", dtick=0.25,
                                    matches="y" if j else None, showticklabels=j == 0,
                                    title=dict(text="time > 0.9 (wide open)") if j == 0 else None)
        layout["annotations"].append(dict(text=f"{esc(kind)} gates", xref="paper", yref="paper", x=(lo + hi) / 2, y=1.0,
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16)))
        for gate, (left, right) in stats[kind].items():
            data.append(dict(
                type="scatter", xaxis=f"x{ax}", yaxis=f"y{ax}", x=np.asarray(left), y=np.asarray(right), mode="markers",
                name=f"{esc(kind)} {esc(gate)}", legendgroup=esc(kind), customdata=np.arange(len(left)),
                marker=dict(color=GATE_COLORS.get(gate, "#555"), size=9, opacity=0.75, line=dict(width=0.5, color="white")),
                hovertemplate=f"{esc(gate)} unit %{{customdata}}<br>&lt; 0.1: %{{x:.0%}} of the time<br>"
                              "&gt; 0.9: %{y:.0%}<extra></extra>"))
        data.append(dict(type="scatter", xaxis=f"x{ax}", yaxis=f"y{ax}", x=[0, 1], y=[1, 0], mode="lines", hoverinfo="skip",
                         showlegend=False, line=dict(color="#999", dash="dot", width=1)))
    return _figure(data, layout)


def _plotly_text(s: str) -> str:
    """Text for Plotly's HTML-like labels: & < > as entities, so nothing typed can form a tag. (Plotly decodes
    &amp; &lt; &gt; but not &quot;, so a quote stays as it is: it cannot open a tag in element text.)"""
    return html.escape(s, quote=False)


MAX_GRID_CHARS = 2000  # text_grid_figure writes one SVG label per character: fine for a snippet, slow beyond


def text_grid_figure(text: str, values: np.ndarray, signal: str, title: str = "", label: str = "value",
                     marked: np.ndarray | None = None) -> go.Figure:
    """A short text as a Plotly grid: row = line, column = position in the line, each character written in a
    cell coloured by ``values[i]`` (T,) on the signal's fixed scale; ``marked`` (T,) bool characters get a
    black bar underneath (e.g. inside the pattern a unit was ranked on).

    For lessons and their offline export (a plain Plotly figure); the text view draws long texts with its
    component instead (one SVG label per character gets slow past a few thousand).
    """
    values = np.asarray(values, dtype=np.float64)
    T = len(text)
    if T == 0:
        raise ValueError("the text is empty: nothing to draw")
    if T > MAX_GRID_CHARS:
        raise ValueError(f"text_grid_figure draws at most {MAX_GRID_CHARS} characters, got {T}")
    if values.shape != (T,):
        raise ValueError(f"need one value per character: text has {T}, values have shape {values.shape}")
    row, col = _lines(text)  # (T,) line and position in the line of each character
    R, C = int(row[-1]) + 1, int(col.max()) + 1
    z = np.full((R, C), np.nan)  # (lines, longest line) cells past a line's end stay blank
    z[row, col] = np.where(np.isfinite(values), values, np.nan)
    chars = np.full((R, C), "", dtype=object)
    chars[row, col] = [_plotly_text(_shown(ch)) for ch in text]
    tips = np.full((R, C), "", dtype=object)
    tips[row, col] = [f"line {r + 1}, column {c + 1}: {_plotly_text(_name(ch))}<br>{_plotly_text(label)} = {v:+.4f}"
                      for ch, r, c, v in zip(text, row.tolist(), col.tolist(), values.tolist(), strict=True)]
    lo, hi = signal_range(signal, values)
    data = [dict(type="heatmap", z=z, zmin=lo, zmax=hi, colorscale=signal_scale(signal), text=chars, texttemplate="%{text}",
                 textfont=dict(family=MONO, size=20), customdata=tips, hovertemplate="%{customdata}<extra></extra>",
                 hoverongaps=False, xgap=1, ygap=1, colorbar=dict(title=dict(text=_plotly_text(label)), thickness=18))]
    if marked is not None:
        m = np.asarray(marked, dtype=bool)
        if m.shape != (T,):
            raise ValueError(f"marked needs one entry per character: text has {T}, marked has shape {m.shape}")
        data.append(dict(type="scatter", x=col[m], y=row[m] + 0.42, mode="markers", hoverinfo="skip", name="pattern",
                         showlegend=False, marker=dict(symbol="line-ew", size=14, line=dict(width=3, color="#111"))))
    layout = base_layout_dict(_plotly_text(title) if title else None, height=90 + 40 * R + (40 if title else 0))
    layout["xaxis"] = dict(visible=False, range=[-0.5, C - 0.5])
    layout["yaxis"] = dict(visible=False, range=[R - 0.5, -0.5])  # line 1 on top
    layout["margin"] = dict(l=10, r=MARGIN_COLORBAR, t=60 if title else 10, b=10)
    return _figure(data, layout)
