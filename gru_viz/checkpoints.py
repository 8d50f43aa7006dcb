"""Trained weights: the shipped checkpoints, user uploads, and safe loading of both.

Nothing here runs code from a file. Checkpoints are NPZ archives read with
``np.load(allow_pickle=False)``; uploads are NPZ or torch ``state_dict`` files,
the latter read with ``torch.load(weights_only=True)`` (torch imported only
then). A file that carries pickled objects (code, a whole nn.Module) is refused
with a ValueError before anything in it runs. Every array is checked for
dtype, shape and finiteness before it becomes a model.

    entries = list_checkpoints()                        # the manifest: task, cell, sizes, steps, seed, test loss
    model, readout, entry = load_checkpoint("gru_adding_T100")
    x, y = example_input(entry, seed=0)                 # x: (T, D) one sequence of the task it was trained on
    trace = model.run(x)
    prediction = readout(trace.h)[-1]                   # (O,)  adding problem: close to y

    model, readout, entry = load_uploaded_weights(data, "my_gru.pt")   # or ValueError saying what does not fit

File layout (NPZ, torch's parameter names, float32 or float64):
    weight_ih (G*H, D), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,)   G = 1 RNN, 3 GRU, 4 LSTM
    readout.weight (O, H), readout.bias (O,)                               optional linear readout
    cell "RNN"|"GRU"|"LSTM", nonlinearity "tanh"|"relu"                    optional 0-d strings
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from gru_viz import limits
from gru_viz.cells import GRU, LSTM, RecurrentCell, VanillaRNN
from gru_viz.tasks import make_batch as task_batch

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
CELLS = {"RNN": VanillaRNN, "GRU": GRU, "LSTM": LSTM}
CELL_BY_BLOCKS = {1: "RNN", 3: "GRU", 4: "LSTM"}  # G gate blocks stacked in weight_hh -> cell
UPLOAD_TYPES = ["npz", "pt", "pth", "bin"]  # for st.file_uploader(type=...)
MAX_UNZIPPED_MB = 4 * limits.UPLOAD_MB  # a compressed archive may not expand beyond this
RECURRENT_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass
class Readout:
    """The linear readout y_t = W h_t + b on top of the recurrent layer (nn.Linear's layout)."""

    weight: np.ndarray  # (O, H)
    bias: np.ndarray | None = None  # (O,)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        """(T, H) hidden states -> (T, O) outputs (class logits for the copy task)."""
        out = np.asarray(h, dtype=np.float64) @ self.weight.T  # (T, H) @ (H, O) -> (T, O)
        return out if self.bias is None else out + self.bias

    @property
    def output_size(self) -> int:
        return self.weight.shape[0]


class LoadedModel(NamedTuple):
    """A NumPy recurrent cell with its readout and a description (a manifest entry)."""

    model: RecurrentCell
    readout: Readout | None
    entry: dict


# ----------------------------------------------------------------------------
# shipped checkpoints


def list_checkpoints(directory: str | Path | None = None) -> list[dict]:
    """The manifest entries of the shipped checkpoints, in manifest order ([] if there are none)."""
    path = Path(directory or CHECKPOINT_DIR) / "manifest.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["checkpoints"]


def load_checkpoint(name: str, directory: str | Path | None = None) -> LoadedModel:
    """Load a shipped checkpoint by manifest name, checking its hash, shapes and dtypes against the manifest."""
    directory = Path(directory or CHECKPOINT_DIR)
    entries = {e["name"]: e for e in list_checkpoints(directory)}
    if name not in entries:
        raise ValueError(f"no checkpoint named {name!r}; available: {sorted(entries)}")
    entry = dict(entries[name])
    file = entry["file"]
    if Path(file).name != file:
        raise ValueError(f"checkpoint file name {file!r} must be a plain file name inside {directory}")
    data = (directory / file).read_bytes()
    if entry.get("sha256") and hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"{file} does not match the sha256 in manifest.json (file changed or corrupted); re-create it with "
                         f"`{entry.get('reproduce', 'python -m gru_viz.training make-checkpoints')}`")
    model, readout, info = _from_arrays(_read_npz(data, file), file)
    for key in ("cell", "input_size", "hidden_size"):
        if info[key] != entry[key]:
            raise ValueError(f"{file}: {key} is {info[key]!r} in the file but {entry[key]!r} in manifest.json")
    if readout is None or readout.output_size != entry["output_size"]:
        raise ValueError(f"{file}: expected a readout with {entry['output_size']} outputs")
    entry["source"] = "checkpoint"
    entry["fingerprint"] = fingerprint(model, readout)
    return LoadedModel(model, readout, entry)


