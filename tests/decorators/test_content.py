from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel import decorators as agentotel_decorators
from agentotel import semconv
from agentotel.decorators import agent, tool, workflow

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize("content", ["SPAN_ONLY"])
def test_arguments_and_results_json_safe(setup: Any, span_exporter: InMemorySpanExporter) -> None:
    class Service:
        @tool
        def move(self, p: Point, *extra: int, unit: str = "m", **opts: Any) -> dict[str, Any]:
            return {"to": Point(p.x + 1, p.y), "raw": b"\x00\x01", "nan": float("nan")}

    Service().move(Point(1, 2), 7, speed=3)
    (span,) = span_exporter.get_finished_spans()
    args = json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])
    assert args == {"p": {"x": 1, "y": 2}, "extra": [7], "unit": "m", "speed": 3}
    result = json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT])
    assert result == {"to": {"x": 2, "y": 2}, "raw": "AAE=", "nan": "nan"}


@pytest.mark.parametrize("content", ["SPAN_ONLY"])
def test_agent_messages(setup: Any, span_exporter: InMemorySpanExporter) -> None:
    @agent(name="chat")
    def chat(question: str) -> str:
        return "forty-two"

    @workflow(name="multi")
    def multi(a: int, b: list[str]) -> dict[str, int]:
        return {"n": a}

    chat("meaning of life?")
    multi(1, ["x"])
    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    chat_span = spans["invoke_agent chat"]
    assert json.loads(chat_span.attributes[semconv.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "meaning of life?"}]}
    ]
    assert json.loads(chat_span.attributes[semconv.GEN_AI_OUTPUT_MESSAGES]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "forty-two"}],
            "finish_reason": "stop",
        }
    ]
    wf = spans["invoke_workflow multi"]
    (message,) = json.loads(wf.attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert json.loads(message["parts"][0]["content"]) == {"a": 1, "b": ["x"]}


@pytest.mark.parametrize("content", ["SPAN_ONLY"])
async def test_generator_results_are_the_yielded_items(
    setup: Any, span_exporter: InMemorySpanExporter
) -> None:
    @tool
    def count(n: int) -> Iterator[int]:
        yield from range(n)

    @tool
    async def acount(n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)

    assert list(count(3)) == [0, 1, 2]
    assert [x async for x in acount(2)] == ["0", "1"]
    results = [
        json.loads(s.attributes[semconv.GEN_AI_TOOL_CALL_RESULT])
        for s in span_exporter.get_finished_spans()
    ]
    assert results == [[0, 1, 2], ["0", "1"]]


def test_content_truncated_and_valid_json(
    tracer_provider: Any, meter_provider: Any, span_exporter: InMemorySpanExporter
) -> None:
    agentotel.uninstrument()
    handle = agentotel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=True,
        max_content_length=200,
        libraries=[],
    )
    try:

        @tool
        def echo(text: str) -> str:
            return text

        echo("x" * 5000)
    finally:
        handle.uninstrument()
    (span,) = span_exporter.get_finished_spans()
    args = span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert len(args) <= 200
    assert json.loads(args)["text"].startswith("xxx")
    assert len(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT]) <= 200
    assert span.attributes[semconv.AGENTOTEL_CONTENT_TRUNCATED] is True


def test_handler_follows_instrument_state(meter_provider: Any) -> None:
    agentotel.uninstrument()
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    providers = []
    for exporter in (first, second):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        providers.append(provider)

    @tool
    def ping() -> str:
        return "pong"

    handle = agentotel.instrument(
        tracer_provider=providers[0], meter_provider=meter_provider, libraries=[]
    )
    ping()
    assert agentotel_decorators.handler() is agentotel_decorators.handler()
    handle.uninstrument()
    handle = agentotel.instrument(
        tracer_provider=providers[1], meter_provider=meter_provider, libraries=[]
    )
    ping()
    handle.uninstrument()
    assert len(first.get_finished_spans()) == 1
    assert len(second.get_finished_spans()) == 1


def test_without_instrument_uses_global_providers_and_env() -> None:
    # Needs the global provider, so it runs in a subprocess.
    script = textwrap.dedent(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from agentotel.decorators import tool

        @tool
        def early(x):
            return x

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        early(1)
        (span,) = exporter.get_finished_spans()
        print(json.dumps(dict(span.attributes)))
        """
    )
    env = dict(os.environ)
    env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
    env["PYTHONPATH"] = str(ROOT / "src")
    env.pop("PYTEST_CURRENT_TEST", None)
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    attrs = json.loads(out.stdout.strip().splitlines()[-1])
    assert attrs[semconv.GEN_AI_TOOL_NAME] == "early"
    assert json.loads(attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"x": 1}
