# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs agentotel with every extra on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A second venv with the oldest OpenTelemetry releases agentotel supports (.ci/oldest.txt).
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed
# What the oldest SDK must pass: everything that touches the SDK (the span and metric paths,
# every instrumentor on both, the export pipeline). mcp 1.x has its own venv test: skipped here.
OLDEST_TESTS := tests/telemetry tests/instrumentation tests/export tests/decorators tests/test_default_pipeline.py
# That test compares agentotel's encoder with the SDK's, whose encoder before 1.40 cannot encode
# a None inside an array (agentotel's can): the reference, not agentotel, differs there.
OLDEST_SKIP := --deselect tests/export/test_encoding.py::test_every_value_type_and_empty_values

.PHONY: demo test test-oldest test-crewai lint conformance bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	touch $(STAMP)

$(OLDEST_STAMP): pyproject.toml .ci/oldest.txt
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --upgrade pip
	$(OLDEST)/bin/python -m pip install -q -c .ci/oldest.txt -e '.[all,dev]'
	touch $(OLDEST_STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The same tests on the oldest supported opentelemetry-api/-sdk (the newest is what `make test` gets).
test-oldest: $(OLDEST_STAMP)
	$(OLDEST)/bin/python -c "import importlib.metadata as m; print('opentelemetry-sdk', m.version('opentelemetry-sdk'))"
	AGENTOTEL_SKIP_MCP1=1 $(OLDEST)/bin/python -m pytest -q -p no:cacheprovider $(OLDEST_SKIP) $(OLDEST_TESTS)

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

# Real backends from PyPI (Phoenix, oteltap) in .venv-interop; see docs/interop.md.
.PHONY: interop
interop: $(STAMP)
	$(BIN)/python tests/interop/run.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-peers: $(STAMP)
	$(BIN)/python benchmarks/peers/run.py

clean:
	rm -rf $(VENV) $(OLDEST) $(CREW_VENV) $(CONFORMANCE_VENV) .conformance .agentotel build dist
