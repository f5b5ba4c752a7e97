# newsflow: `make run` (the ingestion over the sample inbox) and `make test` (the whole suite)
# need only Python 3.11+ and make; everything else is installed from uv.lock on first use.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export PYTHONUNBUFFERED := 1

.PHONY: install run test test-fast up bench eval lint typecheck db-stop clean

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: .venv/.synced

## run: ingest the sample inbox (and the demo feed) through the Airflow DAGs; print a summary
run: install
	$(UV) run --frozen python -m newsflow_tools.demo

## test: the whole suite (CI runs exactly this)
test: install
	$(UV) run --frozen pytest -n 2

## test-fast: the inner loop: unit and integration tests without Airflow processes or the
## slow fault-injection runs
test-fast: install
	$(UV) run --frozen pytest -n 2 -m "not slow" tests/unit tests/integration

## up: the Airflow UI (airflow standalone) on the embedded Postgres; prints URL and login
up: install
	$(UV) run --frozen python -m newsflow_tools.airflow_local up

## bench: throughput and lookup figures (printed, not asserted)
bench: install
	$(UV) run --frozen python -m newsflow_tools.bench

## eval: event clustering (ECB+ dev), near-duplicate precision/recall, main-text extraction vs trafilatura
eval: install
	$(UV) run --frozen python -m newsflow_tools.evaluation

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: install
	$(UV) run --frozen mypy

db-stop: install
	$(UV) run --frozen newsflow db stop

clean:
	rm -rf .newsflow .venv .tools
