"""Client here, server in a real stdio subprocess, both instrumented, both exporting OTLP to a loopback receiver.

Written against the API mcp 1.x and 2.x share (``stdio_client`` + ``ClientSession``), so the
same module also runs under mcp 1.x (see test_mcp1.py and run_mcp1.sh).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from agentotel import semconv
from agentotel.instrumentation.mcp import MCPInstrumentor, native_spans
from agentotel.telemetry.fastmetrics import FastMeterProvider
from agentotel.telemetry.fasttrace import FastTracerProvider
from tests.conftest import metric_points
from tests.instrumentation.mcp.otlp_receiver import OTLPReceiver, ReceivedSpan

ROOT = Path(__file__).resolve().parents[3]
SERVER = ROOT / "examples" / "mcp_server.py"
CLIENT = ROOT / "examples" / "mcp_client.py"

# Requests whose CLIENT and SERVER spans must pair up one to one.
PAIRED = [
    "tools/list",
    "tools/call add",
    "tools/call forecast",
    "resources/read",
    "prompts/get ask",
    "prompts/get missing",
]


def subprocess_env(endpoint: str, service: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
            "AGENTOTEL_STRICT": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
        }
    )
    if service:
        env["OTEL_SERVICE_NAME"] = service
    return env


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    with OTLPReceiver() as rx:
        yield rx


@pytest.fixture
def client_side(
    receiver: OTLPReceiver, span_path: str
) -> Iterator[tuple[TracerProvider, InMemoryMetricReader]]:
    fast = span_path == "fast"
    tracers = FastTracerProvider if fast else TracerProvider
    provider = tracers(resource=Resource.create({semconv.SERVICE_NAME: "mcp-test-client"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces"))
    )
    reader = InMemoryMetricReader()
    meters = (FastMeterProvider if fast else MeterProvider)(metric_readers=[reader])
    instrumentor = MCPInstrumentor()
    instrumentor.instrument(tracer_provider=provider, meter_provider=meters)
    yield provider, reader
    instrumentor.uninstrument()
    provider.shutdown()
    meters.shutdown()


def one(spans: list[ReceivedSpan], name: str, kind: str) -> ReceivedSpan:
    found = [s for s in spans if s.name == name and s.kind == kind]
    assert len(found) == 1, (name, kind, [(s.name, s.kind) for s in spans])
    return found[0]


async def test_one_trace_across_processes(
    receiver: OTLPReceiver, client_side: tuple[TracerProvider, InMemoryMetricReader]
) -> None:
    provider, reader = client_side
    params = StdioServerParameters(
        command=sys.executable,
        args=[str(SERVER)],
        env=subprocess_env(receiver.endpoint, "mcp-test-server"),
    )
    with provider.get_tracer("test").start_as_current_span("agent") as root:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            added = await session.call_tool("add", {"a": 1, "b": 2})
            failed = await session.call_tool("forecast", {"city": "Atlantis"})
            await session.read_resource("weather://cities")
            await session.get_prompt("ask", {"city": "Oslo"})
            with pytest.raises(Exception):  # noqa: B017 - McpError (1.x) / MCPError (2.x)
                await session.get_prompt("missing", {})
    assert "3" in str(added.content)
    assert getattr(failed, "is_error", None) or getattr(failed, "isError", None)
    trace_id = f"{root.get_span_context().trace_id:032x}"

    def server_done(rx: OTLPReceiver) -> bool:
        names = {s.name for s in rx.spans if s.service == "mcp-test-server"}
        return set(PAIRED) <= names

    assert receiver.wait_for(server_done), [(s.service, s.name) for s in receiver.spans]
    spans = receiver.spans
    assert not [s.name for s in spans if s.name.startswith("MCP send")]
    for name in PAIRED:
        client = one(spans, name, "CLIENT")
        server = one(spans, name, "SERVER")
        assert client.service == "mcp-test-client" and server.service == "mcp-test-server"
        assert client.trace_id == server.trace_id == trace_id
        assert server.parent_span_id == client.span_id
        method = name.split(" ")[0]
        for span in (client, server):
            assert span.attributes[semconv.MCP_METHOD_NAME] == method
            assert semconv.JSONRPC_REQUEST_ID in span.attributes
            assert span.scope == "agentotel.mcp"
        assert server.attributes.get(semconv.MCP_PROTOCOL_VERSION)
    for kind in ("CLIENT", "SERVER"):
        add = one(spans, "tools/call add", kind)
        assert add.attributes[semconv.GEN_AI_OPERATION_NAME] == "execute_tool"
        assert add.attributes[semconv.GEN_AI_TOOL_NAME] == "add"
        assert semconv.ERROR_TYPE not in add.attributes
        forecast = one(spans, "tools/call forecast", kind)
        assert forecast.attributes[semconv.ERROR_TYPE] == "tool_error"
        assert forecast.status_code == 2
        missing = one(spans, "prompts/get missing", kind)
        assert missing.attributes[semconv.GEN_AI_PROMPT_NAME] == "missing"
        assert missing.attributes[semconv.ERROR_TYPE]
        resource = one(spans, "resources/read", kind)
        assert resource.attributes[semconv.MCP_RESOURCE_URI] == "weather://cities"
    one(spans, "initialize", "CLIENT")
    if native_spans():
        one(spans, "initialize", "SERVER")

    # Client metrics from this process; server metrics exported by the subprocess at exit.
    points = metric_points(reader)[semconv.MCP_CLIENT_OPERATION_DURATION]
    by_method = {
        (p.attributes[semconv.MCP_METHOD_NAME], p.attributes.get(semconv.GEN_AI_TOOL_NAME))
        for p in points
    }  # type: ignore[attr-defined]
    assert {
        ("tools/call", "add"),
        ("tools/call", "forecast"),
        ("resources/read", None),
        ("prompts/get", None),
    } <= by_method
    errors = {
        p.attributes.get(semconv.ERROR_TYPE)
        for p in points
        if p.attributes.get(semconv.GEN_AI_TOOL_NAME) == "forecast"
    }  # type: ignore[attr-defined]
    assert errors == {"tool_error"}

    def server_metrics(rx: OTLPReceiver) -> bool:
        return any(p.metric == semconv.MCP_SERVER_OPERATION_DURATION for p in rx.points)

    assert receiver.wait_for(server_metrics)
    server_points = [
        p for p in receiver.points if p.metric == semconv.MCP_SERVER_OPERATION_DURATION
    ]
    assert {p.service for p in server_points} == {"mcp-test-server"}
    assert any(p.attributes.get(semconv.GEN_AI_TOOL_NAME) == "add" for p in server_points)


def test_example_client_and_server_share_one_trace(receiver: OTLPReceiver) -> None:
    env = subprocess_env(receiver.endpoint, None)
    out = subprocess.run(
        [sys.executable, str(CLIENT)], env=env, capture_output=True, text=True, timeout=90, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert "Sunny in Paris" in out.stdout
    trace_id = next(
        line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("trace_id=")
    )

    def complete(rx: OTLPReceiver) -> bool:
        names = {(s.service, s.name) for s in rx.spans}
        return ("mcp_server", "tools/call forecast") in names and (
            "mcp_client",
            "invoke_agent weather-agent",
        ) in names

    assert receiver.wait_for(complete), [(s.service, s.name) for s in receiver.spans]
    spans = [s for s in receiver.spans if s.trace_id == trace_id]
    (agent_span,) = [s for s in spans if s.name == "invoke_agent weather-agent"]
    assert agent_span.parent_span_id == ""
    clients = [s for s in spans if s.kind == "CLIENT"]
    servers = [
        s for s in spans if s.kind == "SERVER" and s.attributes.get(semconv.JSONRPC_REQUEST_ID)
    ]
    assert clients and all(c.parent_span_id == agent_span.span_id for c in clients)
    client_ids = {c.span_id for c in clients}
    assert servers and all(s.parent_span_id in client_ids for s in servers)
    assert {s.service for s in servers} == {"mcp_server"}
    assert len([s for s in servers if s.name == "tools/call forecast"]) == 2


def test_uninstrument_restores_the_sdk(tracer_provider: Any, meter_provider: Any) -> None:
    if native_spans():
        import mcp.server._otel as server_otel
        import mcp.shared.jsonrpc_dispatcher as dispatcher

        targets = [
            (dispatcher, "otel_span"),
            (server_otel, "otel_span"),
            (dispatcher.JSONRPCDispatcher, "send_raw_request"),
        ]
    else:
        import mcp.server.lowlevel.server as lowlevel
        import mcp.shared.session as session

        targets = [(session.BaseSession, "send_request"), (lowlevel.Server, "_handle_request")]
    before = [vars(owner)[name] for owner, name in targets]
    instrumentor = MCPInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert all(vars(owner)[name] is not b for (owner, name), b in zip(targets, before))
    instrumentor.uninstrument()
    assert all(vars(owner)[name] is b for (owner, name), b in zip(targets, before))
