"""The Training Lab page under Streamlit's AppTest: a short live run, stop, results kept across page switches."""

import time
from pathlib import Path

import pytest
import torch  # before any run: see TIMEOUT below
from streamlit.testing.v1 import AppTest

from tests.app_helpers import chart_message, chart_specs, charts

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "gru_viz/pages/training_lab.py")
TIMEOUT = 60  # seconds per script run: generous, the test machine is shared
# torch is imported above, before any run: AppTest inserts and removes the page's folder in sys.path around every
# script run, and a training thread's first `import torch` that searched sys.path at that moment could skip
# site-packages ("No module named 'torch'", ~1 run in 7 when these tests ran first). The app served from its
# folder (make run) has that folder on sys.path already, so Streamlit leaves sys.path alone there.


@pytest.fixture(autouse=True)
def _stop_runs_left_behind(monkeypatch):
    """A test that fails mid-run must not leave a training thread alive at exit."""
    made = []
    real = AppTest.from_file

    def tracking(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(AppTest, "from_file", tracking)
    yield
    for at in made:
        run = at.session_state["training_run"] if "training_run" in at.session_state else None
        if run is not None:
            run.stop()
            run.join(TIMEOUT)


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def _short_settings(at: AppTest, steps: int = 12):
    at.selectbox(key="w_task").set_value("adding").run()
    at.slider(key="w_T").set_value(6)
    at.slider(key="w_H").set_value(4)
    at.slider(key="w_steps").set_value(steps)
    at.multiselect(key="w_cells").set_value(["RNN", "GRU"])
    at.run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if label in b.label)


def _wait(at: AppTest, timeout: float = TIMEOUT):
    run = at.session_state["training_run"]
    run.join(timeout)
    assert not run.active, "the training run did not finish in time"
    at.run()
    return run


def test_page_shows_settings_and_a_train_button_without_error():
    at = _page()
    assert _button(at, "Train").disabled is False and _button(at, "Stop").disabled is True
    assert at.slider(key="w_steps").max == 5000  # limits.TRAINING_STEPS: the UI cannot ask for more


def test_a_short_run_trains_both_cells_and_offers_them_to_the_other_pages():
    at = _page()
    _short_settings(at)
    _button(at, "Train").click().run()
    assert not at.exception
    run = _wait(at)
    assert run.status == "done" and run.step == 12, run.error
    assert not at.exception and not at.error
    trained = at.session_state["trained_models"]
    assert len(trained) == 2 and all(m.entry["steps"] == 12 for m in trained.values())
    assert {m.model.kind for m in trained.values()} == {"RNN", "GRU"}
    assert len(at.metric) == 2 and "test loss" in at.metric[0].label
    alt = chart_message(charts(at)[0])["alt"]  # the loss chart's text alternative (it has no caption): was "chart"
    assert alt.startswith("Test loss over training steps") and "GRU" in alt and "RNN" in alt
    assert any("Open in Gate Explorer" in b.label for b in at.button)
    assert at.selectbox(key="tl_inside_model").value.startswith("GRU")  # look inside: the GRU by default
    assert any("the model answers" in m.value for m in at.markdown)
    gru = next(m for m in trained.values() if m.model.kind == "GRU")
    learned = gru.entry["test_loss"] < 0.5 * gru.entry["baseline"]  # 12 steps: hardly ever
    said = " ".join(c.value for c in at.caption)
    assert ("dips at the two marked steps" in said) == learned and ("not learned the task yet" in said) != learned
    at.number_input(key="tl_inside_seed").set_value(3).run()
    assert not at.exception


def test_the_stop_button_ends_a_run_and_keeps_what_was_learned():
    at = _page()
    _short_settings(at, steps=5000)
    _button(at, "Train").click().run()
    run = at.session_state["training_run"]
    deadline = time.time() + TIMEOUT
    while run.step < 3 and time.time() < deadline:
        time.sleep(0.1)
    _button(at, "Stop").click().run()
    run = _wait(at)
    assert run.status == "stopped" and 3 <= run.step < 5000
    assert not at.exception
    # the x axis fits the steps actually run, not the 5000 asked for
    assert chart_specs(at)[0]["layout"]["xaxis"]["range"] == [0, run.step]
    assert all("stopped early" in m.entry["title"] for m in at.session_state["trained_models"].values())


def _query(at: AppTest) -> dict:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k] for k in at.query_params}


def test_every_setting_is_in_the_url_and_the_url_restores_it():
    at = _page()
    at.selectbox(key="w_task").set_value("delayed_recall").run()
    at.slider(key="w_T").set_value(30)
    at.slider(key="w_delay").set_value(7)
    at.slider(key="w_H").set_value(12)
    at.slider(key="w_steps").set_value(250)
    at.multiselect(key="w_cells").set_value(["LSTM", "RNN"])
    at.select_slider(key="w_lr").set_value(1e-2)
    at.number_input(key="w_seed").set_value(9)
    at.checkbox(key="w_clip").uncheck()
    at.run()
    assert not at.exception
    query = _query(at)
    assert query == {"task": "delayed_recall", "T": "30", "delay": "7", "H": "12", "steps": "250", "cells": "RNN-LSTM",
                     "lr": "0.01", "seed": "9", "clip": "0"}
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT)  # a new session opening the written link
    for k, v in query.items():
        again.query_params[k] = v
    again.run()
    assert not again.exception and not again.warning
    assert again.selectbox(key="w_task").value == "delayed_recall"
    assert (again.slider(key="w_T").value, again.slider(key="w_delay").value, again.slider(key="w_H").value) == (30, 7, 12)
    assert again.slider(key="w_steps").value == 250 and again.multiselect(key="w_cells").value == ["RNN", "LSTM"]
    assert again.select_slider(key="w_lr").value == 1e-2 and again.number_input(key="w_seed").value == 9
    assert again.checkbox(key="w_clip").value is False


