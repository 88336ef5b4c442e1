# floe — `make demo` and `make test` work on a fresh machine with Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= auto

.PHONY: setup test lint dist demo demo-run bench clean containers airflow-venv airflow-lock

$(UV):
	$(PYTHON) -m pip install --user --quiet uv || $(PYTHON) -m pip install --quiet uv

setup: $(UV)  ## bootstrap uv if absent, then install the locked workspace
	$(UV) sync --frozen

lint: setup  ## ruff (lint + format check) and mypy --strict over the three packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup lint airflow-venv  ## every test, in parallel, with floe_dbt.profiles coverage reported (tests/airflow: .venv-airflow)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 \
	  --cov=floe_dbt.profiles --cov-report=term-missing --cov-fail-under=100

DIST ?= dist

dist: $(UV)  ## wheels of the five floe distributions (floe-data-core, -dbt, -dagster, -api, -airflow) in dist/: README "Install"
	rm -f $(DIST)/floe_data_*.whl
	$(UV) build --all-packages --wheel --out-dir $(DIST)

demo: setup  ## compile the demo and start `dagster dev` on it (UI on http://127.0.0.1:3000)
	cd demo && ../$(BIN)/floe compile
	mkdir -p $${DAGSTER_HOME:-$(CURDIR)/demo/.floe/dagster_home}
	# the instance settings `floe init --dagster-home` writes (one writer per DuckDB file: floe_dagster.pools)
	h=$${DAGSTER_HOME:-$(CURDIR)/demo/.floe/dagster_home}; test -f $$h/dagster.yaml || \
	  $(BIN)/python -c 'import sys; from floe_core.scaffold import dagster_yaml_text as t; open(sys.argv[1], "w").write(t())' $$h/dagster.yaml
	cd demo && DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/demo/.floe/dagster_home} ../$(BIN)/dagster dev \
	  -f orchestration/definitions.py -h 0.0.0.0 -p $${DEMO_PORT:-3000}

demo-run: setup  ## compile the demo, materialize every asset headless, print row counts
	cd demo && ../$(BIN)/floe compile
	cd demo && ../$(BIN)/python run_all.py

bench: setup  ## floe vs plain dagster-dbt (whole processes, sides alternated): bench/results/, docs/benchmarks.md
	cd bench && ../$(BIN)/python run.py $(BENCH_ONLY)

containers:  ## podman, its Docker-compatible socket and the local test images (root; docs/containers.md)
	bash .ci/containers.sh
	bash containers/build.sh all

AIRFLOW_VENV := .venv-airflow
AIRFLOW_PYTHON ?= 3.11

airflow-venv: $(AIRFLOW_VENV)/.synced  ## Airflow 3 + providers in its own venv, exactly airflow/requirements.lock

# rebuilt only when the lock or floe-core's / floe-airflow's metadata changes (uv's cache makes a rebuild fast)
$(AIRFLOW_VENV)/.synced: airflow/requirements.lock packages/floe-core/pyproject.toml packages/floe-airflow/pyproject.toml | $(UV)
	test -x $(AIRFLOW_VENV)/bin/python || $(UV) venv --quiet --python $(AIRFLOW_PYTHON) $(AIRFLOW_VENV)
	$(UV) pip sync --quiet --python $(AIRFLOW_VENV)/bin/python airflow/requirements.lock
	touch $@

airflow-lock: $(UV)  ## re-resolve airflow/requirements.lock from airflow/requirements.in (PyPI only)
	$(UV) pip compile --quiet --python-version $(AIRFLOW_PYTHON) --python-platform x86_64-manylinux_2_28 \
	  airflow/requirements.in -o airflow/requirements.lock

clean:
	rm -rf demo/.floe .pytest_cache .mypy_cache .ruff_cache
