"""Pytest plugin for the conformance job: swap in agentotel's instrumentor, record outcomes.

The official test modules import ``OpenAIInstrumentor`` / ``AnthropicInstrumentor``
from the official packages. Before any test module is imported, this plugin
replaces that name with the class registered under agentotel's own
``opentelemetry_instrumentor`` entry point, so every assertion runs unchanged
against agentotel. Outcomes go to a JSON file that ``conformance/run.py`` reads.
"""

from __future__ import annotations

import importlib
import json
import os
from importlib.metadata import entry_points
from typing import Any

SWAPS = {
    "openai": (
        "agentotel_openai",
        "opentelemetry.instrumentation.genai.openai",
        "OpenAIInstrumentor",
    ),
    "anthropic": (
        "agentotel_anthropic",
        "opentelemetry.instrumentation.genai.anthropic",
        "AnthropicInstrumentor",
    ),
}


def _swap() -> None:
    """Replace the official instrumentor class with agentotel's (before conftest imports it)."""
    if os.environ.get("AGENTOTEL_CONFORMANCE_CONTROL"):
        return  # control run: the official instrumentor itself, to check the harness
    entry, module_name, class_name = SWAPS[os.environ["AGENTOTEL_CONFORMANCE_SUITE"]]
    (point,) = entry_points(group="opentelemetry_instrumentor", name=entry)
    module = importlib.import_module(module_name)
    setattr(module, class_name, point.load())


_swap()

_outcomes: dict[str, dict[str, str]] = {}


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.splitlines()[0][:300] if text else ""


def pytest_runtest_logreport(report: Any) -> None:
    previous = _outcomes.get(report.nodeid)
    if report.failed:
        if previous is None or previous["outcome"] != "failed":
            _outcomes[report.nodeid] = {"outcome": "failed", "message": _message(report)}
    elif report.skipped and previous is None:
        _outcomes[report.nodeid] = {"outcome": "skipped"}
    elif report.when == "call" and report.passed and previous is None:
        _outcomes[report.nodeid] = {"outcome": "passed"}


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _outcomes[report.nodeid] = {"outcome": "failed", "message": _message(report)}


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("AGENTOTEL_CONFORMANCE_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_outcomes, f, indent=0, sort_keys=True)
