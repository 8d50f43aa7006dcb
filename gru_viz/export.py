"""Export a Trace as CSV or NPZ, with a header naming the model, sizes and seed.

Both formats round-trip exactly: CSV writes every float with 17 significant
digits (enough to recover a float64 bit for bit), NPZ stores the arrays as they
are. No pickle is involved in either direction.

CSV layout: comment lines ``# key: value`` (the metadata), then one header row
and one row per timestep: ``step, x_0.., h_0.., c_0.. (LSTM), <gate>_0..``.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from gru_viz.trace import Trace


def model_meta(model, **extra) -> dict:
    """Plain-value description of a model for export headers."""
    meta = {
        "model": type(model).__name__,
        "input_size": model.input_size,
        "hidden_size": model.hidden_size,
        "seed": getattr(model, "seed", None),
        "bias": model.bias,
    }
    for attr in ("variant", "gate_activation", "nonlinearity", "init_scale"):
        if hasattr(model, attr):
            meta[attr] = getattr(model, attr)
    meta.update(extra)
    return meta


def trace_meta(trace: Trace, settings: dict) -> dict:
    """The header of an exported trace: the cell, its sizes and the page's settings (plain values).

    ``settings`` holds "cell", "weights" and the input's settings. T is the trace's own length (a
    trained model's task sample sets its length, not the T slider); the seed and init scale are kept
    only for random weights, the only ones they describe.
    """
    meta = {"model": settings["cell"], "input_size": trace.x.shape[1], "hidden_size": trace.hidden_size, **settings,
            "T": trace.T}
    if settings.get("weights", "random") != "random":
        meta.pop("seed", None)
        meta.pop("init_scale", None)
    return meta


def trace_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """The trace's arrays by name: x (T, D), h0 (H,), h (T, H), c0/c (LSTM), gate_<name> (T, H)."""
    arrays = {"x": trace.x, "h0": trace.h0, "h": trace.h}
    if trace.c is not None:
        arrays["c0"], arrays["c"] = trace.c0, trace.c
    for name, values in trace.gates.items():
        arrays[f"gate_{name}"] = values
    return arrays


def trace_to_npz(trace: Trace, meta: dict) -> bytes:
    """NPZ bytes with every array of the trace and a ``meta`` JSON string."""
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **trace_arrays(trace))
    return buffer.getvalue()


def trace_from_npz(data: bytes) -> tuple[dict[str, np.ndarray], dict]:
    """Inverse of trace_to_npz: (arrays, meta). Never unpickles."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "meta"}
        meta = json.loads(str(npz["meta"])) if "meta" in npz.files else {}
    return arrays, meta


def trace_to_csv(trace: Trace, meta: dict) -> str:
    """CSV text: ``# key: value`` header lines, then one row per timestep."""
    columns = {"step": np.arange(1, trace.T + 1)[:, None]}
    for name, values in trace_arrays(trace).items():
        if values.ndim == 2:  # per-timestep arrays only; h0/c0 go in the header
            columns[name] = values
    meta = dict(meta, h0=trace.h0.tolist())
    if trace.c0 is not None:
        meta["c0"] = trace.c0.tolist()
    out = io.StringIO()
    for key, value in meta.items():
        out.write(f"# {key}: {json.dumps(value)}\n")
    writer = csv.writer(out, lineterminator="\n")
    header = ["step"] + [f"{name}_{j}" for name, v in columns.items() if name != "step"  # units 1..H, as the figures
                         for j in range(1, v.shape[1] + 1)]
    writer.writerow(header)
    table = np.hstack([v.astype(float) for v in columns.values()])  # (T, 1 + ...)
    for row in table:
        writer.writerow([str(int(row[0]))] + [repr(float(v)) for v in row[1:]])
    return out.getvalue()


def trace_from_csv(text: str) -> tuple[dict[str, np.ndarray], dict]:
    """Inverse of trace_to_csv: (arrays, meta), arrays named as in trace_arrays."""
    meta, rows = {}, []
    for line in text.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(": ")
            meta[key] = json.loads(value)
        elif line.strip():
            rows.append(line)
    reader = csv.reader(rows)
    header = next(reader)
    table = np.array([[float(v) for v in row] for row in reader])  # (T, columns)
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(header[1:], start=1):
        groups.setdefault(name.rsplit("_", 1)[0], []).append(i)
    arrays = {name: table[:, idx] for name, idx in groups.items()}
    for key in ("h0", "c0"):
        if key in meta:
            arrays[key] = np.array(meta.pop(key), dtype=float)
    return arrays, meta


def main(argv=None) -> int:
    """`python -m gru_viz.export lessons/ out/`: every lesson as out/<stem>.html (gru_viz.lesson_export).

    Exit code 1 with a message on a bad path or a broken lesson (the other lessons are still written).
    """
    import argparse
    import sys
    from pathlib import Path

    from gru_viz import lesson_export
    from gru_viz.lessons import LessonError

    p = argparse.ArgumentParser(prog="python -m gru_viz.export",
                                description="Export lessons as self-contained HTML pages, one <stem>.html per lesson.")
    p.add_argument("lessons", help="a folder of lessons (e.g. lessons/) or one lesson .md file")
    p.add_argument("out", help="the output folder (created if missing)")
    try:
        args = p.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # --help (0) or a bad command line (2): return the code, as the other outcomes
        return int(e.code or 0)
    argv = [args.lessons, args.out]
    try:
        paths = lesson_export.lesson_paths(argv[0])
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if Path(argv[1]).exists() and not Path(argv[1]).is_dir():
        print(f"error: output {argv[1]} exists and is not a folder", file=sys.stderr)
        return 1
    failed = 0
    for path in paths:
        try:
            print(f"wrote {lesson_export.export_lesson(path, argv[1])}")
        except (LessonError, OSError) as e:
            failed += 1
            print(f"FAIL {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
