# rillm developer commands. Each target makes (or reuses) the virtual environment $(VENV) and runs its tools
# from there, so nothing needs to be activated first. `make demo` and `make test` are the two commands of the
# README; `.ci/run` runs `make test`, `make lint`, `make wheel` and `make sdist`.
.DEFAULT_GOAL := help
# The virtual environment (override: make test VENV=/tmp/env) and the Python (3.9+) that creates it.
VENV ?= .venv
PYTHON3 ?= python3
BIN := $(abspath $(VENV))/bin
PYTHON := $(BIN)/python
# maturin develop installs into the environment VIRTUAL_ENV names; zig (for `make wheel`) is found through PATH.
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(BIN):$(PATH)
DEMO_MODEL ?= anthropic/claude-sonnet-4-5
DEMO_PROMPT ?= How do I cross the street safely?

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(PYTHON):
	$(PYTHON3) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip "maturin>=1.9,<2"

.PHONY: venv
venv: $(PYTHON) ## create the virtual environment (.venv, or VENV=path) with pip and maturin

.PHONY: demo
demo: $(PYTHON) ## install rillm with the cli extra (a release build) and stream a bundled recording through completion()
	$(PYTHON) -m pip install ".[cli]"
	$(BIN)/rillm chat --mock "$(DEMO_MODEL)" "$(DEMO_PROMPT)"

.PHONY: dev
dev: $(PYTHON) ## the source in development mode: release extension built in place, test, lint and cli extras
	rm -f python/rillm/_native*.so
	$(BIN)/maturin develop --release --extras test,lint,cli

.PHONY: test
test: dev ## cargo test, then pytest on the Rust backend, then on the twin (each test once per backend it concerns)
	cargo test
	RILLM_BACKEND=rust $(PYTHON) -m pytest -n 2
	RILLM_BACKEND=python $(PYTHON) -m pytest -n 2 -m "not backend_free" tests

.PHONY: bench
bench: dev ## the pytest-benchmark suite (release build), Rust vs Python vs peers when installed; see also `rillm bench`
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only --benchmark-group-by=group \
		--benchmark-columns=min,median,mean,ops --benchmark-sort=name

.PHONY: lint
lint: dev ## rustfmt, clippy, ruff, mypy, and stubtest (the built extension against _native.pyi)
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m ruff format --check python tests benches
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest rillm._native --mypy-config-file pyproject.toml

.PHONY: format
format: dev ## format Rust and Python
	cargo fmt
	$(PYTHON) -m ruff format python tests benches
	$(PYTHON) -m ruff check --fix python tests benches

.PHONY: wheel
wheel: $(PYTHON) ## the portable wheel: manylinux2014 (glibc 2.17) abi3 x86_64, built with zig, stripped, checked by auditwheel
	$(PYTHON) -m pip install --quiet ziglang auditwheel
	rm -f dist/rillm-*.whl
	$(BIN)/maturin build --release --zig --compatibility manylinux2014 --strip --out dist
	$(PYTHON) .ci/check_wheel.py dist/rillm-*.whl

.PHONY: sdist
sdist: $(PYTHON) ## the source distribution, checked for stray files (an allow-list of top-level paths)
	rm -f dist/rillm-*.tar.gz
	$(BIN)/maturin sdist --out dist
	$(PYTHON) .ci/check_sdist.py dist/rillm-*.tar.gz
