"""AppTest (streamlit.testing.v1) for every page: loads with defaults and with extreme
settings without an exception, widgets change the computed result, bad URL parameters
give a warning and the defaults.

One section per page; each engineer owns the section for their pages.
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import chart_specs

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "gru_viz" / "pages"
TIMEOUT = 60  # seconds per script run (the test machine is shared and slow)


def page_test(name: str, **query) -> AppTest:
    """AppTest of one page script with the given URL parameters, run once."""
    at = AppTest.from_file(str(PAGES / name), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = str(v)
    return at.run()


def decode(a):
    """A Plotly JSON array (a list, or NumPy's binary form {dtype, bdata, shape}) as a NumPy array."""
    if isinstance(a, dict) and "bdata" in a:
        v = np.frombuffer(base64.b64decode(a["bdata"]), dtype=np.dtype(a["dtype"]))
        return v.reshape([int(n) for n in str(a["shape"]).split(",")]) if "shape" in a else v
    return np.asarray(a)


def heat(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("type") == "heatmap" and t.get("name") == name)


# ============================================================================ home (B1)


def test_home_runs_in_the_app_and_links_every_page_and_lesson():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    labels = [el.proto.label for el in at.get("page_link")]
    for title in ("Gate Explorer", "Cell Step-Through", "Gradient Lab"):
        assert f"**{title}**" in labels
    n_lessons = len(list((ROOT / "lessons").glob("*.md")))
    assert sum(label[:1].isdigit() for label in labels) == n_lessons
    assert "z = 1 keeps the old state" in " ".join(m.value for m in at.markdown)


def test_home_runs_on_its_own_with_plain_links():
    at = page_test("home.py")
    assert not at.exception
    assert "(/gate-explorer)" in " ".join(m.value for m in at.markdown)


# ============================================================================ gate explorer (B1)


def explorer(**query) -> AppTest:
    """The Gate Explorer with random weights (the default is a trained GRU when one is shipped)."""
    return page_test("gate_explorer.py", **({"weights": "random"} | query))


def test_gate_explorer_loads_with_defaults_a_trained_gru_if_shipped():
    from gru_viz import ui

    at = page_test("gate_explorer.py")
    assert not at.exception and not at.error
    expected = ui.first_checkpoint("GRU")
    if expected != "random":
        assert at.selectbox(key="w_weights").value == expected and at.query_params["weights"] == expected
    names = [t["name"] for t in chart_specs(at)[0]["data"] if t["type"] == "heatmap"]
    assert names == ["reset", "update", "candidate", "h"]


def test_gate_explorer_with_random_weights_loads_with_defaults_and_writes_them_to_the_url():
    at = explorer()
    assert not at.exception and not at.error
    assert at.radio(key="w_cell").value == "GRU" and at.slider(key="w_T").value == 100
    assert at.query_params["cell"] == "GRU" and at.query_params["T"] == "100"
    spec = chart_specs(at)[0]
    names = [t["name"] for t in spec["data"] if t["type"] == "heatmap"]
    assert names == ["reset", "update", "candidate", "h"]
    assert "z = 1 keeps the old state" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("cell", ["GRU", "LSTM", "RNN"])
def test_gate_explorer_at_the_largest_settings_runs_without_exception(cell):
    at = explorer(cell=cell, T=500, H=128, scale=5, input="noise")
    assert not at.exception and not at.error
    assert at.slider(key="w_T").value == 500 and at.slider(key="w_H").value == 128
    assert sum(len(json.dumps(s)) for s in chart_specs(at)) < 1_000_000


def test_gate_explorer_panels_can_be_left_out_and_the_link_keeps_the_choice():
    """A teacher telling "z holds a memory" shows input, z and h only: the six-panel figure did not fit a screen."""
    at = page_test("gate_explorer.py", weights="random", hide="reset,candidate,mean,nonsense")
    assert not at.exception
    names = [t["name"] for t in chart_specs(at)[0]["data"] if t["type"] == "heatmap"]
    assert names == ["update", "h"] and at.query_params["hide"] == "reset,candidate,mean"
    assert any("`nonsense`, which is no panel" in w.value for w in at.warning)
    pills = at.button_group(key="w_show_GRU")
    pills.set_value(["x", "reset", "update", "h"]).run()
    assert [t["name"] for t in chart_specs(at)[0]["data"] if t["type"] == "heatmap"] == ["reset", "update", "h"]
    assert at.query_params["hide"] == "candidate,mean"
    at.radio(key="w_cell").set_value("LSTM").run()  # another cell: what it shares (the means) stays hidden
    assert not at.exception and at.query_params["hide"] == "mean"
    assert [t["name"] for t in chart_specs(at)[0]["data"] if t["type"] == "heatmap"] == ["input", "forget", "output",
                                                                                          "cell", "h", "c"]


def test_gate_explorer_longest_text_and_non_ascii_text_run():
    at = explorer(input="text", text="ünïcödé ✓ " * 50)
    assert not at.exception and not at.error
    assert at.text_input(key="w_text").value.startswith("ünïcödé")


def test_a_link_that_sets_the_cell_but_no_weights_gets_random_weights_of_that_cell():
    # ?cell=LSTM&H=8 used to show the default trained GRU, ignoring both without a word
    at = page_test("gate_explorer.py", cell="LSTM", H=8)
    assert not at.exception and not at.error
    assert at.selectbox(key="w_weights").value == "random" and at.radio(key="w_cell").value == "LSTM"
    assert decode(heat(chart_specs(at)[0], "forget")["z"]).shape[0] == 8


def test_gate_explorer_text_longer_than_the_model_reads_is_cut_with_a_message_not_dropped():
    # the box takes a long paste (the browser silently drops one past max_chars); the page cuts it and says so
    at = explorer(input="text")
    assert at.text_input(key="w_text").max_chars >= 4 * 500  # room for 500 emoji, two UTF-16 units each
    at.text_input(key="w_text").set_value("x" * 600).run()
    assert not at.exception and not at.error
    assert any("only the first 500 are used" in w.value for w in at.warning)
    assert len(decode(heat(chart_specs(at)[0], "update")["x"])) == 500  # 500 steps: the model reads the first 500


def test_gate_explorer_empty_text_warns_and_uses_the_example():
    at = explorer(input="text")
    at.text_input(key="w_text").set_value("").run()
    assert not at.exception
    assert any("empty" in w.value for w in at.warning)


def test_changing_sequence_length_changes_the_chart():
    at = explorer()
    before = heat(chart_specs(at)[0], "update")
    at.slider(key="w_T").set_value(40).run()
    after = heat(chart_specs(at)[0], "update")
    assert not at.exception
    assert decode(before["x"]).tolist() == list(range(1, 101))
    assert decode(after["x"]).tolist() == list(range(1, 41)) and at.query_params["T"] == "40"


def test_changing_the_cell_changes_the_gates_shown():
    at = explorer()
    at.radio(key="w_cell").set_value("LSTM").run()
    names = [t["name"] for t in chart_specs(at)[0]["data"] if t["type"] == "heatmap"]
    assert names == ["input", "forget", "output", "cell", "h", "c"]
    assert at.markdown[1].value.startswith("#### Forget gate mean")


def test_changing_the_seed_changes_the_numbers():
    at = explorer()
    before = decode(heat(chart_specs(at)[0], "h")["z"])
    at.number_input(key="w_seed").set_value(7).run()
    after = decode(heat(chart_specs(at)[0], "h")["z"])
    assert before.shape == after.shape and not np.allclose(before, after)


@pytest.mark.parametrize("query, key, default", [
    (dict(T="abc"), "w_T", 100),
    (dict(T="100000"), "w_T", 100),
    (dict(H="-3"), "w_H", 16),
    (dict(scale="nan"), "w_scale", 1.0),
    (dict(cell="Transformer"), "w_cell", "GRU"),
    (dict(input="<script>"), "w_input", "pulse"),
])
def test_malformed_url_parameters_warn_and_fall_back_to_defaults(query, key, default):
    at = explorer(**query)
    assert not at.exception
    (name,) = query
    assert any(f"`{name}={query[name]}` was ignored" in w.value for w in at.warning)
    assert at.session_state[key] == default
    assert at.query_params[name] == (f"{default:g}" if isinstance(default, float) else str(default))


def test_url_settings_reproduce_the_picture():
    a = explorer(cell="GRU", H=5, T=30, seed=3, scale=2.5, input="sine")
    b = page_test("gate_explorer.py", **dict(a.query_params))
    assert b.query_params["weights"] == "random"
    assert chart_specs(a)[0]["data"] == chart_specs(b)[0]["data"]
    assert heat(chart_specs(a)[0], "h")["z"] != heat(chart_specs(explorer())[0], "h")["z"]


def test_gate_explorer_with_a_trained_checkpoint_shows_its_sizes_and_task_input():
    from gru_viz import checkpoints

    entries = checkpoints.list_checkpoints()
    if not entries:
        pytest.skip("no shipped checkpoints")
    e = entries[0]
    at = page_test("gate_explorer.py", weights=e["name"])
    assert not at.exception and not at.error
    assert at.selectbox(key="w_input").value == "task"
    update = heat(chart_specs(at)[0], "update" if e["cell"] == "GRU" else "forget")
    assert decode(update["y"]).tolist() == list(range(1, e["hidden_size"] + 1))
    assert decode(update["z"]).shape == (e["hidden_size"], e["task_params"]["T"])
    assert f"H = **{e['hidden_size']}**" in " ".join(m.value for m in at.markdown)


def test_gate_explorer_link_with_a_checkpoint_and_a_random_weights_setting_says_it_does_not_apply():
    from gru_viz import checkpoints

    if "gru_adding_T100" not in {e["name"] for e in checkpoints.list_checkpoints()}:
        pytest.skip("no shipped checkpoint gru_adding_T100")
    at = page_test("gate_explorer.py", weights="gru_adding_T100", cell="LSTM", H=8, scale=1, seed=0)
    assert not at.exception and not at.error
    (note,) = at.info
    assert "`cell=LSTM`" in note.value and "`H=8`" in note.value and "scale" not in note.value  # scale 1, seed 0: its own
    assert not {"cell", "H", "scale", "seed"} & set(at.query_params)  # the link it leaves describes what is shown
    at = page_test("gate_explorer.py", weights="gru_adding_T100", cell="GRU", H=32)  # what the checkpoint is: no note
    assert not at.info and not {"cell", "H"} & set(at.query_params)


def test_gate_explorer_choosing_a_checkpoint_puts_random_settings_aside_and_random_init_brings_them_back():
    at = page_test("gate_explorer.py", weights="random", cell="LSTM", H=8)
    choice = at.selectbox(key="w_weights")
    if len(choice.options) < 2:
        pytest.skip("no shipped checkpoints")
    choice.select_index(1).run()
    assert not at.info and not {"cell", "H", "scale", "seed"} & set(at.query_params)  # not the link's: no note
    at.selectbox(key="w_weights").select_index(0).run()
    assert at.radio(key="w_cell").value == "LSTM" and at.slider(key="w_H").value == 8
    assert at.query_params["cell"] == "LSTM" and at.query_params["H"] == "8"


@pytest.mark.parametrize("name, offered", [("gru_adding_T100", ["task", "adding"]), ("gru_copy", ["task"])])
def test_gate_explorer_offers_a_checkpoint_only_the_inputs_it_can_read(name, offered):
    from gru_viz import checkpoints, presets

    if name not in {e["name"] for e in checkpoints.list_checkpoints()}:
        pytest.skip(f"no shipped checkpoint {name}")
    at = page_test("gate_explorer.py", weights=name)  # the copy task's 6 channels: no pulse, sine, noise or text
    labels = {**presets.PRESET_LABELS, "task": "a sample of its training task"}
    assert at.selectbox(key="w_input").options == [labels[o] for o in offered]
    at = page_test("gate_explorer.py", weights=name, input="text")  # an old link: a message and its own task instead
    assert not at.exception and not at.error
    assert at.selectbox(key="w_input").value == "task" and any("input" in w.value for w in at.warning)


def test_gate_explorer_chart_holds_the_numbers_of_the_model_it_names():
    from gru_viz import presets

    at = explorer(cell="GRU", H=6, T=30, seed=2, scale=1.5, input="sine")
    x, _ = presets.build_input("sine", 30)
    trace = presets.build_model("GRU", 1, 6, seed=2, init_scale=1.5).run(x)
    spec = chart_specs(at)[0]
    for gate in ("reset", "update", "candidate"):
        np.testing.assert_allclose(decode(heat(spec, gate)["z"]), trace.gates[gate].T, rtol=1e-6)
    np.testing.assert_allclose(decode(heat(spec, "h")["z"]), trace.h.T, rtol=1e-6)


def test_switching_to_a_checkpoint_feeds_it_its_own_task():
    from gru_viz import checkpoints

    entries = checkpoints.list_checkpoints()
    if not entries:
        pytest.skip("no shipped checkpoints")
    at = explorer(input="pulse")
    at.selectbox(key="w_weights").set_value(entries[-1]["name"]).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="w_input").value == "task"


