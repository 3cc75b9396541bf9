"""An agent calling tools on an MCP server in another process, in one trace.

Starts examples/mcp_server.py over stdio and calls its tools, a resource and a prompt
from inside an ``@agentotel.agent``. With both processes instrumented, each request is
one CLIENT span here and one SERVER span there, joined by the ``traceparent`` in
``params._meta``. Set ``OTEL_EXPORTER_OTLP_ENDPOINT`` to send both sides to a collector;
the server inherits the environment. Prints the trace id.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from opentelemetry import trace

import agentotel
from agentotel.instrumentation.mcp import MCPInstrumentor

SERVER = Path(__file__).with_name("mcp_server.py")


def instrument() -> agentotel.Instrumentation:
    handle = agentotel.instrument()
    if "mcp" not in handle.instrumentors:
        MCPInstrumentor().instrument(
            tracer_provider=handle.tracer_provider,
            meter_provider=handle.meter_provider,
            settings=handle.settings,
        )
    return handle


def text_of(result: Any) -> str:
    return " ".join(getattr(part, "text", "") for part in getattr(result, "content", []))


@agentotel.agent(name="weather-agent")
async def run_agent(city: str) -> str:
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=dict(os.environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        print("tools:", ", ".join(t.name for t in tools.tools))
        total = await session.call_tool("add", {"a": 2, "b": 3})
        print("add:", text_of(total))
        failed = await session.call_tool("forecast", {"city": "Atlantis"})
        # mcp 2.x names the flag is_error, mcp 1.x isError.
        print("forecast Atlantis is an error:", getattr(failed, "is_error", None) or failed.isError)
        await session.read_resource("weather://cities")
        await session.get_prompt("ask", {"city": city})
        answer = text_of(await session.call_tool("forecast", {"city": city}))
        span = trace.get_current_span().get_span_context()
        print(f"trace_id={span.trace_id:032x}")
        return answer


def main() -> None:
    handle = instrument()
    print(asyncio.run(run_agent("Paris")))
    handle.force_flush()


if __name__ == "__main__":
    main()
