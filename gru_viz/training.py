"""Train torch.nn.RNN / GRU / LSTM on the long-memory toy tasks, then hand the weights to the NumPy core.

One recurrent layer (batch_first) and one linear readout, trained with Adam on
freshly generated, seeded batches (the batch for step k depends only on the
seed and k, so runs are reproducible and several cells can see the very same
data), with optional gradient-norm clipping (Pascanu et al. 2013). A callback
sees every step's (step, loss, gradient norm) and may ask to stop.

    cfg = TrainConfig(task="adding", task_params={"T": 100}, cell="GRU", hidden_size=32, steps=2000)
    trainer = Trainer(cfg)
    trainer.fit(callback=lambda step, loss, gnorm: print(step, loss))
    model, readout, entry = trainer.to_numpy()    # gv.GRU (float64) + Readout, ready for model.run(x)

Losses (see gru_viz.tasks): "mse_last" regression of the last step (adding
problem), "ce_seq" per-step cross-entropy (copy task), "mse_seq" masked
per-step regression (delayed recall). Every task states its trivial baseline,
the loss of the best memoryless guess: a model that beats it has learned to remember.

torch is imported inside the functions, so ``import gru_viz`` stays light.

The shipped checkpoints are reproduced with
    python -m gru_viz.training make-checkpoints [--only NAME ...] [--out checkpoints]

References:
    Hochreiter & Schmidhuber 1997 (adding problem, copy/memory task); Le et al. 2015
    (adding problem with a baseline of 1/6); Arjovsky et al. 2016 (copy task);
    Pascanu et al. 2013, "On the difficulty of training recurrent neural networks" (clipping).
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gru_viz import limits, tasks
from gru_viz.checkpoints import CELLS, LoadedModel, Readout, fingerprint, save_checkpoint, task_batch


@dataclass
class TrainConfig:
    """Everything that determines a training run (same config, same weights)."""

    task: str = "adding"  # "adding" | "copy" | "delayed_recall"
    task_params: dict = field(default_factory=lambda: {"T": 50})  # keyword arguments of the task function
    cell: str = "GRU"  # "RNN" | "GRU" | "LSTM"
    hidden_size: int = 32  # H
    steps: int = 500  # optimizer steps
    batch_size: int = 64  # sequences per step, fresh each step
    lr: float = 3e-3  # Adam learning rate
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    seed: int = 0  # initial weights and the training data stream
    nonlinearity: str = "tanh"  # RNN only: "tanh" | "relu"
    eval_every: int = 50  # test loss every this many steps (and at the end)
    test_n: int = 256  # test sequences
    test_seed: int = 10_000  # test data seed (disjoint from the training stream)

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {list(CELLS)}, got {self.cell!r}")
        if self.task not in tasks.TASKS:
            raise ValueError(f"task must be one of {list(tasks.TASKS)}, got {self.task!r}")
        self.hidden_size = limits.HIDDEN_SIZE.check(self.hidden_size)
        self.steps = limits.TRAINING_STEPS.check(self.steps)
        if int(self.batch_size) != self.batch_size or not 1 <= self.batch_size <= 1024:
            raise ValueError(f"batch size must be a whole number in [1, 1024], got {self.batch_size!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"learning rate must be in (0, 1], got {self.lr!r}")
        if self.clip is not None and not (math.isfinite(self.clip) and self.clip > 0):
            raise ValueError(f"clip must be a positive number or None, got {self.clip!r}")
        if int(self.eval_every) != self.eval_every or self.eval_every < 1:
            raise ValueError(f"eval_every must be a positive whole number, got {self.eval_every!r}")
        task_batch(self.task, self.task_params, n=1, seed=0)  # raises ValueError on bad task parameters


def batch_seed(seed: int, step: int, stream: int = 0) -> int:
    """The data seed of training step ``step``: independent streams per (seed, stream, step)."""
    return int(np.random.SeedSequence([int(seed), int(stream), int(step)]).generate_state(1)[0])


def _to_torch(batch: tasks.TaskBatch):
    import torch

    x = torch.from_numpy(batch.x.astype(np.float32))  # (N, T, D)
    if batch.loss == "ce_seq":
        y = torch.from_numpy(batch.y.astype(np.int64))  # (N, T)
    else:
        y = torch.from_numpy(batch.y.astype(np.float32))  # (N,) or (N, T)
    mask = None if batch.mask is None else torch.from_numpy(batch.mask.astype(np.float32))  # (N, T)
    return x, y, mask


def sequence_loss(out, y, mask, kind: str):
    """The task loss from readout outputs ``out``: (N, T, O)."""
    import torch.nn.functional as F

    if kind == "mse_last":
        return F.mse_loss(out[:, -1, 0], y)  # (N,) vs (N,)
    if kind == "mse_seq":
        return (((out[..., 0] - y) ** 2) * mask).sum() / mask.sum()
    if kind == "ce_seq":
        ce = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction="none")  # (N*T,)
        return (ce * mask.reshape(-1)).sum() / mask.sum()
    raise ValueError(f"unknown loss {kind!r}")


class Trainer:
    """One recurrent layer + a linear readout, trained step by step (resumable)."""

    def __init__(self, cfg: TrainConfig):
        import torch
        import torch.nn as nn

        self.cfg = cfg
        probe = task_batch(cfg.task, cfg.task_params, n=1, seed=0)
        self.loss_kind, self.baseline = probe.loss, probe.baseline
        self.input_size = probe.x.shape[-1]  # D
        self.output_size = int(probe.x.shape[-1] - 1) if probe.loss == "ce_seq" else 1  # O: copy has K+1 classes
        kwargs = {"batch_first": True}
        if cfg.cell == "RNN":
            kwargs["nonlinearity"] = cfg.nonlinearity
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global generator
            torch.manual_seed(cfg.seed)
            self.rnn = getattr(nn, cfg.cell)(self.input_size, cfg.hidden_size, **kwargs)
            self.head = nn.Linear(cfg.hidden_size, self.output_size)
        self.params = list(self.rnn.parameters()) + list(self.head.parameters())
        self.opt = torch.optim.Adam(self.params, lr=cfg.lr)
        self.step = 0  # optimizer steps done
        self.history = {"step": [], "loss": [], "grad_norm": []}  # every training step
        self.test = {"step": [], "loss": []}  # every eval_every steps
        self.seconds = 0.0  # wall time spent in train_step
        self._test_batch = None

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, T, H)
        return self.head(out)  # (N, T, O)

    def batch(self, step: int) -> tasks.TaskBatch:
        """The training batch of step ``step`` (depends only on cfg.seed and step)."""
        return task_batch(self.cfg.task, self.cfg.task_params, n=self.cfg.batch_size, seed=batch_seed(self.cfg.seed, step))

    def train_step(self, batch: tasks.TaskBatch | None = None) -> tuple[float, float]:
        """One Adam step on ``batch`` (default: this step's seeded batch). Returns (loss, grad norm before clipping)."""
        import torch

        t0 = time.perf_counter()
        batch = self.batch(self.step) if batch is None else batch
        x, y, mask = _to_torch(batch)
        loss = sequence_loss(self.forward(x), y, mask, self.loss_kind)
        self.opt.zero_grad()
        loss.backward()
        max_norm = self.cfg.clip if self.cfg.clip is not None else float("inf")
        gnorm = torch.nn.utils.clip_grad_norm_(self.params, max_norm).item()  # clip to tame exploding gradients
        self.opt.step()
        self.step += 1
        loss = loss.item()
        for k, v in zip(("step", "loss", "grad_norm"), (self.step, loss, gnorm), strict=True):
            self.history[k].append(v)
        self.seconds += time.perf_counter() - t0
        return loss, gnorm

    def evaluate(self, n: int | None = None, seed: int | None = None) -> float:
        """Test loss on fresh seeded data (default: cfg.test_n sequences from cfg.test_seed)."""
        import torch

        n = self.cfg.test_n if n is None else n
        seed = self.cfg.test_seed if seed is None else seed
        if (n, seed) == (self.cfg.test_n, self.cfg.test_seed):
            if self._test_batch is None:
                self._test_batch = _to_torch(task_batch(self.cfg.task, self.cfg.task_params, n=n, seed=seed))
            x, y, mask = self._test_batch
        else:
            x, y, mask = _to_torch(task_batch(self.cfg.task, self.cfg.task_params, n=n, seed=seed))
        with torch.no_grad():
            return float(sequence_loss(self.forward(x), y, mask, self.loss_kind))

    def record_test(self) -> float:
        loss = self.evaluate()
        self.test["step"].append(self.step)
        self.test["loss"].append(loss)
        return loss

    @property
    def done(self) -> bool:
        return self.step >= self.cfg.steps

    def fit(self, steps: int | None = None, callback=None) -> Trainer:
        """Train until cfg.steps (or ``steps`` more steps); test every cfg.eval_every steps.

        callback(step, loss, grad_norm) is called after every step; returning True stops.
        """
        end = self.cfg.steps if steps is None else min(self.cfg.steps, self.step + steps)
        if self.step == 0 and not self.test["step"]:
            self.record_test()  # the untrained model's loss, at step 0
        while self.step < end:
            loss, gnorm = self.train_step()
            if self.step % self.cfg.eval_every == 0 or self.step == self.cfg.steps:
                self.record_test()
            if callback is not None and callback(self.step, loss, gnorm):
                break
        if self.test["step"][-1] != self.step:
            self.record_test()
        return self

    def to_numpy(self, name: str | None = None, source: str = "trained") -> LoadedModel:
        """The trained layer as a NumPy cell (float64, via from_torch) + Readout + an entry dict."""
        cls = CELLS[self.cfg.cell]
        model = cls.from_torch(self.rnn)
        readout = Readout(self.head.weight.detach().double().numpy().copy(), self.head.bias.detach().double().numpy().copy())
        entry = self.entry(name, source)
        entry["fingerprint"] = fingerprint(model, readout)
        return LoadedModel(model, readout, entry)

    def entry(self, name: str | None = None, source: str = "trained") -> dict:
        """A manifest-style description of this run (see gru_viz.checkpoints)."""
        cfg = self.cfg
        name = name or f"{cfg.cell} · {task_label(cfg.task, cfg.task_params)} · H={cfg.hidden_size}"
        return {
            "name": name,
            "title": f"{cfg.cell} trained on the {task_label(cfg.task, cfg.task_params)} ({self.step} steps)",
            "source": source,
            "cell": cfg.cell,
            "nonlinearity": cfg.nonlinearity if cfg.cell == "RNN" else None,
            "task": cfg.task,
            "task_params": dict(cfg.task_params),
            "input_size": self.input_size,
            "hidden_size": cfg.hidden_size,
            "output_size": self.output_size,
            "steps": self.step,
            "batch_size": cfg.batch_size,
            "seed": cfg.seed,
            "lr": cfg.lr,
            "clip": cfg.clip,
            "loss": self.loss_kind,
            "baseline": self.baseline,
            "test_loss": self.test["loss"][-1] if self.test["loss"] else None,
            "test_n": cfg.test_n,
            "test_seed": cfg.test_seed,
        }


def task_label(task: str, params: dict) -> str:
    if task == "adding":
        return f"adding problem (T={params.get('T')})"
    if task == "copy":
        return f"copy task (delay {params.get('delay', 20)}, {params.get('length', 5)} symbols)"
    return f"delayed recall (T={params.get('T')}, delay {params.get('delay', 10)})"


def train(cfg: TrainConfig, callback=None, threads: int | None = 1) -> Trainer:
    """Train one model to cfg.steps and return its Trainer.

    torch runs on ``threads`` threads meanwhile (default 1, as the CLI and the
    Training Lab: models this small train several times faster on one thread,
    since more threads mostly wait for each other; the losses are the same), and
    gets its previous thread count back afterwards. None leaves torch as it is.
    """
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return Trainer(cfg).fit(callback=callback)
    finally:
        torch.set_num_threads(before)


def train_together(cfgs: list[TrainConfig], steps: int, trainers: list[Trainer] | None = None, callback=None) -> list[Trainer]:
    """Step several models in lockstep on the very same batches (the configs must share task and seed).

    Resumable: pass the ``trainers`` of a previous call to continue. callback(step, losses, grad_norms) -> True stops.
    """
    trainers = trainers or [Trainer(c) for c in cfgs]
    for tr in trainers:
        if not tr.test["step"]:
            tr.record_test()
    for _ in range(steps):
        live = [tr for tr in trainers if not tr.done]
        if not live:
            break
        batch = live[0].batch(live[0].step)  # the same data for every cell
        results = [tr.train_step(batch) for tr in live]
        for tr in live:
            if tr.step % tr.cfg.eval_every == 0 or tr.done:
                tr.record_test()
        if callback is not None and callback(live[0].step, [r[0] for r in results], [r[1] for r in results]):
            break
    return trainers


# ----------------------------------------------------------------------------
# the shipped checkpoints: python -m gru_viz.training make-checkpoints

_ADD = {"task": "adding", "task_params": {"T": 100}, "hidden_size": 32, "batch_size": 64, "lr": 3e-3, "clip": 1.0, "seed": 0}
_COPY = {"task": "copy", "task_params": {"n_symbols": 4, "length": 3, "delay": 20}, "hidden_size": 32,
         "batch_size": 64, "lr": 5e-3, "clip": 1.0, "seed": 0}
CHECKPOINT_SPECS: dict[str, TrainConfig] = {
    "gru_adding_T100": TrainConfig(cell="GRU", steps=2000, **_ADD),
    "lstm_adding_T100": TrainConfig(cell="LSTM", steps=2000, **_ADD),
    "rnn_adding_T100": TrainConfig(cell="RNN", steps=2000, **_ADD),
    "gru_copy": TrainConfig(cell="GRU", steps=3000, **_COPY),
    "lstm_copy": TrainConfig(cell="LSTM", steps=3000, **_COPY),
    "rnn_copy": TrainConfig(cell="RNN", steps=3000, **_COPY),
}
CHECKPOINT_TEST = {"test_n": 1000, "test_seed": 20_000}  # the manifest's stated test loss


def make_checkpoints(out: str | Path = "checkpoints", only: list[str] | None = None, threads: int = 1) -> list[dict]:
    """Train every spec of CHECKPOINT_SPECS (or those in ``only``) and write NPZ files + manifest.json."""
    import torch

    torch.set_num_threads(threads)  # deterministic and polite on a shared machine
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"checkpoints": []}
    by_name = {e["name"]: e for e in manifest["checkpoints"]}
    for name, cfg in CHECKPOINT_SPECS.items():
        if only and name not in only:
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        trainer = train(cfg, callback=_printer(name, cfg.steps), threads=threads)
        loaded = trainer.to_numpy(name=name, source="checkpoint")
        entry = loaded.entry
        entry["title"] = f"{cfg.cell} trained on the {task_label(cfg.task, cfg.task_params)}"
        entry["test_loss"] = trainer.evaluate(**{"n": CHECKPOINT_TEST["test_n"], "seed": CHECKPOINT_TEST["test_seed"]})
        entry.update(CHECKPOINT_TEST)
        entry["file"] = f"{name}.npz"
        entry["train_seconds"] = round(time.perf_counter() - t0, 1)  # wall time (the machine may be shared)
        entry["train_cpu_seconds"] = round(time.process_time() - c0, 1)  # CPU time of this process
        entry["torch_version"] = torch.__version__
        entry["reproduce"] = f"python -m gru_viz.training make-checkpoints --only {name}"
        entry["config"] = asdict(cfg)
        entry["sha256"] = save_checkpoint(out / entry["file"], loaded.model, loaded.readout)
        by_name[name] = entry
        print(f"{name}: test loss {entry['test_loss']:.4g} (baseline {entry['baseline']:.4g}) in {entry['train_seconds']} s "
              f"({entry['train_cpu_seconds']} CPU s)")
        order = [n for n in CHECKPOINT_SPECS if n in by_name] + [n for n in by_name if n not in CHECKPOINT_SPECS]
        manifest = {"about": "Small models trained by gru_viz.training; loaded by gru_viz.checkpoints (no pickle).",
                    "checkpoints": [by_name[n] for n in order]}
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest["checkpoints"]