def test_pages_that_share_url_keys_start_from_their_own_settings_after_a_page_switch():
    # H, T, input, units and cells are URL keys of several pages, but each page has its own widgets under them:
    # a value one page leaves behind must not seed another's (a slider then sat at its minimum, H = 1 and T = 2,
    # and step-through's list of units met the Gradient Lab's text box)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)

    def go(page):  # as the sidebar does: the new page opens without the old page's query string
        at.query_params.clear()
        at.switch_page(f"gru_viz/pages/{page}.py").run()
        assert not at.exception

    at.run()
    go("step_through")
    at.slider(key="w_H").set_value(8).run()
    at.slider(key="w_T").set_value(100).run()
    go("gradient_lab")
    assert (at.slider(key="w_H").value, at.slider(key="w_T").value, at.selectbox(key="w_input").value) == (32, 200, "noise")
    at.selectbox(key="w_clamp").set_value("update").run()
    at.text_input(key="w_units").set_value("1-4").run()
    go("step_through")
    assert at.multiselect(key="w_units").value == [0, 1, 2]  # its own default units, not the text "1-4"
    go("compare")
    go("training_lab")
    assert at.multiselect(key="w_cells").value == ["RNN", "GRU"]  # not the Compare page's registry keys


# ============================================================================ odd link values (helper-23's fuzzing)


