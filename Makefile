# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs agentotel with every extra on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-crewai lint bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# CrewAI pins openai<3 and brings ~120 packages: its suite and example run in a venv of their own.
CREW_VENV := .venv-crewai
CREW_STAMP := $(CREW_VENV)/.installed

$(CREW_STAMP): pyproject.toml
	$(PYTHON) -m venv $(CREW_VENV)
	$(CREW_VENV)/bin/python -m pip install -q --upgrade pip
	$(CREW_VENV)/bin/python -m pip install -q -e '.[crewai]' pytest pytest-asyncio pytest-timeout
	touch $(CREW_STAMP)

test-crewai: $(CREW_STAMP)
	$(CREW_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/instrumentation/crewai

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-peers: $(STAMP)
	$(BIN)/python benchmarks/peers/run.py

clean:
	rm -rf $(VENV) $(CREW_VENV) .agentotel build dist
