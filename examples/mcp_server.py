"""An MCP server over stdio, traced by agentotel (run by examples/mcp_client.py).

Every request the client sends becomes a SERVER span (``tools/call add``, ``prompts/get
ask`` ...) that is a child of the client's CLIENT span in the other process: the trace
context travels in ``params._meta``. Spans leave over OTLP when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and go to the local trace store otherwise.
Works with mcp 2.x (``MCPServer``) and mcp 1.x (``FastMCP``).
"""

from __future__ import annotations

import agentotel
from agentotel.instrumentation.mcp import MCPInstrumentor

try:
    from mcp.server.mcpserver import MCPServer
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as MCPServer  # type: ignore[no-redef]


def instrument() -> None:
    handle = agentotel.instrument()
    if "mcp" not in handle.instrumentors:
        # Until agentotel.instrument() lists mcp itself, start its instrumentor on the same providers.
        MCPInstrumentor().instrument(
            tracer_provider=handle.tracer_provider,
            meter_provider=handle.meter_provider,
            settings=handle.settings,
        )


instrument()
app = MCPServer("weather")


@app.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@app.tool()
def forecast(city: str) -> str:
    """Tomorrow's weather for a city."""
    if city == "Atlantis":
        raise ValueError("no such city")
    return f"Sunny in {city}"


@app.resource("weather://cities")
def cities() -> str:
    """The cities we know."""
    return "Paris, Oslo"


@app.prompt()
def ask(city: str) -> str:
    """A question about a city's weather."""
    return f"What is the weather in {city}?"


if __name__ == "__main__":
    app.run("stdio")
