"""AppTest for the Cell Step-Through and the Gradient Lab pages (no browser)."""

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import charts, figure_json

PAGES = Path(__file__).resolve().parent.parent / "gru_viz" / "pages"
TIMEOUT = 120


def page(name: str, **params) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def latex(at: AppTest) -> list[str]:
    return [e.body for e in at.get("latex")]


def figure_texts(at: AppTest) -> list[str]:
    return [figure_json(c) for c in charts(at)]


# ----------------------------------------------------------------------------
# Cell Step-Through


def test_step_through_loads_with_defaults_and_names_the_convention():
    at = page("step_through")
    clean(at)
    assert len(charts(at)) == 2  # the cell diagram and the bars
    assert len(latex(at)) == 4
    assert any("z = 1 keeps the old state" in m.value for m in at.markdown)
    assert at.slider(key="w_t").value == 21  # T // 5 + 1: the step right after the pulse


def test_step_through_on_a_projector_stacks_the_diagram_above_the_equations():
    """Side by side (8 : 5 columns) at 1024-1280 px neither the diagram's labels nor the equations had room."""
    normal = page("step_through")
    at = AppTest.from_file(str(PAGES / "step_through.py"), default_timeout=TIMEOUT)
    at.session_state["present"] = True  # what app.py sets from ?present=1 or the sidebar toggle
    at.run()
    clean(at)
    side_by_side = [round(c.weight, 3) for c in normal.columns]
    assert 0.615 in side_by_side and 0.615 not in [round(c.weight, 3) for c in at.columns]
    first = [re.search(r"aligned\} (?:\\textcolor\{#\w+\}\{)?([zrnh])_t", e.body).group(1) for e in at.get("latex")]
    assert first == ["z", "r", "n", "h"]  # each equation's left-hand side, in page order: n_t before h_t
    assert len(charts(at)) == 2 and len(at.get("latex")) == 4
    # beside the diagram (a third of a 1280 px screen with the sidebar open) the long lines break in two;
    # full width on a projector they need not
    assert sum(r"\qquad +" in e.body for e in normal.get("latex")) == 3
    assert not any(r"\qquad +" in e.body for e in at.get("latex"))


# prev / next are components.counting_button, which AppTest cannot press: tests/test_e2e_step_gradient.py presses them


def test_moving_the_slider_changes_the_diagram():
    at = page("step_through")
    before = figure_texts(at)
    at.slider(key="w_t").set_value(50).run()
    clean(at)
    assert figure_texts(at)[0] != before[0]


def test_step_through_at_the_extremes():
    at = page("step_through", T=500, H=128, t=500, units="1,64,128")
    clean(at)
    assert at.slider(key="w_t").value == 500 and len(latex(at)) == 4
    at = page("step_through", T=2, H=1, t=1)
    clean(at)
    assert at.slider(key="w_t").value == 1


@pytest.mark.parametrize("value, expected", [("1", "1.0000"), ("0", "0.0000")])
def test_update_gate_clamp_shows_in_the_equations(value, expected):
    at = page("step_through", zclamp=value, units="1")
    clean(at)
    update = [s for s in latex(at) if "W_{iz}" in s][0]
    assert rf"\begin{{bmatrix}}{expected}\end{{bmatrix}}" in update