def save_checkpoint(path: str | Path, model: RecurrentCell, readout: Readout | None = None) -> str:
    """Write ``model`` (+ readout) as an NPZ that load_checkpoint / load_uploaded_weights read. Returns its sha256.

    Arrays are stored as float32 when that is exact (weights trained in float32), else float64.
    """
    arrays = {k: getattr(model, k) for k in RECURRENT_KEYS if getattr(model, k) is not None}
    if readout is not None:
        arrays["readout.weight"] = readout.weight
        if readout.bias is not None:
            arrays["readout.bias"] = readout.bias
    arrays = {k: _compact(v) for k, v in arrays.items()}
    arrays["cell"] = np.array(model.torch_name)
    if model.torch_name == "RNN":
        arrays["nonlinearity"] = np.array(model.nonlinearity)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _compact(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    a32 = a.astype(np.float32)
    return a32 if np.array_equal(a32.astype(np.float64), a) else a


def fingerprint(model: RecurrentCell, readout: Readout | None = None) -> str:
    """A short hash of the weights (16 hex digits): a cache key that differs whenever any weight differs."""
    h = hashlib.sha256(f"{model.torch_name}|{getattr(model, 'nonlinearity', '')}".encode())
    arrays = [getattr(model, k) for k in RECURRENT_KEYS] + ([readout.weight, readout.bias] if readout is not None else [])
    for a in arrays:
        h.update(b"-" if a is None else np.ascontiguousarray(a, dtype=np.float64).tobytes() + str(a.shape).encode())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------
# using a trained model


def example_input(entry: dict, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One sequence of the task ``entry`` was trained on: x (T, D) and its target y ((), or (T,))."""
    if not entry.get("task"):
        raise ValueError(f"{entry.get('name', 'this model')} has no known task (uploaded weights); choose an input signal")
    batch = task_batch(entry["task"], entry["task_params"], n=1, seed=seed)
    return batch.x[0], batch.y[0]


def channel_names(entry: dict) -> list[str] | None:
    """Names of the input channels of the model's task, for axis labels (None if unknown)."""
    task, p = entry.get("task"), entry.get("task_params") or {}
    if task == "adding":
        return ["value", "marker"]
    if task == "copy":
        return ["blank"] + [f"symbol {k}" for k in range(1, p.get("n_symbols", 8) + 1)] + ["go"]
    if task == "delayed_recall":
        return ["u"]
    return None


def describe_prediction(entry: dict, prediction: np.ndarray, y: np.ndarray) -> str:
    """One sentence comparing the model's output (T, O) with the target of one task sequence."""
    task = entry.get("task")
    if task == "adding":
        return f"the sum of the two marked numbers is {float(y):.3f}; the model answers {prediction[-1, 0]:.3f}"
    if task == "copy":
        L = entry["task_params"].get("length", 5)
        said = prediction[-L:].argmax(axis=1)  # (L,) the symbols it outputs after the go-marker
        return (f"symbols to copy {' '.join(map(str, y[-L:]))}; after the go-marker the model outputs "
                f"{' '.join(map(str, said))}" + (" ✓" if np.array_equal(said, y[-L:]) else " ✗"))
    if task == "delayed_recall":
        d = entry["task_params"].get("delay", 10)
        return f"mean squared error of the recalled values on this sequence: {np.mean((prediction[d:, 0] - y[d:]) ** 2):.4f}"
    return ""


def evaluate(loaded: LoadedModel, n: int = 200, seed: int = 0) -> float:
    """Test loss of a loaded model on ``n`` fresh sequences of its task, computed by the NumPy core alone."""
    model, readout, entry = loaded
    batch = task_batch(entry["task"], entry["task_params"], n=n, seed=seed)
    losses = []
    for i in range(n):
        out = readout(model.run(batch.x[i]).h)  # (T, O)
        if batch.loss == "mse_last":
            losses.append((out[-1, 0] - batch.y[i]) ** 2)
        elif batch.loss == "mse_seq":
            m = batch.mask[i]
            losses.append(float((((out[:, 0] - batch.y[i]) ** 2) * m).sum() / m.sum()))
        else:  # ce_seq: cross-entropy per step = logsumexp(logits) - logit of the target
            top = out.max(axis=1, keepdims=True)  # (T, 1) for a stable logsumexp
            lse = top[:, 0] + np.log(np.exp(out - top).sum(axis=1))  # (T,)
            ce = lse - out[np.arange(len(out)), batch.y[i]]  # (T,)
            m = batch.mask[i]
            losses.append(float((ce * m).sum() / m.sum()))
    return float(np.mean(losses))


def resolve_model(name: str, trained: dict | None = None) -> LoadedModel:
    """A model by name: one trained in this session (``trained``, name -> LoadedModel) or a shipped checkpoint."""
    trained = trained or {}
    if name in trained:
        return LoadedModel(*trained[name])
    return load_checkpoint(name)


def model_choices(trained: dict | None = None) -> dict[str, str]:
    """name -> title of every model a page can open: shipped checkpoints first, then this session's trained models."""
    choices = {e["name"]: e.get("title", e["name"]) for e in list_checkpoints()}
    for name, loaded in (trained or {}).items():
        choices[name] = LoadedModel(*loaded).entry.get("title", name)
    return choices


# ----------------------------------------------------------------------------
# uploads: NPZ or torch state_dict, never executing anything


def load_uploaded_weights(data: bytes, filename: str = "upload") -> LoadedModel:
    """Read an uploaded weight file safely and build the model it describes.

    Accepts an NPZ (``np.savez``) or a torch file holding the ``state_dict`` of
    one single-layer nn.RNN / nn.GRU / nn.LSTM (or *Cell), optionally with one
    nn.Linear readout and any key prefix (``rnn.weight_ih_l0``, ``fc.weight``,
    ...). The cell type and sizes are inferred from the shapes: weight_hh is
    (G*H, H) with G = 1 (RNN), 3 (GRU) or 4 (LSTM).

    Raises ValueError, saying what does not fit, for files that are too large,
    not NPZ/torch, carry pickled objects (refused, nothing is run), or hold
    tensors of the wrong shape, dtype or with NaN/inf.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"expected the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    name = str(filename)
    if len(data) > limits.UPLOAD_MB * 1024 * 1024:
        raise ValueError(f"{name} is {len(data) / 2**20:.1f} MB; the limit is {limits.UPLOAD_MB} MB")
    if not data:
        raise ValueError(f"{name} is empty")
    if zipfile.is_zipfile(io.BytesIO(data)):
        members = _zip_members(data, name)
        if any(m.endswith("data.pkl") for m in members):
            arrays = _read_torch(data, name)
        elif members and all(m.endswith(".npy") for m in members):
            arrays = _read_npz(data, name)
        else:
            raise ValueError(f"{name} is a zip archive but neither an NPZ (np.savez) nor a torch.save file")
    elif data.startswith(b"\x93NUMPY"):
        raise ValueError(f"{name} is a single .npy array; save the weights by name with np.savez(file, weight_ih=..., ...)")
    elif data[:2] == b"PK":
        raise ValueError(f"{name} is a damaged or truncated zip archive (NPZ or torch.save); upload the complete file")
    elif data[:1] == b"\x80":
        arrays = _read_torch(data, name)  # legacy torch format or a bare pickle: the weights-only unpickler decides
    else:
        raise ValueError(f"{name} is not a weight file this app reads: upload an .npz (np.savez) or a torch "
                         "state_dict saved with torch.save(model.state_dict(), 'file.pt')")
    model, readout, info = _from_arrays(arrays, name)
    info.update(name=f"upload: {name}", title=f"{info['cell']} from {name} (uploaded)", source="upload", task=None,
                task_params=None, fingerprint=fingerprint(model, readout))
    return LoadedModel(model, readout, info)


def _zip_members(data: bytes, name: str) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ValueError(f"{name} is a damaged zip archive: {e}") from None
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_MB * 2**20:
        raise ValueError(f"{name} expands to more than {MAX_UNZIPPED_MB} MB; refused")
    return [i.filename for i in infos]


def _read_npz(data: bytes, name: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            if not hasattr(f, "files"):
                raise ValueError(f"{name} is a single array, not an NPZ archive of named arrays")
            return {k: f[k] for k in f.files}
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise ValueError(f"{name} refused: it contains pickled Python objects; nothing from it was run. "
                             "Weights must be plain numeric arrays.") from None
        if str(e).startswith(name):
            raise
        raise ValueError(f"{name} is not a readable NPZ file: {e}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"{name} is not a readable NPZ file: {e}") from None


def _read_torch(data: bytes, name: str) -> dict[str, np.ndarray]:
    import pickle

    import torch

    try:
        with warnings.catch_warnings():  # pickle protocol notes are not the user's business
            warnings.simplefilter("ignore")
            obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)  # the weights-only unpickler
    except pickle.UnpicklingError:
        raise ValueError(f"{name} refused: the safe (weights-only) loader found something other than plain tensors "
                         "(code, a whole model saved with torch.save(model), or a damaged file); nothing from it was run. "
                         "Save model.state_dict() instead.") from None
    except Exception as e:  # truncated or foreign files raise many kinds of errors inside torch
        raise ValueError(f"{name} is not a readable torch file ({type(e).__name__}: {str(e)[:200]})") from None
    obj = _unwrap_state_dict(obj, name)
    arrays = {}
    for key, t in obj.items():
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name}: entry {key!r} is a {type(t).__name__}, not a tensor; upload a state_dict")
        if not t.dtype.is_floating_point:
            raise ValueError(f"{name}: {key} has dtype {t.dtype}; weights must be floating point")
        try:
            arrays[str(key)] = t.detach().to("cpu", torch.float64).contiguous().numpy()
        except (RuntimeError, TypeError) as e:
            raise ValueError(f"{name}: cannot read tensor {key!r} ({e})") from None
    return arrays


def _unwrap_state_dict(obj, name: str) -> dict:
    """Accept a state_dict, or a training checkpoint dict holding one under 'state_dict'/'model_state_dict'/'model'."""
    if not isinstance(obj, dict):
        raise ValueError(f"{name} holds a {type(obj).__name__}, not a state_dict (a dict of tensors)")
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj.get(key), dict):
            return obj[key]
    return obj


_LAYER = re.compile(r"^(?P<prefix>.*?)(?P<param>weight_ih|weight_hh|bias_ih|bias_hh)(?P<suffix>_l\d+(?:_reverse)?)?$")


def _from_arrays(arrays: dict[str, np.ndarray], name: str) -> tuple[RecurrentCell, Readout | None, dict]:
    """Validate named arrays (torch names, any prefix) and build the NumPy cell + readout they describe."""
    meta = {k: arrays.pop(k) for k in ("cell", "nonlinearity") if k in arrays}
    meta = {k: str(v) for k, v in meta.items() if np.asarray(v).dtype.kind == "U" and np.asarray(v).ndim == 0}
    recurrent, others = {}, {}
    for key, value in arrays.items():
        m = _LAYER.match(key)
        if m is None:
            others[key] = value
            continue
        suffix = m["suffix"] or ""
        if suffix.endswith("_reverse"):
            raise ValueError(f"{name}: {key} belongs to a bidirectional layer; only one direction is supported")
        if suffix not in ("", "_l0"):
            raise ValueError(f"{name}: {key} belongs to layer {suffix[2:]}; only single-layer (num_layers=1) models are "
                             "supported")
        recurrent.setdefault(m["prefix"], {})[m["param"]] = value
    if any(k.endswith(("weight_hr_l0", "weight_hr")) for k in others):
        raise ValueError(f"{name}: an LSTM with proj_size > 0 is not supported")
    if not recurrent:
        raise ValueError(f"{name}: no recurrent layer found. Expected weight_ih_l0, weight_hh_l0 (and bias_ih_l0, bias_hh_l0) "
                         f"of an nn.GRU/LSTM/RNN state_dict; the file has {sorted(arrays)[:12]}")
    if len(recurrent) > 1:
        raise ValueError(f"{name}: found {len(recurrent)} recurrent layers ({sorted(recurrent)}); upload exactly one")
    prefix, p = next(iter(recurrent.items()))
    for k, v in p.items():
        _check_array(v, prefix + k, name)
    for req in ("weight_ih", "weight_hh"):
        if req not in p:
            raise ValueError(f"{name}: {prefix}{req} is missing; a recurrent layer needs weight_ih and weight_hh")
    if ("bias_ih" in p) != ("bias_hh" in p):
        raise ValueError(f"{name}: has only one of bias_ih / bias_hh; a layer has both biases or neither")
    W_ih, W_hh = p["weight_ih"], p["weight_hh"]
    if W_hh.ndim != 2 or W_ih.ndim != 2:
        raise ValueError(f"{name}: weight_ih and weight_hh must be 2-D, got shapes {W_ih.shape} and {W_hh.shape}")
    GH, H = W_hh.shape
    if H == 0 or GH % H or GH // H not in CELL_BY_BLOCKS:
        raise ValueError(f"{name}: weight_hh has shape {W_hh.shape}; expected (G*H, H) with G = 1 (RNN), 3 (GRU) or 4 (LSTM)")
    cell = CELL_BY_BLOCKS[GH // H]
    if meta.get("cell", cell) != cell:
        raise ValueError(f"{name}: says cell={meta['cell']!r} but weight_hh {W_hh.shape} fits a {cell}")
    D = W_ih.shape[1]
    limits.HIDDEN_SIZE.check(H)
    limits.INPUT_SIZE.check(D)
    if W_ih.shape[0] != GH:
        raise ValueError(f"{name}: weight_ih has shape {W_ih.shape}; a {cell} with H={H} needs ({GH}, D)")
    for b in ("bias_ih", "bias_hh"):
        if b in p and p[b].shape != (GH,):
            raise ValueError(f"{name}: {b} has shape {p[b].shape}; a {cell} with H={H} needs ({GH},)")
    kwargs = {"nonlinearity": meta.get("nonlinearity", "tanh")} if cell == "RNN" else {}
    model = CELLS[cell](D, H, bias="bias_ih" in p, **kwargs)
    for k in RECURRENT_KEYS:
        if k in p:
            setattr(model, k, np.array(p[k], dtype=np.float64))
    readout = _readout(others, H, name)
    info = {"cell": cell, "nonlinearity": kwargs.get("nonlinearity"), "input_size": D, "hidden_size": H,
            "output_size": None if readout is None else readout.output_size}
    return model, readout, info


def _readout(others: dict[str, np.ndarray], H: int, name: str) -> Readout | None:
    """The single nn.Linear (prefix.weight (O, H) [+ prefix.bias (O,)]) among the non-recurrent arrays, if any."""
    if not others:
        return None
    groups = {}
    for key, v in others.items():
        prefix, _, last = key.rpartition(".")
        if last not in ("weight", "bias"):
            raise ValueError(f"{name}: unexpected entry {key!r}; expected one recurrent layer and at most one linear readout")
        groups.setdefault(prefix, {})[last] = v
    if len(groups) > 1:
        raise ValueError(f"{name}: besides the recurrent layer there are {len(groups)} layers ({sorted(groups)}); "
                         "expected at most one linear readout")
    prefix, g = next(iter(groups.items()))
    if "weight" not in g:
        raise ValueError(f"{name}: {prefix}.bias without {prefix}.weight")
    W = _check_array(g["weight"], prefix + ".weight", name)
    if W.ndim != 2 or W.shape[1] != H or W.shape[0] < 1:
        raise ValueError(f"{name}: readout {prefix}.weight has shape {W.shape}; expected (O, {H}) to read the hidden state")
    b = None
    if "bias" in g:
        b = _check_array(g["bias"], prefix + ".bias", name)
        if b.shape != (W.shape[0],):
            raise ValueError(f"{name}: readout {prefix}.bias has shape {b.shape}; expected ({W.shape[0]},)")
        b = b.astype(np.float64)
    return Readout(W.astype(np.float64), b)


def _check_array(a, key: str, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind != "f":
        raise ValueError(f"{name}: {key} has dtype {a.dtype}; weights must be floating point numbers")
    if a.size and not np.isfinite(a).all():
        raise ValueError(f"{name}: {key} contains NaN or infinity")
    return a
