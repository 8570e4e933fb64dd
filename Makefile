# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install, index corpus/ into index/, start the app
#   make test  - the same set-up, then the whole test suite
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7860
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup run ingest test lint bench clean-index

setup: $(STAMP)

# torch first, pinned to the CPU build on this disk: a plain `torch` would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

ingest: setup
	$(VENV)/bin/eval-assistant ingest corpus/

# The API (/api, docs at /api/docs) and the web app (/) on one server; Ctrl-C stops it.
run: ingest
	$(VENV)/bin/eval-assistant serve --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest -q

# ruff and mypy, as configured in pyproject.toml
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Ingest and quality benchmarks summed up in one table (benchmarks/all.py); a few minutes.
bench: setup
	$(PY) benchmarks/all.py

clean-index:
	find index -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
