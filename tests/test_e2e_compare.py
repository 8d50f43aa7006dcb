"""In a real browser: the Compare page shows GRU, LSTM, MGU and minGRU side by side."""

import pytest

from tests.e2e_helpers import errors_on_page, goto, plotly_data, screenshot


@pytest.mark.e2e
def test_compare_page_shows_gru_lstm_mgu_and_mingru_side_by_side(app_url, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 3100})  # tall enough for the whole page in one picture
    goto(page, app_url, "compare?cells=gru,lstm,mgu,mingru&input=sine&T=60&H=8&scale=3&seed=0", timeout=120)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"gvChart\"] .main-svg').length >= 2", timeout=120_000
    )
    assert errors_on_page(page) == []
    gates = plotly_data(page, 0)
    # one heatmap per gate and one for h: GRU r, z, h; LSTM i, f, o, h; MGU f, h; minGRU z, h
    assert sum(t["type"] == "heatmap" for t in gates) == 11
    titles = page.locator('[data-testid="gvChart"]').first.inner_text()
    for expected in ("GRU · update z", "LSTM · forget f", "MGU · forget f", "minGRU · update z"):
        assert expected in titles
    decay = plotly_data(page, 1)
    assert [t["name"] for t in decay] == ["GRU", "LSTM", "MGU", "minGRU"]
    table = page.locator('[data-testid="stDataFrame"]')
    assert table.count() == 1
    path = screenshot(page, "e2e-compare-gru-lstm-mgu-mingru")
    assert path.stat().st_size > 50_000  # a real picture, not a blank page
