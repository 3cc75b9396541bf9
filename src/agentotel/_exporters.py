"""Which exporter each signal gets, from the standard OpenTelemetry variables.

Read as the SDK's auto-configuration reads them: ``OTEL_TRACES_EXPORTER``,
``OTEL_METRICS_EXPORTER`` and ``OTEL_LOGS_EXPORTER`` (comma lists of ``otlp``,
``console``, ``none``; ``otlp`` by default), ``OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL``
(``http/protobuf`` by agentotel's own exporter for spans and the SDK's for metrics;
``grpc`` through the SDK's gRPC exporters when installed), and ``OTEL_SDK_DISABLED``.
An ``otlp`` exporter is only built when an endpoint is configured for that signal
(``OTEL_EXPORTER_OTLP_[SIGNAL_]ENDPOINT``): without one, spans go to the local store.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Final

_log = logging.getLogger("agentotel")

KNOWN: Final = ("otlp", "console", "none")
_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: Any) -> None:
    if key not in _warned:
        _warned.add(key)
        _log.warning(message, *args)


def sdk_disabled() -> bool:
    """``OTEL_SDK_DISABLED=true``: agentotel sets up nothing and instruments nothing."""
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def selected(signal: str) -> list[str]:
    """``OTEL_{SIGNAL}_EXPORTER`` as a list (``otlp`` when unset); unknown names warn once."""
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "").strip().lower()
    names = [n.strip() for n in raw.split(",") if n.strip()] or ["otlp"]
    for name in names:
        if name not in KNOWN:
            _warn_once(
                f"{signal}:{name}",
                "agentotel: OTEL_%s_EXPORTER=%s is not supported (otlp, console or none)",
                signal.upper(),
                name,
            )
    if "none" in names:
        return []
    return [n for n in names if n in KNOWN]


def endpoint_configured(signal: str) -> bool:
    """An OTLP endpoint set for ``signal`` or for all signals."""
    return bool(
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT", "").strip()
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    )


def protocol(signal: str) -> str:
    """``OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL`` or ``OTEL_EXPORTER_OTLP_PROTOCOL``; http/protobuf."""
    raw = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", "").strip()
    raw = raw or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip()
    return raw.lower() or "http/protobuf"


def _grpc_missing(signal: str) -> None:
    _warn_once(
        f"grpc:{signal}",
        "agentotel: OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs opentelemetry-exporter-otlp-proto-grpc"
        " (pip install opentelemetry-exporter-otlp-proto-grpc); %s are not exported. "
        "Or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf.",
        signal,
    )


def span_exporters() -> list[Any]:
    """The span exporters the variables ask for (agentotel's own for http/protobuf)."""
    exporters: list[Any] = []
    for name in selected("traces"):
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name == "otlp" and endpoint_configured("traces"):
            if protocol("traces") == "grpc":
                try:
                    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                        OTLPSpanExporter as GrpcSpanExporter,
                    )
                except ImportError:
                    _grpc_missing("traces")
                    continue
                exporters.append(GrpcSpanExporter())
            else:
                from agentotel.export import OTLPSpanExporter

                exporters.append(OTLPSpanExporter())
    return exporters


def metric_exporter() -> tuple[Any, str] | None:
    """The metric exporter the variables ask for and its endpoint, or None (first entry wins)."""
    for name in selected("metrics"):
        if name == "console":
            from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

            return ConsoleMetricExporter(), ""
        if name == "otlp" and endpoint_configured("metrics"):
            if protocol("metrics") == "grpc":
                try:
                    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
                        OTLPMetricExporter as GrpcMetricExporter,
                    )
                except ImportError:
                    _grpc_missing("metrics")
                    return None
                grpc = GrpcMetricExporter()
                return grpc, str(getattr(grpc, "_endpoint", ""))
            try:
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                    OTLPMetricExporter,
                )
            except ImportError:
                _warn_once(
                    "metrics:http",
                    "agentotel: metrics are not exported: install "
                    "opentelemetry-exporter-otlp-proto-http, or set OTEL_METRICS_EXPORTER=none",
                )
                return None
            otlp = OTLPMetricExporter()
            return otlp, str(getattr(otlp, "_endpoint", ""))
    return None


__all__ = [
    "endpoint_configured",
    "metric_exporter",
    "protocol",
    "sdk_disabled",
    "selected",
    "span_exporters",
]
