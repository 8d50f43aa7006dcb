"""Finding interpretable units: patterns in code, unit ranking, gate saturation.

Karpathy, Johnson & Fei-Fei (2015, "Visualizing and Understanding Recurrent
Networks") found single character-level LSTM cells that track quotes,
brackets and line length; Strobelt et al. (LSTMVis, 2018) search hidden states
for a selected pattern. Here, for a text of T characters:

* :func:`patterns` labels every character: inside a string, inside a string
  literal in code (NaN = not scored on docstrings and comments, so prose does
  not count), inside a comment, inside brackets, bracket depth, indentation of
  its line, position in line;
* :func:`rank_units` scores each of H units by how well its activation
  (T, H) tracks a pattern (T,): the area under the ROC curve for a yes/no
  pattern (AUC = 1 or 0: the unit separates the two sets perfectly; 0.5:
  chance), Pearson correlation for a graded one;
* :func:`saturation` gives, per gate unit, the fraction of time it is
  left-saturated (< 0.1) or right-saturated (> 0.9), as in Karpathy et al.'s
  Figure 3.

``python -m gru_viz.interpret`` writes checkpoints/text/gallery.json: the best
units of the shipped GRU and LSTM for each pattern on the held-out text.
"""

from __future__ import annotations

import io
import json
import tokenize

import numpy as np

from gru_viz._blas import single_thread

# name -> (label shown in the UI, binary?)
PATTERNS = {
    "string": ("inside a string", True),
    "literal": ("inside a string literal in code (docstrings and comments not scored)", True),
    "comment": ("inside a comment", True),
    "brackets": ("inside brackets ( [ {", True),
    "depth": ("bracket depth", False),
    "indent": ("indentation of the line (spaces)", False),
    "column": ("position in line (column)", False),
}
OPEN, CLOSE = "([{", ")]}"
LOW, HIGH = 0.1, 0.9  # saturation thresholds of Karpathy et al. 2015
# The text view's first sample (not from the corpus): the gallery also ranks units on it, so the scores a
# newcomer sees on the page are on record.
SNIPPET = '''def greet(name, punctuation="!"):
    # say hello to someone, politely
    message = "Hello, " + name + punctuation
    if len(message) > 40:
        raise ValueError('name too long: %r' % (name,))
    print(message, file=sys.stderr)
    return {"name": name, "length": len(message)}
'''


