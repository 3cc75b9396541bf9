"""Instrument/uninstrument, double instrumentation, telemetry failures, import order, the example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wrapt
from pydantic_ai import Agent
from pydantic_ai.capabilities import AbstractCapability, Instrumentation
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.models.test import TestModel

from agentotel import _safety
from agentotel.instrumentation.pydantic_ai import PydanticAIInstrumentor
from agentotel.instrumentation.pydantic_ai.capability import AgentotelCapability
from agentotel.telemetry import TelemetryHandler
from tests.conftest import tree

ROOT = Path(__file__).resolve().parents[3]
TREE = ["invoke_agent echo", "  chat test"]
MODEL_METHODS = [
    lambda cls=cls, name=name: vars(cls)[name]
    for cls in (OpenAIChatModel, OpenAIResponsesModel, AnthropicModel)
    for name in ("request", "request_stream")
]


def echo() -> Agent[None, str]:
    return Agent(TestModel(), name="echo")


def test_instrument_uninstrument_cycle(
    tracer_provider: Any, meter_provider: Any, span_exporter: Any
) -> None:
    instrumentor = PydanticAIInstrumentor()
    for _ in range(2):
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            assert isinstance(vars(Agent)["iter"], wrapt.FunctionWrapper)
            assert isinstance(vars(Instrumentation)["wrap_run"], wrapt.FunctionWrapper)
            for method in MODEL_METHODS:
                assert isinstance(method(), wrapt.FunctionWrapper)
            echo().run_sync("hi")
            assert tree(span_exporter.get_finished_spans()) == TREE
            span_exporter.clear()
        finally:
            instrumentor.uninstrument()
        assert not isinstance(vars(Agent)["iter"], wrapt.FunctionWrapper)
        native_hook = vars(Instrumentation)["wrap_run"]
        assert not isinstance(native_hook, wrapt.FunctionWrapper)
        assert native_hook is not AbstractCapability.wrap_run
        for method in MODEL_METHODS:
            assert not isinstance(method(), wrapt.FunctionWrapper)
        echo().run_sync("hi")
        assert span_exporter.get_finished_spans() == ()


def test_double_instrument_reports_once(
    tracer_provider: Any, meter_provider: Any, span_exporter: Any
) -> None:
    instrumentor = PydanticAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    PydanticAIInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        echo().run_sync("hi")
    finally:
        instrumentor.uninstrument()
    assert tree(span_exporter.get_finished_spans()) == TREE


def test_capability_passed_by_the_user_is_not_added_twice(
    instrument: PydanticAIInstrumentor, span_exporter: Any
) -> None:
    assert instrument.handler is not None
    echo().run_sync("hi", capabilities=[AgentotelCapability(instrument.handler)])
    assert tree(span_exporter.get_finished_spans()) == TREE


@pytest.mark.parametrize("method", ["inference", "agent", "tool"])
def test_telemetry_failure_keeps_the_result(
    instrument: PydanticAIInstrumentor,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(TelemetryHandler, method, broken)
    agent = Agent(TestModel(), name="sturdy")

    @agent.tool_plain
    def add(x: int, y: int) -> int:
        return x + y

    assert agent.run_sync("1 + 2").output == '{"add":0}'
    assert sum(_safety.error_counts.values()) >= 1


def test_instrumenting_before_pydantic_ai_is_imported() -> None:
    script = """
import sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from agentotel.instrumentation.pydantic_ai import PydanticAIInstrumentor
assert "pydantic_ai" not in sys.modules
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
instrumentor = PydanticAIInstrumentor()
instrumentor.instrument(tracer_provider=provider)
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel
Agent(TestModel(), name="late").run_sync("hi")
print(sorted(s.name for s in exporter.get_finished_spans()))
# The model classes that call instrumented SDKs are patched when they are imported, not before.
import wrapt
assert "pydantic_ai.models.openai" not in sys.modules
from pydantic_ai.models.openai import OpenAIChatModel
assert isinstance(vars(OpenAIChatModel)["request_stream"], wrapt.FunctionWrapper)
instrumentor.uninstrument()
assert not isinstance(vars(OpenAIChatModel)["request_stream"], wrapt.FunctionWrapper)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "['chat test', 'invoke_agent late']"


def test_example_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pydantic_ai_agent.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.splitlines()[-5:] == [
        "invoke_agent weather",
        "  chat gpt-4o",
        "  execute_tool get_weather",
        "  chat gpt-4o",
        "spans for 2 model requests: 2 chat spans",
    ]
