# Greenhouse ELT — every target bootstraps what it needs (the venv from uv.lock) on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# DEST is validated by `elt` itself (the list of destinations lives in extract/settings.py)
DEST ?= duckdb
SIZE ?= default
SANDBOX_PORT ?= 8765
# pytest workers (pytest-xdist; whole test files per worker, so module fixtures build once): auto = one per CPU
TEST_WORKERS ?= auto
UV_VERSION := 0.13.9
# the image `make image` builds (and `deploy/smoke-image.sh` checks)
IMAGE ?= greenhouse-elt:local

VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# DEST=redshift / DEST=databricks need their optional extra (pyproject.toml): the venv is synced
# with it (and without it again for the other destinations; one stamp per flavour)
EXTRA := $(filter redshift databricks,$(DEST))
STAMP := $(VENV)/.synced$(if $(EXTRA),-$(EXTRA))
# the development environment holds the other extras (sandbox: make demo and the tests; bench;
# dashboard; dagster: its code location is tested here); the image installs none but sandbox
DEV_EXTRAS := sandbox bench dashboard dagster
ELT := $(VENV)/bin/elt
# extra arguments for the elt command behind a target, e.g. make run ARGS=--full-refresh
ARGS ?=

export DEST SANDBOX_PORT

.PHONY: help run check report docs-serve dashboard demo extract transform test lint bench sandbox docs image docker-build up down clean venv

help: ## List the targets
	@echo "Greenhouse ELT (dlt extract + dbt transform). Usage: make <target> [DEST=...] [ARGS=...]"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-13s\033[0m %s\n", $$1, $$2}'

.tools/bin/uv:
	@echo ">> installing uv $(UV_VERSION) into .tools/ (not found on PATH)"
	@python3 -m venv .tools/venv && .tools/venv/bin/pip install -q "uv==$(UV_VERSION)" && mkdir -p .tools/bin && ln -sf ../venv/bin/uv .tools/bin/uv

$(STAMP): uv.lock pyproject.toml | $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	@echo ">> syncing the virtual environment from uv.lock$(if $(EXTRA), (extra: $(EXTRA)))"
	@$(UV) sync --frozen --quiet --compile-bytecode $(foreach e,$(DEV_EXTRAS) $(EXTRA),--extra $(e))
	@rm -f $(VENV)/.synced $(VENV)/.synced-*
	@touch $(STAMP)

venv: $(STAMP) ## Create/refresh the virtual environment from the lock file

run: $(STAMP) ## Extract (incremental) then dbt build into DEST
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) run $(ARGS)

extract: $(STAMP) ## Extract stage only (dlt -> raw dataset in DEST)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) extract $(ARGS)

transform: $(STAMP) ## Transform stage only (dbt build in DEST)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) transform $(ARGS)

check: $(STAMP) ## Try credentials, every endpoint, the destination and dbt before any data moves
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) check $(ARGS)

demo: $(STAMP) ## Whole pipeline against the local sandbox into DuckDB, then a readable summary
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) demo $(ARGS)

sandbox: $(STAMP) ## Serve the Harvest-compatible sandbox on SANDBOX_PORT (default 8765)
	@$(ELT) sandbox --port $(SANDBOX_PORT) $(ARGS)

test: $(STAMP) ## Full test suite (starts the sandbox, uses PostgreSQL, builds the image with podman)
	@bin/ensure-postgres
	@bin/ensure-chromium
	@bin/ensure-podman
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy, sqlfluff, hadolint, shellcheck, compose/workflow/Kubernetes schema checks
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bin/lint

bench: $(STAMP) ## Benchmarks (SIZE=default|enterprise); writes bench/results/
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) bench --size $(SIZE) $(ARGS)

report: $(STAMP) ## HTML report with charts from the marts of DEST (data/report.html)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) report $(ARGS)

docs: $(STAMP) ## dbt docs generate
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) docs $(ARGS)

docs-serve: $(STAMP) ## dbt docs generate + serve on 127.0.0.1 (DBT_DOCS_PORT, default 8080)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) docs-serve $(ARGS)

dashboard: $(STAMP) ## dlt's pipeline dashboard (marimo) for the pipeline DEST's run wrote (DLT_DASHBOARD_PORT, default 2718)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(ELT) dashboard $(ARGS)

image: ## Build the container image IMAGE (docker, or podman without a Docker engine; local base images without a registry)
	@deploy/build-image.sh $(IMAGE)

docker-build: ## Build the container image with a Docker engine (docker build)
	docker build -t $(IMAGE) .

up: ## docker compose up: sandbox + postgres + pipeline (needs a Docker engine)
	docker compose up --build --abort-on-container-exit --exit-code-from pipeline pipeline

down: ## docker compose down
	docker compose down --remove-orphans

clean: ## Remove build artefacts, local data and dbt target dirs
	rm -rf data/ transform/target transform/dbt_packages transform/logs logs .pytest_cache bench/results/tmp
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
