# Two commands for a fresh machine:
#   make run    install into .venv and serve the app on http://localhost:8501
#   make test   install into .venv (and Chromium via apt) and run lint + the whole test suite

VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch's CPU wheel may lie in a local folder; pip (not uv/poetry) picks it up there.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: run test lint bench install install-test browser clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(FIND_LINKS) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q $(FIND_LINKS) -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	MALLOC_ARENA_MAX=2 $(PY) -m streamlit run app.py  # fewer malloc arenas: memory returns after a class (bench/bench_load.py)

browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  (echo "installing Debian's chromium for the browser tests" && apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji)

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .

test: $(VENV)/.installed-test browser lint
	$(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) bench/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
