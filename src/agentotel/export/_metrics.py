"""Metrics leave the process inside the same exit budget as spans.

The SDK's ``MeterProvider`` flushes at exit through its reader's thread and the
metric exporter's own timeout and retries (10 s and more against a hung or
throttling endpoint). :func:`bound_exit` replaces that hook with one that runs
after the span processors, inside ``AGENTOTEL_EXIT_TIMEOUT``;
:class:`ExitAwareMetricExporter` lets the final export give up at once when
the endpoint refuses connections, instead of retrying until its timeout.
"""

from __future__ import annotations

import logging
import socket
import time
import weakref
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from agentotel.export import _exit

_log = logging.getLogger("agentotel")
_PROBE_TIMEOUT = 0.25


def refuses(endpoint: str, timeout: float = _PROBE_TIMEOUT) -> bool:
    """True only when nothing listens at ``endpoint``'s host and port (connection refused)."""
    parts = urlsplit(endpoint)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # unknown: let the exporter try within its deadline


class ExitAwareMetricExporter(MetricExporter):
    """Wraps a metric exporter; at exit, skips the export when the endpoint refuses connections."""

    def __init__(self, inner: MetricExporter, endpoint: str) -> None:
        super().__init__(
            preferred_temporality=getattr(inner, "_preferred_temporality", None),
            preferred_aggregation=getattr(inner, "_preferred_aggregation", None),
        )
        self.inner = inner
        self.endpoint = endpoint
        self.exiting = False

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if self.exiting and refuses(self.endpoint):
            return MetricExportResult.FAILURE
        return self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def bound_exit(meter_provider: Any, exporter: ExitAwareMetricExporter | None = None) -> None:
    """Shut ``meter_provider`` down at exit after the spans, by the shared exit deadline.

    Build the provider with ``shutdown_on_exit=False`` so the SDK's own
    unbounded hook is not registered as well.
    """
    provider_ref = weakref.ref(meter_provider)

    def _at_exit(deadline: float) -> None:
        provider = provider_ref()
        if provider is None:
            return
        if exporter is not None:
            exporter.exiting = True
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            provider.shutdown(timeout_millis=remaining * 1000.0)
        except Exception as exc:  # a reader that ran out of time: metrics lost, nothing else
            _log.debug("agentotel: metrics not flushed at exit: %s", exc)

    _exit.at_exit(_at_exit, _exit.METRICS)


__all__ = ["ExitAwareMetricExporter", "bound_exit", "refuses"]
