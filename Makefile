# Kite — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit conformance bench clean build-DispatcherFunction build-WorkerFunction

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kite run examples/hello.yaml --fast-forward --input user=Kite

lint: $(STAMP)
	$(BIN)/ruff check kite tests bench
	$(BIN)/ruff format --check kite tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n auto

test: lint typecheck unit

conformance: $(STAMP)
	$(BIN)/python -m tests.conformance.run

bench: $(STAMP)
	$(BIN)/python -m bench.cost
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# `sam build` (BuildMethod: makefile): the functions' shared artifact, built for Lambda's python3.12/arm64
# with pip's cross-platform flags, so any local Python works.
build-DispatcherFunction build-WorkerFunction:
	$(PYTHON) -m pip install --quiet --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
		--only-binary=:all: --target "$(ARTIFACTS_DIR)" -r requirements-lambda.txt
	cp -r kite "$(ARTIFACTS_DIR)/"
