# Kite — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SEEDS ?= 2000

.PHONY: demo test lint typecheck unit conformance bench soak task-catalog clean build-DispatcherFunction build-WorkerFunction build-DeadLetterFunction build-ApiFunction

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kite run examples/hello.yaml --fast-forward --input user=Kite

lint: $(STAMP)
	$(BIN)/ruff check engine infra functions tests bench examples
	$(BIN)/ruff format --check engine infra functions tests bench examples
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n auto

test: lint typecheck unit

conformance: $(STAMP)
	$(BIN)/python -m tests.conformance.run
	$(BIN)/python -m tests.conformance.run --backend http --scenarios

# Deterministic simulation under faults: seeds run, faults injected, and every failing seed (replayable).
soak: $(STAMP)
	$(BIN)/python -m tests.simulation.soak --seeds $(SEEDS)

bench: $(STAMP)
	$(BIN)/python -m bench.cost --workers
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.foreach_item
	$(BIN)/python bench/render_bench.py

# After adding a task type: which module registers each built-in task type (read on first use of a type).
task-catalog: $(STAMP)
	$(BIN)/python -m tests.unit.engine.test_task_catalog

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# `sam build` (BuildMethod: makefile): the functions' shared artifact is this package without extras (so
# neither moto nor time-machine), installed with its dependencies for Lambda's python3.12/arm64 by pip's
# cross-platform flags, so any local Python builds it. The dependencies are pyproject.toml's own, less what
# the Lambda runtime already has (boto3, botocore, s3transfer) and what Kite never loads (amazon.ion needs
# jsonconversion, and so numpy, only for its json_encoder): tests/infra/test_artifact.py keeps it small.
RUNTIME_PROVIDED := boto3 botocore s3transfer
NEVER_LOADED := numpy numpy.libs jsonconversion
build-DispatcherFunction build-WorkerFunction build-DeadLetterFunction build-ApiFunction:
	rm -rf "$(ARTIFACTS_DIR)/.wheel"
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir "$(ARTIFACTS_DIR)/.wheel" .
	$(PYTHON) -m pip install --quiet --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
		--only-binary=:all: --target "$(ARTIFACTS_DIR)" "$(ARTIFACTS_DIR)"/.wheel/kite-*.whl
	cd "$(ARTIFACTS_DIR)" && rm -rf .wheel bin $(RUNTIME_PROVIDED) $(NEVER_LOADED) \
		$(foreach p,$(RUNTIME_PROVIDED) $(NEVER_LOADED),$(p)-*.dist-info) && find . -name __pycache__ -prune -exec rm -rf {} +
	# Lambda's /var/task is read-only: without bytecode in the artifact every cold start compiles every module
	# (0.9 s of the dispatcher's 1.3 s import). Bytecode is only valid for the runtime's Python, 3.12.
	if $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
		$(PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"; \
	else \
		echo "note: build with Python 3.12 to ship bytecode (faster cold starts); $$($(PYTHON) -V) cannot"; \
	fi
