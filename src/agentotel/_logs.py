"""The LoggerProvider ``instrument()`` creates when GenAI events are asked for, and only then.

``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY`` or ``SPAN_AND_EVENT``
emits ``gen_ai.client.inference.operation.details`` log records; without a LoggerProvider
they would silently go nowhere. Records leave over OTLP/HTTP when an endpoint is set and
``OTEL_LOGS_EXPORTER`` is not ``none`` (``console`` prints them). Shutdown is agentotel's
bounded exit (``AGENTOTEL_EXIT_TIMEOUT``, after spans and metrics), not the SDK's own hook.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

from agentotel import _exporters
from agentotel.export import _exit

_log = logging.getLogger("agentotel")
LOGS_ORDER = _exit.METRICS + 1


def _exporter() -> Any:
    names = _exporters.selected("logs")
    if "console" in names:
        from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter

        return ConsoleLogRecordExporter()
    if "otlp" not in names or not _exporters.endpoint_configured("logs"):
        return None
    if _exporters.protocol("logs") == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import (
                OTLPLogExporter as GrpcLogExporter,
            )
        except ImportError:
            _log.warning(
                "agentotel: OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs "
                "opentelemetry-exporter-otlp-proto-grpc; GenAI events are not exported"
            )
            return None
        return GrpcLogExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    except ImportError:
        _log.warning(
            "agentotel: GenAI events are not exported: install "
            "opentelemetry-exporter-otlp-proto-http, or set OTEL_LOGS_EXPORTER=none"
        )
        return None
    return OTLPLogExporter()


def default_logger_provider(resource: Any) -> Any:
    """An SDK LoggerProvider for GenAI events, exporting as configured, shut down at exit."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    exporter = _exporter()
    if exporter is not None:
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    provider_ref = weakref.ref(provider)

    def _at_exit(deadline: float) -> None:
        current = provider_ref()
        if current is None:
            return
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            # A flush bounded by the deadline; the SDK's shutdown would wait on its own timeout.
            current.force_flush(timeout_millis=int(remaining * 1000))
        except Exception as exc:  # out of time: events lost, nothing else
            _log.debug("agentotel: log records not flushed at exit: %s", exc)

    _exit.at_exit(_at_exit, LOGS_ORDER)
    return provider


__all__ = ["default_logger_provider"]
