# hosho — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Create the venv, install, migrate the embedded database (automatic on start) and open the UI.
run: $(STAMP)
	$(BIN)/hosho

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The whole suite: lint, types, tests (PostgreSQL too when HOSHO_TEST_POSTGRES_URL is set),
# one worker per core.
test: lint
	$(BIN)/pytest -q -n auto

bench: $(STAMP)
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
