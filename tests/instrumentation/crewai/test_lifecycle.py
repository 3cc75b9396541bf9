"""Uninstrument restores CrewAI; CrewAI's own telemetry and agentotel's never mix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("crewai", reason="crewai runs in its own venv: make test-crewai")

from crewai import Crew, Task
from crewai.agent.core import Agent
from crewai.llms.base_llm import BaseLLM
from crewai.llms.providers.openai.completion import OpenAICompletion
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel.instrumentation.crewai import CrewAIInstrumentor
from agentotel.testing import Reply, ScriptedModelServer
from tests.instrumentation.crewai import crews

PATCHED = [
    (Crew, "kickoff"),
    (Task, "_execute_core"),
    (Agent, "execute_task"),
    (OpenAICompletion, "call"),
    (BaseLLM, "_emit_call_completed_event"),
]


def test_uninstrument_restores_everything(
    tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    originals = [vars(owner)[name] for owner, name in PATCHED]
    instrumentor = CrewAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    assert all(hasattr(vars(owner)[name], "__wrapped__") for owner, name in PATCHED)
    instrumentor.uninstrument()
    assert [vars(owner)[name] for owner, name in PATCHED] == originals
    with ScriptedModelServer([Reply(text="a"), Reply(text="b")]) as server:
        crews.sequential(server.openai_base_url, tools=[]).kickoff()
    assert span_exporter.get_finished_spans() == ()


def test_crewai_telemetry_keeps_its_own_provider(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    """CrewAI's telemetry builds a private TracerProvider: the global one is not touched,
    so CrewAI's spans never reach the application's pipeline and agentotel's never
    reach CrewAI's endpoint."""
    from crewai.telemetry import Telemetry

    before = trace.get_tracer_provider()
    instrument()
    telemetry = Telemetry()
    with ScriptedModelServer([Reply(text="a"), Reply(text="b")]) as server:
        crews.sequential(server.openai_base_url, tools=[]).kickoff()
    assert trace.get_tracer_provider() is before
    assert getattr(telemetry, "provider", None) is not before
    names = {s.instrumentation_scope.name for s in span_exporter.get_finished_spans()}
    assert all(name.startswith("agentotel") for name in names), names


def test_example_runs() -> None:
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, str(root / "examples" / "crewai_crew.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert out.stdout.splitlines()[-9:] == [
        "Pack sunglasses.",
        "invoke_workflow trip",
        "  invoke_agent Scout",
        "    chat gpt-4o-mini",
        "    execute_tool get_weather",
        "    chat gpt-4o-mini",
        "  invoke_agent Advisor",
        "    chat gpt-4o-mini",
        "spans for 3 model requests: 3 chat spans",
    ]
