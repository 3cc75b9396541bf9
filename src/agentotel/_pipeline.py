"""The default export pipeline that ``agentotel.instrument()`` installs when it owns the providers."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

_log = logging.getLogger("agentotel")

FAST_PATH_ENV = "AGENTOTEL_FAST_PATH"


def fast_path() -> bool:
    """Whether the providers agentotel builds take its fast span and metric paths.

    ``AGENTOTEL_FAST_PATH=0`` (or ``false``/``off``/``no``) builds the SDK's plain
    providers instead: an escape hatch should a new SDK release and the fast path disagree.
    """
    return os.environ.get(FAST_PATH_ENV, "").strip().lower() not in ("0", "false", "off", "no")


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

    from agentotel.telemetry.fasttrace import FastTracerProvider

    provider = (FastTracerProvider if fast_path() else TracerProvider)(resource=resource)
    for processor in default_processors(endpoint):
        provider.add_span_processor(processor)
    return provider


def default_meter_provider(resource: Any, endpoint: bool) -> Any:
    """A MeterProvider exporting as ``OTEL_METRICS_EXPORTER`` asks (OTLP with a metrics
    endpoint configured, see ``_exporters``) and serving Prometheus when asked
    (docs/metrics.md); ``None`` when nothing would export.

    With one reader the provider takes agentotel's fast metric path; with both (OTLP and
    Prometheus) it records through the SDK's instruments, which keep each reader's own
    temporality (docs/metrics.md).
    """
    from agentotel import _exporters
    from agentotel.export import prometheus

    chosen = _exporters.metric_exporter()
    if chosen is None and prometheus.settings_from_env() is None:
        return None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    from agentotel.export import _metrics
    from agentotel.telemetry.fastmetrics import FastMeterProvider

    readers: list[Any] = []
    exporter = None
    if chosen is not None:
        otlp, url = chosen
        exporter = _metrics.ExitAwareMetricExporter(otlp, url)
        readers.append(PeriodicExportingMetricReader(exporter))
    prometheus.add_reader(readers, resource)
    if not readers:
        return None
    cls = FastMeterProvider if fast_path() else MeterProvider
    # Exit is agentotel's (bounded by AGENTOTEL_EXIT_TIMEOUT, after the spans), not the SDK's.
    provider = cls(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    _metrics.bound_exit(provider, exporter)
    return provider