def test_the_copy_tasks_settings_are_in_the_url_and_bad_ones_warn():
    at = _page()
    at.selectbox(key="w_task").set_value("copy").run()
    at.slider(key="w_copy_delay").set_value(40)
    at.slider(key="w_copy_len").set_value(5).run()
    assert _query(at)["copy_delay"] == "40" and _query(at)["copy_len"] == "5"
    bad = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for k, v in {"task": "copy", "copy_delay": "999", "cells": "GRU-XYZ", "lr": "7", "clip": "maybe"}.items():
        bad.query_params[k] = v
    bad.run()
    assert not bad.exception and len(bad.warning) == 4  # one per bad setting; each falls back to its default
    assert bad.slider(key="w_copy_delay").value == 10 and bad.multiselect(key="w_cells").value == ["RNN", "GRU"]
    assert bad.select_slider(key="w_lr").value == 3e-3 and bad.checkbox(key="w_clip").value is True


def test_no_cell_chosen_gives_a_warning_and_no_training():
    at = _page()
    at.multiselect(key="w_cells").set_value([]).run()
    assert _button(at, "Train").disabled
    assert any("at least one cell" in w.value for w in at.warning)


@pytest.mark.parametrize("task", ["copy", "delayed_recall"])
def test_every_task_shows_its_own_settings(task):
    at = _page()
    at.selectbox(key="w_task").set_value(task).run()
    assert not at.exception
    key = "w_copy_delay" if task == "copy" else "w_delay"
    assert at.slider(key=key).value >= 1


def test_settings_and_a_finished_run_survive_a_visit_to_another_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("gru_viz/pages/training_lab.py").run()
    _short_settings(at, steps=6)
    _button(at, "Train").click().run()
    _wait(at)
    at.switch_page("gru_viz/pages/home.py").run()
    at.switch_page("gru_viz/pages/training_lab.py").run()
    assert not at.exception
    assert at.slider(key="w_steps").value == 6 and at.slider(key="w_H").value == 4
    assert at.session_state["training_run"].status == "done" and len(at.metric) == 2
    # one click opens a trained model in the Gate Explorer
    name = next(iter(at.session_state["trained_models"]))
    at.button(key=f"open_ge_{name}").click().run()
    assert not at.exception
    assert any("Gate Explorer" in t.value for t in at.title)
    assert at.selectbox(key="w_weights").value == name  # the Gate Explorer opened on the trained model
    assert "open_model" not in at.session_state  # the request was taken


# ----------------------------------------------------------------------------
# the upload widget (gru_viz.ui_models.upload_ui), as the Gate Explorer uses it


def _upload_app():
    import streamlit as st

    from gru_viz import ui_models

    name = ui_models.upload_ui()
    st.write(f"selected: {name}")


def _uploaded(at: AppTest, filename: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((filename, data, "application/octet-stream")).run()
    assert not at.exception
    return at


def test_a_valid_upload_joins_the_sessions_models():
    import io


    buf = io.BytesIO()
    torch.save(torch.nn.LSTM(3, 5).state_dict(), buf)
    at = AppTest.from_function(_upload_app, default_timeout=TIMEOUT).run()
    _uploaded(at, "mine.pt", buf.getvalue())
    assert "LSTM with H = 5" in at.success[0].value
    assert list(at.session_state["trained_models"]) == ["upload: mine.pt"]
    assert at.markdown[-1].value == "selected: upload: mine.pt"


def test_a_code_carrying_upload_shows_an_error_and_runs_nothing(tmp_path):
    import pickle

    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    at = AppTest.from_function(_upload_app, default_timeout=TIMEOUT).run()
    _uploaded(at, "evil.pt", pickle.dumps({"weight_ih_l0": Payload()}))
    assert "refused" in at.error[0].value and "nothing from it was run" in at.error[0].value
    assert not marker.exists()
    assert "trained_models" not in at.session_state or not at.session_state["trained_models"]


def test_a_link_to_a_run_no_longer_on_the_server_says_so_and_offers_a_new_one():
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params["run"] = "0badc0de"
    at.run()
    assert not at.exception and "run" not in at.query_params
    assert any("no longer on the server" in i.value for i in at.info)
    assert _button(at, "Train").disabled is False


def test_a_run_that_ends_while_the_student_is_on_another_page_is_offered_there():
    from gru_viz.training import TrainConfig, TrainingRun

    cfg = TrainConfig(task="adding", task_params={"T": 6}, cell="GRU", hidden_size=4, steps=3, batch_size=8, test_n=16)
    run = TrainingRun([cfg]).start()
    run.join(TIMEOUT)
    ge = AppTest.from_file(str(ROOT / "gru_viz/pages/gate_explorer.py"), default_timeout=TIMEOUT)
    ge.session_state["training_run"] = run  # what the Training Lab left in this session; never shown there since
    ge.run()
    assert not ge.exception
    mine = [o for o in ge.selectbox(key="w_weights").options if o.startswith("this session: GRU · H=4")]
    assert len(mine) == 1 and mine[0].endswith("run 1")
