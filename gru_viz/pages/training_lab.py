"""Training Lab: train a plain RNN, a GRU and an LSTM on the same long-memory task, live, and compare.

controls (settings_ui) -> a TrainingRun in a background thread (gru_viz.training), kept in
st.session_state so it keeps going while the user visits other pages -> a fragment that polls
it every second -> figures_training.loss_figure -> chart. Finished models go to
st.session_state["trained_models"] (ui_models.register_finished_run, on whichever page asks first), where
the Gate Explorer and the Gradient Lab find them. The run's id is in the URL (?run=...): a reload finds it
again (attach_run), and a run whose tab has been closed for training.ORPHAN_GRACE_S seconds stops.
"""

import math

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gru_viz import checkpoints, classroom, components, figures, figures_training, limits, presets, training, ui, ui_models
from gru_viz.checkpoints import task_batch
from gru_viz.limits import Bound
from gru_viz.training import MAX_CONCURRENT_RUNS, TrainConfig, TrainingRun, task_label

CELLS = ("RNN", "GRU", "LSTM")
TASK_LABELS = {"adding": "adding problem", "copy": "copy task", "delayed_recall": "delayed recall"}
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BATCH_SIZE = 64
LEARNED = 0.5  # a test loss below this share of the trivial baseline: the model has learned its task
TASK_HELP = {
    "adding": "Each step shows a random number and a marker; exactly two steps are marked (one in each half). "
              "At the end, output the **sum of the two marked numbers**. Always answering 1 scores MSE 1/6 ≈ 0.167.",
    "copy": "A few symbols, then a long blank pause, then a go-signal: **repeat the symbols in order**. "
            "Without memory the best is to output blanks and guess the symbols.",
    "delayed_recall": "Output the number you saw **`delay` steps ago**, at every step. Always answering 0 scores MSE 1/3.",
}

# Every setting lives in the URL (ui.url_* helpers, widget key "w_" + its URL key), so a link reopens the same settings.
# They also survive a visit to another page: Streamlit forgets the state of widgets that are not on screen and the
# URL loses the page's settings, so every value is also kept in this plain dict and put back when the page returns.
SAVED = ui.page_memory("training_lab")
T_BOUND = Bound("sequence length T", limits.TRAINING_SEQ_LEN.lo + 1, limits.TRAINING_SEQ_LEN.hi)
COPY_DELAY = Bound("delay", 0, limits.TRAINING_SEQ_LEN.hi - 20)  # 2 * 10 symbols + delay <= the longest sequence
COPY_LENGTH = Bound("symbols to copy", 1, 10)
URL_KEYS = ("task", "cells", "copy_delay", "copy_len", "T", "delay", "H", "steps", "lr", "seed", "clip")
CELL_SETS = ["-".join(c for c in CELLS if c in chosen)  # "RNN-GRU": the cells in the URL, in a fixed order
             for chosen in ({"RNN"}, {"GRU"}, {"LSTM"}, {"RNN", "GRU"}, {"RNN", "LSTM"}, {"GRU", "LSTM"}, set(CELLS))]


def restore(key: str) -> str:
    """Back from another page, put the widget of setting ``key`` back as it was (unless the URL names it)."""
    ui.restore(SAVED, f"w_{key}", key)
    return key


