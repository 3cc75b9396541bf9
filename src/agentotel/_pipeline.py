"""The default export pipeline that ``agentotel.instrument()`` installs when it owns the providers."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

_log = logging.getLogger("agentotel")


def _processor(exporter: Any) -> SpanProcessor:
    from agentotel.export import BatchSpanProcessor

    return BatchSpanProcessor(exporter)


def default_processors(endpoint: bool) -> list[SpanProcessor]:
    """The exporters ``OTEL_TRACES_EXPORTER`` asks for (OTLP only with an endpoint configured,
    see ``_exporters``); the local store when no endpoint is, or when asked for.
    ``endpoint`` is kept for callers; the environment decides."""
    from agentotel import _exporters
    from agentotel.store import store_enabled, store_processor

    processors: list[SpanProcessor] = []
    try:
        for exporter in _exporters.span_exporters():
            processors.append(_processor(exporter))
    except Exception as exc:
        _log.warning("agentotel: span exporter unavailable: %s", exc)
    if store_enabled():
        processors.append(store_processor())
    return processors


def default_tracer_provider(resource: Any, endpoint: bool) -> Any:
    """An SDK TracerProvider with the default processors, on agentotel's fast span path."""
    from opentelemetry.sdk.trace import TracerProvider

    from agentotel.telemetry import fasttrace

    provider = TracerProvider(resource=resource)
    for processor in default_processors(endpoint):
        provider.add_span_processor(processor)
    fasttrace.register(provider)
    return provider


def default_meter_provider(resource: Any, endpoint: bool) -> Any:
    """A MeterProvider exporting as ``OTEL_METRICS_EXPORTER`` asks (OTLP with a metrics
    endpoint configured); ``None`` when nothing would export (see ``_exporters``)."""
    from agentotel import _exporters

    chosen = _exporters.metric_exporter()
    if chosen is None:
        return None
    otlp, url = chosen
    from opentelemetry.sdk.metrics import MeterProvider

    from agentotel.export import _metrics
    from agentotel.telemetry import fastmetrics

    fast = fastmetrics.FastMeter()
    exporter = _metrics.ExitAwareMetricExporter(otlp, url)
    reader = fastmetrics.FastMetricReader(exporter, fast, resource)
    # Exit is agentotel's (bounded by AGENTOTEL_EXIT_TIMEOUT, after the spans), not the SDK's.
    provider = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
    _metrics.bound_exit(provider, exporter)
    fastmetrics.register(provider, fast)
    return provider