def _printer(name: str, steps: int):
    def callback(step, loss, gnorm):
        if step % 100 == 0 or step == steps:
            print(f"  {name} step {step:5d}/{steps}  loss {loss:.4f}  |grad| {gnorm:.3f}", flush=True)

    return callback


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m gru_viz.training", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make-checkpoints", help="train the shipped checkpoints and write NPZ + manifest.json")
    mk.add_argument("--out", default="checkpoints", metavar="DIR",
                    help="folder for the NPZ files and manifest.json (default: %(default)s)")
    mk.add_argument("--only", nargs="*", choices=list(CHECKPOINT_SPECS), metavar="NAME",
                    help="train only these checkpoints (default: all of %(choices)s)")
    mk.add_argument("--threads", type=int, default=1, metavar="N",
                    help="torch threads; 1 is fastest for these small models and deterministic (default: %(default)s)")
    sub.add_parser("list-checkpoints", help="print the shipped checkpoints' manifest as a Markdown table")
    args = p.parse_args(argv)
    if args.command == "make-checkpoints":
        make_checkpoints(args.out, args.only, args.threads)
    else:
        print(checkpoint_table())


def checkpoint_table(entries: list[dict] | None = None) -> str:
    """The manifest as a Markdown table (for docs/training.md)."""
    from gru_viz.checkpoints import list_checkpoints

    rows = ["| name | cell | task | H | steps | lr | seed | test loss | baseline | CPU s |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for e in list_checkpoints() if entries is None else entries:
        rows.append(f"| {e['name']} | {e['cell']} | {task_label(e['task'], e['task_params'])} | {e['hidden_size']} | "
                    f"{e['steps']} | {e['lr']:g} | {e['seed']} | {e['test_loss']:.4g} | {e['baseline']:.4g} | "
                    f"{e.get('train_cpu_seconds', '')} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------
# a run in a background thread, for the Training Lab page


MAX_CONCURRENT_RUNS = 2  # runs that may train at once in one server process (the machine has 2 cores)
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_RUNS)
ORPHAN_GRACE_S = 60.0  # a run nobody wants for this long (its tab closed; not a short network drop) stops, freeing its slot
_RUNS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> TrainingRun, while a session or its thread holds it


def find_run(run_id: str) -> TrainingRun | None:
    """The run with this id if it is still in this server process (training, or kept by a session), else None."""
    return _RUNS.get(run_id)


class TrainingRun:
    """Several cells trained in lockstep on the same data, in a daemon thread; the UI polls it.

    The run lives in the user's session (not in the page script), so it keeps
    training while the user looks at other pages. Only plain Python objects are
    shared with the UI thread: lists that grow (read them with ``curves()``)
    and a stop flag. At most MAX_CONCURRENT_RUNS runs train at once per server;
    later ones wait (status "waiting") so a class of thirty cannot starve the CPU.

    Each run has an ``id`` (``find_run`` finds it again, e.g. after the browser
    reloads the page) and may be given ``still_wanted``, asked about once a
    second while it waits or trains: when it has answered False for
    ORPHAN_GRACE_S seconds in a row (the tab that started it was closed) the
    run stops as if Stop were pressed (``abandoned``) and frees its slot.
    """

    def __init__(self, cfgs: list[TrainConfig], still_wanted: Callable[[], bool] | None = None):
        if not cfgs:
            raise ValueError("choose at least one cell to train")
        if len({(c.task, json.dumps(c.task_params, sort_keys=True), c.seed, c.steps, c.batch_size) for c in cfgs}) != 1:
            raise ValueError("cells trained together must share task, task parameters, seed, steps and batch size")
        self.cfgs = cfgs
        self.steps = cfgs[0].steps
        self.trainers: list[Trainer] = []
        self.status = "waiting"  # waiting -> starting -> running -> done | stopped | error
        self.error: str | None = None
        self.seconds = 0.0  # training wall time
        self.id = secrets.token_hex(4)
        self.still_wanted = still_wanted
        self.abandoned = False  # stopped because nobody wanted it any more
        self.owner: str | None = None  # the app's: the browser session that may stop it
        self._checked, self._unwanted_since = -math.inf, None  # time.monotonic() of the last ask, of the first "no"
        self._stop = threading.Event()
        _RUNS[self.id] = self
        self._thread = threading.Thread(target=self._work, name="gru-viz-training", daemon=True)

    def start(self) -> TrainingRun:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current step (it keeps what it has learned)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def active(self) -> bool:
        return self.status in ("waiting", "starting", "running")

    @property
    def step(self) -> int:
        return self.trainers[0].step if self.trainers else 0

    def _keep_going(self) -> bool:
        """False once Stop was pressed, or once ``still_wanted`` has said no for ORPHAN_GRACE_S seconds."""
        now = time.monotonic()
        if self.still_wanted is not None and not self._stop.is_set() and now - self._checked >= 1.0:
            self._checked = now
            if self.still_wanted():
                self._unwanted_since = None
            elif self._unwanted_since is None:
                self._unwanted_since = now
            elif now - self._unwanted_since >= ORPHAN_GRACE_S:
                self.abandoned = True
                self._stop.set()
        return not self._stop.is_set()

    def _work(self):
        while not _SLOTS.acquire(timeout=0.2):
            if not self._keep_going():
                self.status = "stopped"
                return
        try:
            self.status = "starting"
            import torch

            torch.set_num_threads(1)  # one core per run; the other serves the pages
            self.trainers = [Trainer(c) for c in self.cfgs]
            self.status = "running"
            t0 = time.perf_counter()

            def tick(step, losses, grad_norms):
                self.seconds = time.perf_counter() - t0
                return not self._keep_going()

            train_together(self.cfgs, self.steps, self.trainers, callback=tick)
            for tr in self.trainers:
                if not tr.test["step"] or tr.test["step"][-1] != tr.step:
                    tr.record_test()
            self.seconds = time.perf_counter() - t0
            self.status = "stopped" if self._stop.is_set() and self.step < self.steps else "done"
        except Exception as e:  # shown on the page instead of dying silently in the thread
            self.error, self.status = f"{type(e).__name__}: {e}", "error"
        finally:
            _SLOTS.release()

    def curves(self) -> list[dict]:
        """A snapshot of every cell's losses so far (copies, safe to plot while training goes on)."""
        out = []
        for tr in list(self.trainers):
            n, m = len(tr.history["step"]), len(tr.test["step"])
            out.append({"cell": tr.cfg.cell, "train_step": tr.history["step"][:n], "train_loss": tr.history["loss"][:n],
                        "test_step": tr.test["step"][:m], "test_loss": tr.test["loss"][:m]})
        return out

    @property
    def baseline(self) -> float:
        return task_batch(self.cfgs[0].task, self.cfgs[0].task_params, n=1, seed=0).baseline

    def results(self, label: str = "") -> dict[str, LoadedModel]:
        """name -> LoadedModel of every trained cell, named '<cell> · <task> · H=<H><label>'; its title says
        what tells two runs apart: '<cell> · H=<H> · lr <lr> · <task> · <steps> steps<label>'."""
        out = {}
        for tr in self.trainers:
            loaded = tr.to_numpy()
            name = loaded.entry["name"] + label
            cfg = tr.cfg
            loaded.entry["name"] = name
            loaded.entry["title"] = (f"{cfg.cell} · H={cfg.hidden_size} · lr {cfg.lr:g} · "
                                     f"{task_label(cfg.task, cfg.task_params)} · {tr.step} steps{label}")
            if self.status == "stopped":
                loaded.entry["title"] += " (stopped early)"
            out[name] = loaded
        return out


if __name__ == "__main__":
    main()
