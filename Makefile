# rillm developer commands. Run them in an activated virtual environment.
.DEFAULT_GOAL := help
PYTHON ?= python

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: dev
dev: ## build the release extension in place, with the test and lint tools
	$(PYTHON) -m pip install "maturin>=1.9,<2"
	rm -f python/rillm/_native*.so
	maturin develop --release --extras test,lint

.PHONY: test
test: ## cargo test, then pytest on the Rust backend and on the pure-Python twin
	cargo test
	RILLM_BACKEND=rust $(PYTHON) -m pytest
	RILLM_BACKEND=python $(PYTHON) -m pytest

.PHONY: bench
bench: ## the benchmarks (release build), Rust vs Python vs peers when installed
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only --benchmark-group-by=group \
		--benchmark-columns=min,median,mean,ops --benchmark-sort=name

.PHONY: lint
lint: ## rustfmt, clippy, ruff, mypy, and stubtest (the built extension against _native.pyi)
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m ruff format --check python tests benches
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest rillm._native --mypy-config-file pyproject.toml

.PHONY: format
format: ## format Rust and Python
	cargo fmt
	$(PYTHON) -m ruff format python tests benches
	$(PYTHON) -m ruff check --fix python tests benches
