"""The default export pipeline that ``agentotel.instrument()`` installs when it owns the providers."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

_log = logging.getLogger("agentotel")


def _processor(exporter: Any) -> SpanProcessor:
    try:
        from agentotel.export import BatchSpanProcessor

        return BatchSpanProcessor(exporter)  # type: ignore[no-any-return]
    except ImportError:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor as SDKBatchSpanProcessor

        return SDKBatchSpanProcessor(exporter)


def _otlp_exporter() -> Any:
    try:
        from agentotel.export import OTLPSpanExporter

        return OTLPSpanExporter()
    except ImportError:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as SDKOTLPSpanExporter,
        )

        return SDKOTLPSpanExporter()


def _store_requested() -> bool:
    value = os.environ.get("AGENTOTEL_STORE", "")
    return bool(value) and value.strip().lower() not in ("off", "0", "false", "none")


def default_processors(endpoint: bool) -> list[SpanProcessor]:
    """OTLP when an endpoint is configured; the local store when none is, or when asked for."""
    processors: list[SpanProcessor] = []
    if endpoint:
        try:
            processors.append(_processor(_otlp_exporter()))
        except Exception as exc:
            _log.warning("agentotel: OTLP exporter unavailable: %s", exc)
    store_off = os.environ.get("AGENTOTEL_STORE", "").strip().lower() in (
        "off",
        "0",
        "false",
        "none",
    )
    if (not endpoint and not store_off) or (endpoint and _store_requested()):
        try:
            from agentotel.store import StoreSpanExporter

            processors.append(_processor(StoreSpanExporter()))
        except Exception as exc:
            _log.debug("agentotel: local store unavailable: %s", exc)
    return processors


def default_meter_provider(resource: Any, endpoint: bool) -> Any:
    """A MeterProvider exporting over OTLP when an endpoint is set; ``None`` otherwise."""
    if not endpoint:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    except ImportError:
        _log.info("agentotel: install opentelemetry-exporter-otlp-proto-http to export metrics")
        return None
    from opentelemetry.sdk.metrics import MeterProvider

    from agentotel.telemetry import fastmetrics

    fast = fastmetrics.FastMeter()
    reader = fastmetrics.FastMetricReader(OTLPMetricExporter(), fast, resource)
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    fastmetrics.register(provider, fast)
    return provider