@pytest.mark.parametrize("page, query, quoted", [
    ("lessons.py", {"lesson": "²"}, "lesson `²`"),  # '²'.isdigit() is True, int('²') raised: a traceback
    ("lessons.py", {"lesson": "1", "step": "9" * 5000}, "step `9999"),  # int() refuses 5000 digits
    ("lessons.py", {"lesson": "٣"}, "lesson `٣`"),  # an Arabic-Indic 3 opened lesson 3 without a word
    ("step_through.py", {"H": "²"}, "`H=²` was ignored"),
    ("step_through.py", {"units": "1,²"}, "`units=1,²` was ignored"),
    ("compare.py", {"cells": "x" * 10_000}, "The link's cells xxx"),
    ("gradient_lab.py", {"rho": "1_0"}, "`rho=1_0` was ignored"),  # float() reads it as 10
    ("gradient_lab.py", {"rho": "١.٥"}, "`rho=١.٥` was ignored"),  # float() reads Arabic-Indic digits as 1.5
])
def test_an_odd_link_value_warns_briefly_in_plain_words_and_never_raises(page, query, quoted):
    at = page_test(page, **query)
    assert not at.exception
    (warning,) = [w.value for w in at.warning if quoted in w.value]
    assert len(warning) < 400 and "invalid literal" not in warning and "base 10" not in warning


