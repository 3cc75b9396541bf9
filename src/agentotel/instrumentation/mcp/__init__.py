"""Instrumentation for the ``mcp`` SDK: one CLIENT and one SERVER span per request, joined across processes.

On mcp 2.x the SDK's own spans are adopted (renamed and completed to the MCP semantic
conventions, exported through agentotel's providers); on mcp 1.x agentotel makes them
and carries the trace context in ``params._meta`` itself. Both add the
``mcp.client.operation.duration`` and ``mcp.server.operation.duration`` histograms.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.mcp import patch_v1, patch_v2
from agentotel.instrumentation.mcp.package import _instruments
from agentotel.instrumentation.mcp.telemetry import MCPTelemetry
from agentotel.telemetry import TelemetryHandler

__all__ = ["MCPInstrumentor", "native_spans"]


def native_spans() -> bool:
    """True for mcp releases that open their own spans (2.x); feature-detected, not versioned."""
    try:
        return importlib.util.find_spec("mcp.shared._otel") is not None
    except (ImportError, ValueError):
        return False


class MCPInstrumentor(AgentotelInstrumentor):
    """Traces MCP requests on clients and servers. Usable alone::

    MCPInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    """

    name = "mcp"
    module = "mcp"
    instruments = _instruments

    def _instrument(self, **kwargs: Any) -> None:
        self._providers = (kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        super()._instrument(**kwargs)

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        tracer_provider, meter_provider = getattr(self, "_providers", (None, None))
        telemetry = MCPTelemetry(tracer_provider, meter_provider, handler.settings)
        if native_spans():
            return patch_v2.patches(telemetry)
        return patch_v1.patches(telemetry)