def settings_ui(disabled: bool) -> dict:
    """The run's settings as plain values (all in the URL)."""
    c1, c2, c3 = st.columns([1.7, 1.4, 1.4] if classroom.is_presenting() else [1.2, 1.4, 1.4])  # room for 3 cells' chips
    with c1:
        task = ui.url_choice("task", restore("task"), list(TASK_LABELS), "adding", labels=TASK_LABELS, disabled=disabled)
        wkey = ui.init_widget(restore("cells"), lambda: ui.query_choice("cells", "RNN-GRU", CELL_SETS).split("-"))
        cells = st.multiselect("cells to compare (same data, same seed)", CELLS, key=wkey, disabled=disabled)
        # none chosen: nothing to train, and a link opens with the default cells
        ui.write_query(cells="-".join(c for c in CELLS if c in cells) if cells else None)
    with c2:
        if task == "copy":
            delay = ui.url_slider("delay (blank steps to bridge)", restore("copy_delay"), COPY_DELAY, 10, disabled=disabled)
            length = ui.url_slider("symbols to copy", restore("copy_len"), COPY_LENGTH, 3, disabled=disabled)
            params = {"n_symbols": 4, "length": length, "delay": delay}
            T = 2 * length + delay
        else:
            T = ui.url_slider("sequence length T", restore("T"), T_BOUND, 50, disabled=disabled)
            params = {"T": T}
            if task == "delayed_recall":
                if "w_" + restore("delay") in st.session_state:  # set it again, at most T - 1: a new T makes a new
                    st.session_state["w_delay"] = min(st.session_state["w_delay"], T - 1)  # slider, which would restart at 1
                params["delay"] = ui.url_slider("delay", "delay", Bound("delay", 1, T - 1), min(10, T - 1), disabled=disabled)
        H = ui.url_slider("hidden size H", restore("H"), limits.UI_HIDDEN_SIZE, 32, disabled=disabled)
    with c3:
        steps = ui.url_slider("training steps", restore("steps"), limits.TRAINING_STEPS, 1000, disabled=disabled,
                              help=f"each step: one Adam update on a fresh batch of {BATCH_SIZE} sequences")
        wkey = ui.init_widget(restore("lr"), lambda: float(ui.query_choice("lr", "0.003", [f"{v:g}" for v in LEARNING_RATES])))
        lr = st.select_slider("learning rate", LEARNING_RATES, key=wkey, format_func=lambda v: f"{v:g}", disabled=disabled)
        ui.write_query(lr=lr)
        seed = ui.url_number("seed", restore("seed"), presets.SEED, 0, disabled=disabled)
        wkey = ui.init_widget(restore("clip"), lambda: ui.query_choice("clip", "1", ("0", "1")) == "1")
        clip = st.checkbox("clip |grad| at 1", key=wkey, disabled=disabled,  # under the seed: room for the whole label
                           help="rescale the gradient when its norm exceeds 1 (Pascanu et al. 2013): tames exploding gradients")
        ui.write_query(clip=int(clip))
    ui.remember(SAVED, [f"w_{k}" for k in URL_KEYS])
    st.caption(f"{TASK_HELP[task]} Sequence length {T}.")
    return {"task": task, "task_params": params, "cells": cells, "hidden_size": H, "steps": steps, "lr": lr,
            "seed": int(seed), "clip": 1.0 if clip else None}