def test_clamping_z_to_one_keeps_the_state_in_the_printed_equation():
    at = page("step_through", zclamp="1", units="1,2")
    (hidden,) = [s for s in latex(at) if r"(1 - " in s and "h_t" in s]
    vectors = [v.split(r"\\") for v in __import__("re").findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", hidden)]
    z, n, z2, h_prev, h = vectors
    assert z == ["1.0000", "1.0000"] and h == h_prev


STEP_BAD = {"t": "abc", "H": "-3", "T": "1e9", "units": "0,x", "variant": "lstm", "zclamp": "7", "scale": "inf"}


def test_step_through_malformed_url_warns_for_each_setting_and_uses_defaults():
    at = page("step_through", **STEP_BAD)
    clean(at)
    warned = " ".join(w.value for w in at.warning)
    for key in STEP_BAD:
        assert f"`{key}=" in warned, f"no warning for {key}"
    assert at.slider(key="w_t").value == 21  # the default step of the default T = 100
    assert len(charts(at)) == 2


def test_step_through_out_of_range_step_and_too_many_units_warn():
    at = page("step_through", t="9999", units="1,2,3,4,5,6,7,8,9")
    clean(at)
    assert len(at.warning) == 2


# ----------------------------------------------------------------------------
# Gradient Lab

SMALL = {"T": 40, "H": 8}


def test_gradient_lab_loads_with_defaults_and_states_the_key_number():
    at = page("gradient_lab")
    clean(at)
    assert len(charts(at)) == 6  # decay, eigenvalues, influence, GRU h, GRU z, trained models
    headline = [m.value for m in at.markdown if m.value.startswith("####")][0]
    assert "RNN's gradient falls below 1e-06 after" in headline
    assert "z = 1 keeps the old state" in at.markdown[0].value


def test_changing_the_spectral_radius_changes_the_curves():
    at = page("gradient_lab", **SMALL, lstm="off")
    before = figure_texts(at)[0]
    at.slider(key="w_rho").set_value(0.5).run()
    clean(at)
    assert figure_texts(at)[0] != before
    assert at.query_params["rho"] == "0.5"


def test_gradient_lab_keeps_its_settings_beside_the_curve_also_on_a_projector():
    """Above the curve, the settings pushed it off a 1280 x 720 screen: they sit in a column beside it (settings 1.2 :
    curves 2.3), in presentation mode too. The two heatmaps below are side by side, and full width each when
    presenting (side by side, enlarged, their ticks ran into their titles)."""
    weights = lambda at: [round(c.weight, 2) for c in at.columns]  # noqa: E731
    normal = weights(page("gradient_lab"))
    assert normal[:2] == [0.34, 0.66] and normal.count(0.5) == 2  # settings : curves, then h : gate
    at = AppTest.from_file(str(PAGES / "gradient_lab.py"), default_timeout=TIMEOUT)
    at.session_state["present"] = True
    at.run()
    clean(at)
    presenting = weights(at)
    assert presenting[:2] == [0.34, 0.66] and 0.5 not in presenting and len(charts(at)) >= 5


def test_gradient_lab_at_the_longest_sequence():
    import json

    at = page("gradient_lab", T=500, H=4)
    clean(at)
    curves = json.loads(figure_texts(at)[0])["data"]
    assert {t["name"] for t in curves} >= {"RNN (tanh)", "GRU", "LSTM"}
    for t in curves:
        if t["name"] in ("RNN (tanh)", "GRU", "LSTM"):
            x = t["x"]  # the lags 0..T, as a binary int16 array or a list
            lags = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]) if isinstance(x, dict) else np.array(x)
            np.testing.assert_array_equal(lags, np.arange(501))


def test_gradient_lab_at_the_largest_hidden_size():
    at = page("gradient_lab", T=20, H=128, lstm="off")
    clean(at)


def test_gradient_lab_at_the_top_of_the_radius_range_with_relu_explodes_with_a_message():
    at = page("gradient_lab", T=300, H=16, rho=3, nl="relu", input="noise", lstm="off")
    clean(at)
    headline = [m.value for m in at.markdown if m.value.startswith("####")][0]
    assert "explodes" in headline
    assert any("Exploding gradients" in w.value for w in at.warning)


@pytest.mark.parametrize("value", ["0", "1"])
@pytest.mark.parametrize("gate", ["update", "reset"])
def test_gate_surgery_at_zero_and_one(gate, value):
    at = page("gradient_lab", **SMALL, lstm="off", clamp=gate, cval=value, units="1-4")
    clean(at)


def test_clamping_every_update_gate_to_one_keeps_the_gru_gradient_at_one():
    at = page("gradient_lab", **SMALL, lstm="off", clamp="update", cval=1, units="all")
    headline = [m.value for m in at.markdown if m.value.startswith("####")][0]
    assert "GRU's is still 1.0e+00" in headline