# ----------------------------------------------------------------------------
# pattern labels


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _tokenize_masks(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(string, comment) masks (T,) bool from Python's tokenize; raises on code it cannot tokenize."""
    T = len(text)
    string, comment = np.zeros(T, bool), np.zeros(T, bool)
    starts = _line_starts(text)
    kinds = {tokenize.STRING: string, tokenize.COMMENT: comment}
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END"):  # Python >= 3.12 splits f-strings
        if hasattr(tokenize, name):
            kinds[getattr(tokenize, name)] = string
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        mask = kinds.get(tok.type)
        if mask is None:
            continue
        (r0, c0), (r1, c1) = tok.start, tok.end
        a, b = starts[r0 - 1] + c0, starts[r1 - 1] + c1 if r1 - 1 < len(starts) else T
        mask[a:b] = True
    return string, comment


def _scan_masks(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(string, comment) masks from a small hand-written scanner that never fails.

    Knows ' " ''' \"\"\" with backslash escapes and # comments; a single-quoted
    string ends at the end of its line even if unterminated (as a broken line
    of code would); a triple-quoted one runs to its closing quotes or the end.
    """
    T = len(text)
    string, comment = np.zeros(T, bool), np.zeros(T, bool)
    i = 0
    while i < T:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = T if j < 0 else j
            comment[i:j] = True
            i = j
        elif ch in "'\"":
            q = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            j = i + len(q)
            while j < T:
                if text[j] == "\\":
                    j += 2
                    continue
                if len(q) == 1 and text[j] == "\n":
                    break
                if text.startswith(q, j):
                    j += len(q)
                    break
                j += 1
            j = min(j, T)
            string[i:j] = True
            i = j
        else:
            i += 1
    return string, comment


def patterns(text: str) -> tuple[dict[str, np.ndarray], str]:
    """Label every character of ``text``: {pattern name: (T,) float array}, and the method used.

    Strings and comments come from Python's ``tokenize`` when the text
    tokenizes, otherwise from a forgiving scanner (method "scanner"), so a
    half-typed snippet still gets labels. Brackets are counted outside strings
    and comments; an opening bracket is inside its own pair, a closing one is
    not (depth after the character). Indentation is the number of leading
    spaces of the character's line; column counts from 0.
    """
    T = len(text)
    if T == 0:
        raise ValueError("the text is empty: nothing to label")
    try:
        string, comment = _tokenize_masks(text)
        method = "tokenize"
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        string, comment = _scan_masks(text)
        method = "scanner"
    long = _triple_quoted(text, string)
    code = ~(string | comment)
    depth = np.zeros(T)
    d = 0
    for i, ch in enumerate(text):
        if code[i]:
            if ch in OPEN:
                d += 1
            elif ch in CLOSE:
                d = max(d - 1, 0)
        depth[i] = d
    column, indent = np.zeros(T), np.zeros(T)
    for a in _line_starts(text):
        b = text.find("\n", a)
        b = T if b < 0 else b + 1  # the newline belongs to its line
        line = text[a:b]
        column[a:b] = np.arange(b - a)
        indent[a:b] = len(line) - len(line.lstrip(" "))
    literal = string.astype(float)
    literal[long | comment] = np.nan  # prose: neither inside a literal nor code, so not scored
    out = {
        "string": string.astype(float),
        "literal": literal,
        "comment": comment.astype(float),
        "brackets": (depth > 0).astype(float),
        "depth": depth,
        "indent": indent,
        "column": column,
    }
    return out, method


def _triple_quoted(text: str, string: np.ndarray) -> np.ndarray:
    """(T,) bool: the characters of string runs that open with three quotes (docstrings and other long strings)."""
    long = np.zeros(len(text), bool)
    edges = np.flatnonzero(np.diff(np.r_[0, string.astype(np.int8), 0]))  # run starts and ends, alternating
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        body = text[a:b].lstrip("rRbBfFuU")
        if body.startswith(("'''", '"""')):
            long[a:b] = True
    return long


def patterns_of_pieces(text: str, pieces: list[tuple[int, int]]) -> dict[str, np.ndarray]:
    """Like :func:`patterns`, but each piece ``text[start:end]`` labelled on its own (a text glued
    from excerpts of several files); characters between pieces get 0."""
    out = {name: np.zeros(len(text)) for name in PATTERNS}
    out["literal"][:] = np.nan  # a character between pieces is not code
    for a, b in pieces:
        for name, values in patterns(text[a:b])[0].items():
            out[name][a:b] = values
    return out


def span_pattern(T: int, start: int, end: int) -> np.ndarray:
    """(T,) 1.0 on characters start..end-1 (a span the user selected), else 0."""
    if not 0 <= start < end <= T:
        raise ValueError(f"a span needs 0 <= start < end <= {T}, got [{start}, {end})")
    p = np.zeros(T)
    p[start:end] = 1.0
    return p


# ----------------------------------------------------------------------------
# ranking


def auc(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(T, H) activations, (T,) 0/1 labels -> (H,) ROC AUC of each unit.

    AUC = P(value at a random positive > value at a random negative), ties
    counting 1/2 (the Mann-Whitney U statistic over n_pos * n_neg), computed
    from average ranks.
    """
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels) > 0.5
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("the pattern holds everywhere or nowhere in this text: need both kinds of characters")
    ranks = _average_ranks(values)  # (T, H), 1-based, ties averaged
    u = ranks[labels].sum(axis=0) - n_pos * (n_pos + 1) / 2  # (H,)
    return u / (n_pos * n_neg)


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Column-wise ranks 1..T of a (T, H) array, tied values sharing their mean rank (all columns at once)."""
    T, H = a.shape
    u = np.ascontiguousarray(a.T)  # (H, T): each unit's values in one row, sorted fastest along rows
    order = np.argsort(u, axis=1)  # (H, T); tie order does not matter, tied values share one rank
    s = np.take_along_axis(u, order, axis=1)  # (H, T) each row sorted
    new = np.ones((H, T), bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]  # True where a tie group starts
    end = np.ones((H, T), bool)
    end[:, :-1] = new[:, 1:]  # True where a tie group ends
    idx = np.arange(T)
    first = np.maximum.accumulate(np.where(new, idx, 0), axis=1)  # (H, T) start of each position's tie group
    last = np.minimum.accumulate(np.where(end, idx, T - 1)[:, ::-1], axis=1)[:, ::-1]  # (H, T) its end
    ranks = np.empty((H, T))
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=1)
    return ranks.T  # (T, H)


def correlation(values: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """(T, H), (T,) -> (H,) Pearson correlation of each unit with the pattern (0 for a constant unit)."""
    v = np.asarray(values, dtype=np.float64)
    p = np.asarray(pattern, dtype=np.float64)
    p = p - p.mean()
    if not np.any(p):
        raise ValueError("the pattern is constant in this text: nothing to correlate with")
    v = v - v.mean(axis=0)
    denom = np.sqrt((v**2).sum(axis=0) * (p**2).sum())  # (H,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (p @ v) / denom
    return np.where(denom > 0, r, 0.0)


def rank_units(values: np.ndarray, pattern: np.ndarray, binary: bool | None = None) -> list[dict]:
    """Rank the H units of ``values`` (T, H) by how well they track ``pattern`` (T,).

    Characters where the pattern is NaN are left out. Binary pattern (only
    0/1): score = |AUC - 0.5| * 2 in [0, 1] (1: a threshold
    on the unit separates the two sets perfectly, in either direction).
    Graded pattern: score = |Pearson r|. Each entry: unit (0-based), score,
    auc (binary only), corr, sign (+1: the unit is higher where the pattern is).
    Best first; ties broken by unit number.
    """
    values = np.asarray(values, dtype=np.float64)
    pattern = np.asarray(pattern, dtype=np.float64)
    if values.ndim != 2 or pattern.shape != (values.shape[0],):
        raise ValueError(f"need values (T, H) and pattern (T,), got {values.shape} and {pattern.shape}")
    scored = ~np.isnan(pattern)  # NaN in the pattern: a character that is not scored
    values, pattern = values[scored], pattern[scored]
    if not np.isfinite(values).all():
        raise ValueError("the activations contain NaN or infinity; cannot rank units")
    if binary is None:
        binary = bool(np.isin(pattern, (0.0, 1.0)).all())
    with single_thread():  # small products: one BLAS thread is faster than several waiting on a busy machine
        a = auc(values, pattern) if binary else None  # (H,); raises first if the pattern is all 0 or all 1
        r = correlation(values, pattern)  # (H,)
    if binary:
        score, sign = np.abs(a - 0.5) * 2, np.where(a >= 0.5, 1, -1)
    else:
        a, score, sign = None, np.abs(r), np.where(r >= 0, 1, -1)
    order = np.lexsort((np.arange(len(score)), -score))
    return [
        {"unit": int(j), "score": float(score[j]), "auc": None if a is None else float(a[j]),
         "corr": float(r[j]), "sign": int(sign[j])}
        for j in order
    ]


# ----------------------------------------------------------------------------
# saturation


def saturation(gate: np.ndarray, low: float = LOW, high: float = HIGH) -> tuple[np.ndarray, np.ndarray]:
    """(T, H) gate values -> (H,) fraction of time left-saturated (< low), (H,) right-saturated (> high)."""
    g = np.asarray(gate, dtype=np.float64)
    if g.ndim != 2 or g.shape[0] == 0:
        raise ValueError(f"need a (T, H) array of gate values with T >= 1, got shape {g.shape}")
    return (g < low).mean(axis=0), (g > high).mean(axis=0)


def signals(trace) -> dict[str, np.ndarray]:
    """The (T, H) arrays one can colour text by: "h", gates (sigmoid ones and tanh ones), and "c" for an LSTM."""
    out = {"h": trace.h}
    if trace.c is not None:
        out["c"] = trace.c
    out.update(trace.gates)
    return out


# ----------------------------------------------------------------------------
# gallery


def gallery(models: dict, text: str, pieces: list[tuple[int, int]], top: int = 3, only=tuple(PATTERNS)) -> dict:
    """For each model and pattern (of ``only``), the top units of the hidden state h (and the LSTM cell
    state c), on a text made of ``pieces`` (each labelled on its own); and each gate's saturation, as
    summaries and per unit."""
    labels = patterns_of_pieces(text, pieces)
    out = {"text": "test_split.txt", "chars": len(text), "pieces": [list(p) for p in pieces], "models": {}}
    for kind, model in models.items():
        run = model.read(text)
        entries = {}
        for name, (label, binary) in ((k, PATTERNS[k]) for k in only):
            for sig in ("h", "c") if run.trace.c is not None else ("h",):
                ranked = rank_units(signals(run.trace)[sig], labels[name], binary)[:top]
                entries.setdefault(name, []).extend({**e, "signal": sig, "pattern": label} for e in ranked)
            entries[name].sort(key=lambda e: -e["score"])
        sat, per_unit = {}, {}
        for g in run.trace.gates:
            if g in ("candidate", "cell"):
                continue
            lo, hi = saturation(run.trace.gates[g])
            sat[g] = {"mean_left": float(lo.mean()), "mean_right": float(hi.mean()),
                      "units_mostly_saturated": int(((lo + hi) > 0.5).sum())}
            per_unit[g] = {"left": lo.tolist(), "right": hi.tolist()}  # (H,) each: the text view's scatter plot
        out["models"][kind] = {"patterns": entries, "saturation": sat, "saturation_per_unit": per_unit}
    return out


def validation_report(paths: list, chars: int = 40_000, top: int = 2) -> None:
    """Print each checkpoint's best units for the string patterns on the first ``chars`` characters of the
    validation split (text the weights were not trained on, and not the held-out text the gallery scores
    are reported on): where a model is chosen."""
    from gru_viz import corpus, text_models

    text = corpus.load().text("val")[:chars]
    labels = patterns(text)[0]
    for path in paths:
        model = text_models.load(path)
        sig = signals(model.read(text).trace)
        for name in ("literal", "string"):
            for s in ("h", "c") if "c" in sig else ("h",):
                best = rank_units(sig[s], labels[name], binary=True)[:top]
                print(f"{path}  {model.kind}  {name:8s} " + "  ".join(
                    f"{s}[{e['unit']}] AUC {e['auc']:.3f} (strength {e['score']:.2f})" for e in best))


def main():
    import argparse

    from gru_viz import text_models

    p = argparse.ArgumentParser(description="Write checkpoints/text/gallery.json (the shipped models' best units).")
    p.add_argument("--validation", nargs="*", metavar="CHECKPOINT",
                   help="instead: print these checkpoints' (default: the shipped ones) best string units on validation text")
    a = p.parse_args()
    if a.validation is not None:
        validation_report(a.validation or [text_models.CHECKPOINT_DIR / f"{k.lower()}.npz" for k in text_models.CELLS])
        return

    models = {k: text_models.load_shipped(k) for k in text_models.CELLS}
    pieces = [(p["start"], p["end"]) for p in text_models.manifest()["corpus"]["test_pieces"]]
    g = gallery(models, text_models.held_out_text(), pieces)
    snip = gallery(models, SNIPPET, [(0, len(SNIPPET))], top=3, only=("string", "literal"))
    g["snippet"] = {"text": SNIPPET, "models": {k: m["patterns"] for k, m in snip["models"].items()}}
    path = text_models.CHECKPOINT_DIR / "gallery.json"
    path.write_text(json.dumps(g, indent=1), encoding="utf-8")
    for kind, m in g["models"].items():
        for name, entries in m["patterns"].items():
            e = entries[0]
            what = f"AUC {e['auc']:.3f}" if e["auc"] is not None else f"r {e['corr']:+.3f}"
            print(f"{kind:4s} {name:9s} best: {e['signal']}[{e['unit']}]  score {e['score']:.3f}  ({what})")
    for kind, m in g["snippet"]["models"].items():
        for name, entries in m.items():
            e = entries[0]
            print(f"{kind:4s} {name:9s} on the page's sample snippet: {e['signal']}[{e['unit']}]  score {e['score']:.3f}  "
                  f"(AUC {e['auc']:.3f})")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