def make_run(s: dict) -> TrainingRun:
    """The configs of a run (raises ValueError, shown on the page, when a setting does not fit)."""
    eval_every = max(10, s["steps"] // 40)  # ~40 test points per curve
    cfgs = [TrainConfig(task=s["task"], task_params=s["task_params"], cell=c, hidden_size=s["hidden_size"], steps=s["steps"],
                        batch_size=BATCH_SIZE, lr=s["lr"], clip=s["clip"], seed=s["seed"], eval_every=eval_every, test_n=256)
            for c in CELLS if c in s["cells"]]
    run = TrainingRun(cfgs, still_wanted=lambda: _connected(run.owner))  # its tab closed for good: stop, free the slot
    run.owner = _this_session()
    return run


def _this_session() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def _connected(session_id: str | None) -> bool:
    """Whether that browser session is still open (always True outside a running server, e.g. in AppTest)."""
    return session_id is None or not runtime.exists() or runtime.get_instance().is_active_session(session_id)


def attach_run() -> tuple[TrainingRun | None, bool]:
    """(this session's run, whether it is only watched): the session's own run, or the one the link names.

    The link keeps the run's id (?run=...), so reloading the page finds a run that is still training and takes
    it over (its old tab is gone). Opened in a second tab while the first is still open, the run is watched
    there: progress and results, but only the tab that started it can stop it."""
    run: TrainingRun | None = st.session_state.get("training_run")
    asked = ui.query_get("run")
    if asked and (run is None or run.id != asked):
        found = training.find_run(asked)
        if found is None:
            st.info("The training run this link names is no longer on the server (it ended and its tab was closed, "
                    "or the server restarted). Press **▶ Train** to start a new one.", icon="ℹ️")
        else:
            run = st.session_state["training_run"] = found
    ui.write_query(run=run.id if run is not None else None)
    me = _this_session()
    if run is None or run.owner == me:
        return run, False
    if run.active and _connected(run.owner):
        return run, True
    run.owner = me  # its tab is gone (a reload): this one takes over
    return run, False


def live_view(run: TrainingRun):
    """Progress bar, loss curves and final numbers of ``run`` (re-drawn every second while it trains)."""
    cfg = run.cfgs[0]
    if run.status == "waiting":
        st.progress(0.0, text=f"waiting for a free training slot (at most {MAX_CONCURRENT_RUNS} runs train at once)…")
    elif run.status == "starting":
        st.progress(0.0, text="starting: loading PyTorch and building the models…")
    else:
        st.progress(min(run.step / run.steps, 1.0), text=f"step {run.step} / {run.steps} · {run.seconds:.0f} s · {run.status}")
    if run.error:
        st.error(f"Training failed: {run.error}")
    curves = run.curves()
    baseline = task_batch(cfg.task, cfg.task_params, n=1, seed=0)
    if curves:
        st.markdown(f"##### {task_label(cfg.task, cfg.task_params)} · H = {cfg.hidden_size} · lr = {cfg.lr:g} · "
                    f"seed {cfg.seed} · batch {cfg.batch_size}")
        # the x axis: all the steps asked for while training, the steps actually run once stopped
        fig = figures_training.loss_figure(curves, baseline.baseline, baseline.loss, cfg.task,
                                           steps=run.steps if run.active else max(run.step, 1))
        finals = "; ".join(f"{c['cell']} {c['test_loss'][-1]:.3g}" for c in curves if c["test_loss"])
        alt = (f"Test loss over training steps (log scale) against the trivial baseline {baseline.baseline:.3g}"
               + (f"; latest: {finals}" if finals else ""))
        classroom.show_chart(fig, None, key="training_lab_losses", filename="training-lab", alt=alt)
        if any(c["test_loss"] and not math.isfinite(c["test_loss"][-1]) for c in curves):
            st.warning("A loss became infinite or NaN: that training run exploded (try a smaller learning rate, "
                       "or gradient clipping). Its curve stops where the numbers overflowed.", icon="💥")
        cols = st.columns(len(curves))
        for col, c in zip(cols, curves, strict=True):
            if c["test_loss"]:
                loss = c["test_loss"][-1]
                col.metric(f"{c['cell']} test loss", f"{loss:.4g}")
                col.caption(f"{loss / baseline.baseline:.1%} of the trivial baseline {baseline.baseline:.3g}")
    if not run.active and st.session_state.get("training_lab_shown") is not run:
        st.rerun()  # the run ended while this fragment polled: redraw the whole page (results, buttons), stop polling


def results_ui(run: TrainingRun):
    """Register the finished run's models for the other pages and offer to open them."""
    names = ui_models.register_finished_run()
    st.success("Done: the trained models are available in the **Gate Explorer** and the **Gradient Lab** for this session."
               if run.status == "done" else f"Stopped at step {run.step}; the models as trained so far are kept.")
    for name in names:
        if classroom.is_presenting():  # the larger labels need the width: the name above its two buttons
            st.markdown(f"**{name}**")
            c2, c3, _ = st.columns([1, 1, 0.6])
        else:
            c1, c2, c3 = st.columns([2, 1, 1])
            c1.markdown(f"**{name}**")
        if c2.button("Open in Gate Explorer 🔬", key=f"open_ge_{name}"):
            open_in(name, "gru_viz/pages/gate_explorer.py")
        if c3.button("Open in Gradient Lab 📉", key=f"open_gl_{name}"):
            open_in(name, "gru_viz/pages/gradient_lab.py")
    inside_ui(names)


def look_inside(loaded, seed: int):
    """Run a trained model on one sequence of its task (T <= 200 steps: about a millisecond, so not cached; a
    cache would also have to pickle objects whose classes Streamlit may have reloaded since they were trained)."""
    model, readout, entry = loaded
    x, y = checkpoints.example_input(entry, seed=seed)  # (T, D), target
    trace = model.run(x)
    return trace, checkpoints.describe_prediction(entry, readout(trace.h), y)


def inside_ui(names: list[str]):
    """The trained model's gates on one sequence of its task: what did it learn to do?"""
    st.markdown("#### Look inside a trained model")
    models = st.session_state.get("trained_models", {})
    names = [n for n in names if n in models]
    if not names:
        return
    default = next((i for i, n in enumerate(names) if n.startswith("GRU")), 0)
    c1, c2 = st.columns([3, 1])
    name = c1.selectbox("model", names, index=default, key="tl_inside_model")
    seed = c2.number_input("sequence seed", presets.SEED.lo, presets.SEED.hi, value=0, step=1, key="tl_inside_seed")
    loaded = models[name]
    trace, said = look_inside(loaded, int(seed))
    st.markdown(f"On this sequence {said}.")
    ui.finite_or_warn(trace)
    fig = figures.trace_figure(trace, channel_names=checkpoints.channel_names(loaded.entry))
    task = task_label(loaded.entry["task"], loaded.entry["task_params"])
    caption = f"{name}: its input, gates and hidden state on one {task} sequence. {figures.key_number(trace)}"
    if loaded.model.kind == "GRU" and loaded.entry["task"] == "adding":
        caption += " Update gate: z = 1 keeps the old state. " + _adding_gate_reading(loaded.entry)
    ui.plot(fig, caption, key="training_lab_inside", filename="training-lab-inside")


def _adding_gate_reading(entry: dict) -> str:
    """What to look for in a GRU's update gate on the adding problem, if the GRU has learned the task."""
    loss, baseline = entry.get("test_loss"), entry.get("baseline")
    if isinstance(loss, float) and isinstance(baseline, float) and loss < LEARNED * baseline:
        return ("In a GRU that has learned the task it dips at the two marked steps, where the marked number is "
                "written into the state, and stays high in between.")
    share = f" ({loss / baseline:.0%} of the trivial baseline)" if isinstance(loss, float) and isinstance(baseline, float) else ""
    return (f"This GRU has not learned the task yet{share}: nothing makes its update gate single out the marked steps. "
            "Train longer, or with a larger learning rate.")


def open_in(name: str, page: str):
    st.session_state["open_model"] = name
    try:
        st.switch_page(page)
    except Exception:  # the page is run on its own (not through app.py): no other pages to switch to
        st.info(f"Open the page {page.rsplit('/', 1)[-1]} from the app's menu; {name} is selected there.")


# ----------------------------------------------------------------------------
# the page

st.title("🏋️ Training Lab")
st.markdown(
    "Train a **plain RNN, a GRU and an LSTM of the same size on the same data** and watch their test loss. "
    "The dashed line is what a network that remembers nothing scores: a curve that stays on it has learned nothing. "
    "On the adding problem with T = 50–100 the GRU usually dives below it within a few hundred steps while the RNN stays put."
)

run, watching = attach_run()
busy = run is not None and run.active
# while a run trains its (locked) settings fold away, so its live chart comes up into view on a laptop screen
with st.expander("Settings of this run (locked while it trains)") if busy else st.container(border=True):
    settings = settings_ui(disabled=busy)
with st.container():
    b1, b2, _ = st.columns([1, 1, 4])
    start = b1.button("▶ Train", type="primary", disabled=busy or not settings["cells"], width="stretch")
    stop = b2.button("■ Stop", disabled=not busy or watching, width="stretch")
    # the pressed button disables itself: the keyboard focus goes on to the one that is enabled now
    stoppable = busy and not watching
    components.focus_button_after_change("■ Stop" if stoppable else "▶ Train", "▶ Train" if stoppable else "■ Stop",
                                         f"{'stop' if stoppable else 'train'}:{getattr(run, 'id', '')}", key="focus-train-stop")
    if not settings["cells"]:
        st.warning("Choose at least one cell to train.")
    if busy and watching:
        st.caption("You are watching a run started in another open tab: only that tab can stop it.")

if stop and run is not None:
    run.stop()
    run.join(timeout=10)
    st.rerun()  # redraw the controls as enabled
if start:
    try:
        run = make_run(settings)
    except ValueError as e:
        st.error(f"Cannot train with these settings: {e}")
    else:
        st.session_state["training_run"] = run.start()
        st.rerun()  # redraw the controls as disabled, the Stop button enabled; attach_run puts its id into the link

if run is None:
    st.info("Choose the settings and press **▶ Train**. Each cell trains on the same batches, from the same seed.")
else:
    if not run.active:
        st.session_state["training_lab_shown"] = run  # this full run draws the results: the fragment must not rerun
    st.fragment(live_view, run_every=1.0 if run.active else None)(run)
    if not run.active and run.trainers:
        results_ui(run)
