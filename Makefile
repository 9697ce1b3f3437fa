# Two commands matter: `make run` (install, run an example) and `make test` (install, run every check).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
EXAMPLE ?= workflows/arithmetic.json

.PHONY: run test lint bench clean

$(PYTHON):
	python3 -c 'import sys; assert sys.version_info >= (3, 11), "stepthunk needs Python 3.11+"'
	python3 -m venv $(VENV)

$(VENV)/.run-installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(VENV)/bin/stepthunk run $(EXAMPLE) --engine inprocess

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: $(VENV)/.dev-installed
	$(PYTHON) bench/foundation.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
