# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs agentotel with every extra on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint conformance bench bench-peers clean

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
	$(BIN)/ruff check src tests benchmarks examples conformance
	$(BIN)/ruff format --check src tests benchmarks examples conformance
	$(BIN)/mypy

# The official GenAI instrumentations' own test suites against agentotel, in a venv
# of their own (pinned SDKs; see conformance/README.md).
CONFORMANCE_VENV := .venv-conformance
$(CONFORMANCE_VENV)/.installed: pyproject.toml conformance/requirements.txt
	$(PYTHON) -m venv $(CONFORMANCE_VENV)
	$(CONFORMANCE_VENV)/bin/python -m pip install -q --upgrade pip
	$(CONFORMANCE_VENV)/bin/python -m pip install -q -e '.[openai,anthropic]' -r conformance/requirements.txt
	touch $@

conformance: $(CONFORMANCE_VENV)/.installed
	$(CONFORMANCE_VENV)/bin/python conformance/run.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-peers: $(STAMP)
	$(BIN)/python benchmarks/peers/run.py

clean:
	rm -rf $(VENV) $(CONFORMANCE_VENV) .conformance .agentotel build dist