def test_gate_surgery_changes_the_gru_curve():
    at = page("gradient_lab", **SMALL, lstm="off")
    before = figure_texts(at)[0]
    at.selectbox(key="w_clamp").set_value("update").run()
    clean(at)
    assert figure_texts(at)[0] != before


LAB_BAD = {"rho": "nan", "bz": "abc", "H": "0", "T": "-1", "nl": "sigmoid", "clamp": "forget", "cval": "2",
           "lstm": "maybe", "seed": "x"}


def test_gradient_lab_malformed_url_warns_for_each_setting_and_uses_defaults():
    at = page("gradient_lab", **LAB_BAD)
    clean(at)
    warned = " ".join(w.value for w in at.warning)
    for key in LAB_BAD:
        assert f"`{key}=" in warned, f"no warning for {key}"
    assert at.slider(key="w_rho").value == 1.0 and at.slider(key="w_H").value == 32
    assert len(charts(at)) == 6


def test_gradient_lab_bad_units_for_surgery_warn_and_clamp_all():
    at = page("gradient_lab", T=30, H=4, lstm="off", clamp="update", units="0-99")
    clean(at)
    assert any("Clamping all units" in w.value for w in at.warning)


def test_lab_page_recomputes_only_the_cells_a_widget_affects(monkeypatch):
    from gru_viz import workers

    kinds = []
    real = workers.call

    def counting(fn, model, *args, **kwargs):  # each cell's work goes to a worker process through workers.call
        kinds.append(model.kind)
        return real(fn, model, *args, **kwargs)

    monkeypatch.setattr(workers, "call", counting)
    at = page("gradient_lab", T=25, H=3, seed=4321)  # settings no other test uses: a cold cache
    assert sorted(kinds) == ["GRU", "LSTM", "RNN"]
    kinds.clear()
    at.slider(key="w_bz").set_value(0.0).run()  # the update-gate bias: GRU and LSTM only
    assert sorted(kinds) == ["GRU", "LSTM"]
    kinds.clear()
    at.selectbox(key="w_nl").set_value("relu").run()  # the RNN's nonlinearity: the RNN only
    assert kinds == ["RNN"]
    kinds.clear()
    at.selectbox(key="w_clamp").set_value("reset").run()  # gate surgery: the GRU only
    assert kinds == ["GRU"]
    clean(at)


@pytest.mark.parametrize("name", ["step_through", "gradient_lab"])
def test_typed_text_non_ascii_and_empty(name):
    at = page(name, input="text", text="héllo ✓ wörld", H=4, lstm="off")
    clean(at)
    if name == "step_through":
        assert at.slider(key="w_t").max == len("héllo ✓ wörld")  # one step per character
    at = page(name, input="text", text="", H=4, lstm="off")
    clean(at)
    assert any("empty" in w.value for w in at.warning)


def test_the_gradient_labs_trained_models_live_in_the_url():
    at = page("gradient_lab", trained="gru_copy,nope")
    assert not at.exception
    assert at.multiselect(key="w_trained").value == ["gru_copy"]
    assert any("nope" in w.value for w in at.warning)  # a name from another session is said, not silently lost
    at.multiselect(key="w_trained").set_value(["rnn_copy", "gru_copy"]).run()
    assert at.query_params["trained"] == "rnn_copy,gru_copy"


@pytest.mark.parametrize("variant, says", [("torch", "of the recurrent term $W_{hn} h_{t-1} + b_{hn}$"),
                                           ("cho2014", "of the old state")])
def test_the_diagram_reading_says_what_the_reset_gate_scales_in_each_form(variant, says):
    """In PyTorch's form r multiplies W_hn h + b_hn, not h itself: 'sees 55% of the old state' was Cho's reading."""
    at = page("step_through", variant=variant)
    clean(at)
    assert any("the reset gate lets" in c.value and says in c.value for c in at.caption)
