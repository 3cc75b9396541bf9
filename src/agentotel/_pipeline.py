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


def _otlp_exporter() -> Any:
    from agentotel.export import OTLPSpanExporter

    return OTLPSpanExporter()


def default_processors(endpoint: bool) -> list[SpanProcessor]:
    """OTLP when an endpoint is configured; the local store when none is, or when asked for."""
    from agentotel.store import store_enabled, store_processor

    processors: list[SpanProcessor] = []
    if endpoint:
        try:
            processors.append(_processor(_otlp_exporter()))
        except Exception as exc:
            _log.warning("agentotel: OTLP exporter unavailable: %s", exc)
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
    """A MeterProvider exporting over OTLP when an endpoint is set and serving Prometheus
    when asked (docs/metrics.md); ``None`` when neither is.

    With one reader the provider takes agentotel's fast metric path; with both (OTLP and
    Prometheus) it records through the SDK's instruments, which keep each reader's own
    temporality (docs/metrics.md).
    """
    from agentotel.export import prometheus

    if not endpoint and prometheus.settings_from_env() is None:
        return None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    from agentotel.export import _metrics
    from agentotel.telemetry.fastmetrics import FastMeterProvider

    readers: list[Any] = []
    exporter = None
    if endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        except ImportError:
            _log.info("agentotel: install opentelemetry-exporter-otlp-proto-http to export metrics")
        else:
            otlp = OTLPMetricExporter()
            exporter = _metrics.ExitAwareMetricExporter(otlp, str(getattr(otlp, "_endpoint", "")))
            readers.append(PeriodicExportingMetricReader(exporter))
    prometheus.add_reader(readers, resource)
    if not readers:
        return None
    cls = FastMeterProvider if fast_path() else MeterProvider
    # Exit is agentotel's (bounded by AGENTOTEL_EXIT_TIMEOUT, after the spans), not the SDK's.
    provider = cls(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    _metrics.bound_exit(provider, exporter)
    return provider
