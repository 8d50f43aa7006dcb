r"""The GRU equations of one timestep, as LaTeX, with the real numbers substituted.

For step t and a few chosen units, each equation is written twice: once in
symbols, once with the numbers the cell actually computed, e.g. (torch form)

    z_t = s(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz) = s([2.31, -0.40]) = [0.9098, 0.4013]
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}            = (1 - [0.9098, ...]) * [...] + ...

Binding: every gate value and state shown (r_t, z_t, n_t, h_{t-1}, h_t) is read
from the Trace arrays (trace.gates["reset"], ["update"], ["candidate"],
trace.h_prev, trace.h), never recomputed, so the page cannot show a
different number than the heatmaps and the cell diagram. Only the
pre-activations inside s(...) and tanh(...) are recomputed from the weights
(the Trace does not keep them); tests check s(pre-activation) == trace value.

Convention: z = 1 KEEPS the old state (h_t = h_{t-1}); z = 0 takes the candidate.
Units are numbered from 1 in the LaTeX (as in every figure); ``units`` arguments
are 0-based indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gru_viz.trace import Trace

# Where each substituted vector comes from (the binding, spelled out for readers and tests).
SOURCES = {
    "r": 'trace.gates["reset"]',
    "z": 'trace.gates["update"]',
    "n": 'trace.gates["candidate"]',
    "h_prev": "trace.h_prev",
    "h": "trace.h",
}


@dataclass
class StepEquations:
    """The equations of step t for some units: LaTeX plus the numbers in it."""

    t: int  # the step, 1..T (h_t = trace.h[t - 1])
    units: tuple[int, ...]  # 0-based unit indices shown, in order
    variant: str  # "torch" or "cho2014"
    values: dict[str, np.ndarray] = field(default_factory=dict)  # symbol -> (U,) the numbers substituted
    latex: dict[str, str] = field(default_factory=dict)  # "reset" | "update" | "candidate" | "hidden" -> LaTeX
    clamped: dict[str, np.ndarray] = field(default_factory=dict)  # gate -> (U,) bool, True where held by gate surgery


def fmt(v: float, digits: int = 4) -> str:
    """A number for LaTeX: fixed digits; NaN and infinities spelled out."""
    if np.isnan(v):
        return r"\text{NaN}"
    if np.isinf(v):
        return r"+\infty" if v > 0 else r"-\infty"
    s = f"{v:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s  # no "-0.0000"


def vec(values, digits: int = 4, mask=None, color: str | None = None) -> str:
    """A column vector of numbers; entries where ``mask`` is True read 'clamped'."""
    cells = []
    for i, v in enumerate(np.asarray(values, dtype=np.float64)):
        cells.append(r"\text{clamped}" if mask is not None and mask[i] else fmt(v, digits))
    body = r"\begin{bmatrix}" + r"\\".join(cells) + r"\end{bmatrix}"
    return _c(body, color)


def _c(tex: str, color: str | None) -> str:
    return rf"\textcolor{{{color}}}{{{tex}}}" if color else tex


def gru_step_equations(model, trace: Trace, t: int, units, digits: int = 4, colors: dict | None = None,
                       narrow: bool = False) -> StepEquations:
    r"""The four GRU equations of step ``t`` with the numbers of ``units`` substituted.

    Args:
        model: the GRU that produced ``trace`` (its weights give the pre-activations).
        trace: the Trace of ``model.run(...)``.
        t: the step, 1..T; the equations compute h_t from h_{t-1} and x_t.
        units: 0-based unit indices to show (one to a handful).
        digits: decimals printed.
        colors: optional {"reset": "#E69F00", "update": ..., "candidate": ...}
            to colour each gate's symbol and numbers (as in the figures).
        narrow: break the long symbolic lines (the gates' and the candidate's) in two, for a column of
            ~330 px (a third of a 1280 px screen with the sidebar open) instead of ~450.
    Returns:
        StepEquations with latex["reset"|"update"|"candidate"|"hidden"] and the
        substituted numbers in values: "a_r", "a_z" (pre-activations), "a_in" (W_in x_t + b_in),
        "a_hn" (torch: W_hn h_{t-1} + b_hn; cho2014: W_hn (r_t * h_{t-1}) + b_hn), and "r", "z", "n",
        "h_prev", "h" straight from the Trace (see SOURCES).
    """
    if model.kind != "GRU" or "update" not in trace.gates:
        raise ValueError("the step equations are written for a GRU and its trace")
    T, H = trace.T, trace.hidden_size
    if isinstance(t, bool) or int(t) != t or not 1 <= int(t) <= T:
        raise ValueError(f"step t must be a whole number in [1, {T}], got {t!r}")
    t = int(t)
    units = tuple(int(u) for u in np.atleast_1d(units))
    if not units or any(not 0 <= u < H for u in units):
        raise ValueError(f"units must be indices in [0, {H - 1}], got {list(units)}")
    u = np.array(units)
    colors = colors or {}
    cr, cz, cn = colors.get("reset"), colors.get("update"), colors.get("candidate")

    # straight from the Trace (the binding)
    r_all = trace.gates["reset"][t - 1]  # (H,)
    h_prev_all = trace.h_prev[t - 1]  # (H,)
    v = {
        "r": r_all[u],
        "z": trace.gates["update"][t - 1][u],
        "n": trace.gates["candidate"][t - 1][u],
        "h_prev": h_prev_all[u],
        "h": trace.h[t - 1][u],
    }
    # pre-activations, recomputed from the weights
    x_t = trace.x[t - 1]  # (D,)
    W_ih, W_hh = model.weight_ih, model.weight_hh  # (3H, D), (3H, H)
    b_ih = model.bias_ih if model.bias else np.zeros(3 * H)
    b_hh = model.bias_hh if model.bias else np.zeros(3 * H)
    with np.errstate(all="ignore"):
        xp = W_ih @ x_t + b_ih  # (3H,) input parts of all pre-activations
        hp = W_hh @ h_prev_all + b_hh  # (3H,) recurrent parts
        v["a_r"] = (xp[:H] + hp[:H])[u]
        v["a_z"] = (xp[H : 2 * H] + hp[H : 2 * H])[u]
        v["a_in"] = xp[2 * H :][u]
        if model.variant == "torch":
            v["a_hn"] = hp[2 * H :][u]
        else:
            v["a_hn"] = (W_hh[2 * H :] @ (r_all * h_prev_all) + b_hh[2 * H :])[u]
    clamped = {g: ~np.isnan(trace.clamp[g][u]) if g in trace.clamp else np.zeros(len(u), bool)
               for g in ("reset", "update", "candidate")}  # gate -> (U,) held by gate surgery

    s = r"\sigma" if getattr(model, "gate_activation", "sigmoid") == "sigmoid" else r"\sigma_{\text{hard}}"
    V = lambda key, color=None, mask=None: vec(v[key], digits, mask, color)  # noqa: E731
    r_sym, z_sym, n_sym = _c("r_t", cr), _c("z_t", cz), _c("n_t", cn)
    tex = {}
    brk = r" \\ &\qquad " if narrow else " "  # where a long symbolic line may break
    tex["reset"] = _gate_tex(r_sym, s, "r", V("a_r", mask=clamped["reset"]), V("r", cr), clamped["reset"], brk)
    tex["update"] = _gate_tex(z_sym, s, "z", V("a_z", mask=clamped["update"]), V("z", cz), clamped["update"], brk)
    if model.variant == "torch":
        sym = rf"\tanh\bigl(W_{{in}}x_t + b_{{in}}{brk}+ {r_sym} \odot (W_{{hn}}h_{{t-1}} + b_{{hn}})\bigr)"
        num = rf"\tanh\!\left({V('a_in')} + {V('r', cr)} \odot {V('a_hn')}\right)"
    else:
        sym = rf"\tanh\bigl(W_{{in}}x_t + b_{{in}}{brk}+ W_{{hn}}({r_sym} \odot h_{{t-1}}) + b_{{hn}}\bigr)"
        num = rf"\tanh\!\left({V('a_in')} + {V('a_hn')}\right)"
    if clamped["candidate"].any():
        num = rf"{V('n', cn)}\;\text{{(clamped)}}"
    tex["candidate"] = _aligned(n_sym, sym, num, V("n", cn))
    tex["hidden"] = _aligned(
        "h_t",
        rf"(1 - {z_sym}) \odot {n_sym} + {z_sym} \odot h_{{t-1}}",
        rf"(1 - {V('z', cz)}) \odot {V('n', cn)} \\ &\quad + {V('z', cz)} \odot {V('h_prev')}",
        V("h"),
    )
    return StepEquations(t=t, units=units, variant=model.variant, values=v, latex=tex, clamped=clamped)


def _gate_tex(sym: str, s: str, letter: str, pre: str, val: str, clamped: np.ndarray, brk: str = " ") -> str:
    symbolic = rf"{s}(W_{{i{letter}}}x_t + b_{{i{letter}}}{brk}+ W_{{h{letter}}}h_{{t-1}} + b_{{h{letter}}})"
    if clamped.all():
        # the held values on a line of their own: beside the words they ran past a narrow column (1280 px)
        return _aligned(sym, symbolic, r"\text{clamped by gate surgery}", val, lines=3)
    return _aligned(sym, symbolic, rf"{s}\!\left({pre}\right)", val, lines=2)


def _aligned(lhs: str, symbolic: str, numeric: str, result: str, lines: int = 3) -> str:
    """The equation in symbols, then with the numbers substituted, then the result (own line when lines=3)."""
    brk = r" \\ &" if lines == 3 else " "
    return rf"\begin{{aligned}} {lhs} &= {symbolic} \\ &= {numeric}{brk}= {result} \end{{aligned}}"