def test_gate_explorer_link_with_a_checkpoint_and_a_length_says_the_task_sets_it():
    from gru_viz import checkpoints

    if "gru_adding_T100" not in {e["name"] for e in checkpoints.list_checkpoints()}:
        pytest.skip("no shipped checkpoint gru_adding_T100")
    at = page_test("gate_explorer.py", weights="gru_adding_T100", T=50)
    assert not at.exception and "T" not in at.query_params
    assert any("`T=50` does not apply" in i.value for i in at.info)
    at.selectbox(key="w_input").set_value("adding").run()  # an input whose length the reader sets
    assert at.slider(key="w_T").value == 100 and at.query_params["T"] == "100"
    at.selectbox(key="w_input").set_value("task").run()  # back to the task: T leaves the link without a word
    assert "T" not in at.query_params and not at.info


def test_back_onto_an_entry_with_another_pages_settings_shows_the_page_as_it_was_left():
    # Streamlit's race on a page change (ui.repair_mixed_history_entry): the browser can push the Gate Explorer's
    # settings on the Step-Through's path; Back from the Gate Explorer then reran the Step-Through with them (t = 21)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.query_params.clear()
    at.switch_page("gru_viz/pages/step_through.py").run()
    at.slider(key="w_t").set_value(23).run()
    left = dict(at.query_params)
    assert left["t"] == "23"
    at.query_params.clear()
    at.switch_page("gru_viz/pages/gate_explorer.py").run()
    explorer_settings = dict(at.query_params)
    assert explorer_settings and explorer_settings != left
    at.switch_page("gru_viz/pages/step_through.py").run()  # Back onto the mixed entry: the explorer's settings
    assert not at.exception and not at.warning
    assert at.slider(key="w_t").value == 23 and dict(at.query_params) == left
