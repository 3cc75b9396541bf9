"""mcp 2.x in one process (legacy mode runs the real JSON-RPC dispatcher on both sides)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agentotel import semconv
from agentotel.instrumentation.mcp import MCPInstrumentor, native_spans
from agentotel.instrumentation.mcp.telemetry import MCPTelemetry
from tests.conftest import metric_points, tree

pytestmark = pytest.mark.skipif(not native_spans(), reason="mcp 2.x only")


@pytest.fixture
def instrumented(tracer_provider: Any, meter_provider: Any) -> Iterator[MCPInstrumentor]:
    instrumentor = MCPInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


def make_app() -> Any:
    from mcp.server.mcpserver import MCPServer

    app = MCPServer("t")

    @app.tool()
    def echo(text: str) -> str:
        return text

    return app


async def call_echo() -> str:
    from mcp import Client

    async with Client(make_app(), mode="legacy") as client:
        result = await client.call_tool("echo", {"text": "hi"})
    return str(result.content[0].text)  # type: ignore[union-attr]


async def test_client_and_server_spans_in_process(
    instrumented: MCPInstrumentor,
    span_exporter: InMemorySpanExporter,
    tracer_provider: Any,
    metric_reader: Any,
) -> None:
    with tracer_provider.get_tracer("t").start_as_current_span("root"):
        assert await call_echo() == "hi"
    spans = span_exporter.get_finished_spans()
    lines = tree(spans)
    assert "  tools/call echo" in lines and "    tools/call echo" in lines
    calls = [s for s in spans if s.name == "tools/call echo"]
    assert sorted(s.kind.name for s in calls) == ["CLIENT", "SERVER"]
    client = next(s for s in calls if s.kind is SpanKind.CLIENT)
    server = next(s for s in calls if s.kind is SpanKind.SERVER)
    assert server.parent.span_id == client.context.span_id
    assert server.attributes[semconv.GEN_AI_TOOL_NAME] == "echo"
    names = set(metric_points(metric_reader))
    assert {semconv.MCP_CLIENT_OPERATION_DURATION, semconv.MCP_SERVER_OPERATION_DURATION} <= names


async def test_telemetry_failure_keeps_mcp_working(
    instrumented: MCPInstrumentor,
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(MCPTelemetry, "start", broken)
    assert await call_echo() == "hi"
    # The SDK's own helper ran instead (on the global, no-op provider here): nothing of ours.
    assert [s for s in span_exporter.get_finished_spans() if s.name.startswith("tools/call")] == []


async def test_not_instrumented_leaves_native_spans_alone(
    span_exporter: InMemorySpanExporter,
) -> None:
    assert await call_echo() == "hi"
    assert span_exporter.get_finished_spans() == ()
