# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs agentotel with every extra on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

# Real backends from PyPI (Phoenix, oteltap) in .venv-interop; see docs/interop.md.
.PHONY: interop
interop: $(STAMP)
	$(BIN)/python tests/interop/run.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-peers: $(STAMP)
	$(BIN)/python benchmarks/peers/run.py

clean:
	rm -rf $(VENV) .agentotel build dist
