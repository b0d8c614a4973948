# Two commands from a fresh clone: `make plan` (set up, then plan dev offline) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev

.PHONY: setup plan plan-prod test lint typecheck unit inventory bench clean

setup: $(STAMP)

# Re-install whenever the pinned dependencies change.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -m pip install --quiet --editable '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import components, infra, policies, mlplat"
	@touch $@

plan: setup
	$(BIN)/mlplat plan $(STACK)

plan-prod: setup
	$(BIN)/mlplat plan prod

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/pyright

unit: setup
	$(BIN)/pytest -q

test: lint typecheck unit

# Re-record the reviewed plan inventories under tests/inventory/ (review the diff before committing).
inventory: setup
	MLPLAT_RECORD_INVENTORY=1 $(BIN)/pytest -q tests/test_inventory.py

bench: setup
	$(BIN)/python -m mlplat.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
