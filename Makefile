# The README's two commands are `make repro` and `make test`; both set up first.
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
PYTEST_ARGS ?=

.PHONY: setup repro test test-fast lint

setup:
	@VENV=$(VENV) bash scripts/setup.sh

# stages fork from one interpreter that imported torch once (benchmarks/warm.py); plain `dvc repro` gives the same results
repro: setup
	starcaster warm -- dvc repro

test: setup
	python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: setup
	python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

# ruff (pyproject [tool.ruff]) and the layers of .importlinter (docs/architecture.md)
lint: setup
	ruff check .
	lint-imports
