"""A Prometheus ``/metrics`` endpoint for the MeterProvider agentotel builds.

Turned on by ``AGENTOTEL_PROMETHEUS_PORT`` or by ``prometheus`` in
``OTEL_METRICS_EXPORTER`` (then on ``OTEL_EXPORTER_PROMETHEUS_PORT``, default
9464). It listens on ``AGENTOTEL_PROMETHEUS_HOST`` (or
``OTEL_EXPORTER_PROMETHEUS_HOST``), 127.0.0.1 by default, so nothing is exposed
beyond the machine unless asked. Each scrape collects the SDK's instruments and
agentotel's fast histograms, cumulatively, and encodes them with
:mod:`agentotel.export._promtext` (no extra dependency). It works beside the OTLP
reader; see docs/metrics.md for how the two share the fast meter.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricReader,
    MetricsData,
    ResourceMetrics,
)
from opentelemetry.sdk.resources import Resource

from agentotel.export import _promtext

_log = logging.getLogger("agentotel")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9464
_CUMULATIVE: dict[type, AggregationTemporality] = {
    cls: AggregationTemporality.CUMULATIVE
    for cls in (
        Counter,
        UpDownCounter,
        Histogram,
        ObservableCounter,
        ObservableUpDownCounter,
        ObservableGauge,
    )
}


@dataclass(frozen=True)
class Settings:
    """Where the endpoint listens."""

    host: str
    port: int


def settings_from_env() -> Settings | None:
    """The endpoint's settings, or ``None`` when no variable asks for it."""
    port_text = os.environ.get("AGENTOTEL_PROMETHEUS_PORT", "").strip()
    exporters = {
        part.strip().lower() for part in os.environ.get("OTEL_METRICS_EXPORTER", "").split(",")
    }
    if not port_text and "prometheus" not in exporters:
        return None
    if not port_text:
        port_text = os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "").strip()
    host = (
        os.environ.get("AGENTOTEL_PROMETHEUS_HOST", "").strip()
        or os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "").strip()
        or DEFAULT_HOST
    )
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        _log.warning("agentotel: Prometheus port %r is not a number; using %d", port_text, 9464)
        port = DEFAULT_PORT
    return Settings(host, port)


class PrometheusReader(MetricReader):
    """A pull reader: each :meth:`scrape` collects cumulatively and returns the text format."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(preferred_temporality=_CUMULATIVE)
        self._resource = resource
        self._latest: MetricsData | None = None
        self._scrape_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        self._latest = metrics_data

    def scrape(self) -> str:
        """Everything recorded so far, in the Prometheus text format."""
        with self._scrape_lock:
            self._latest = None
            self.collect()
            # A FastMeterProvider adds its fast histograms to this collection itself.
            data = self._latest
            if data is None:  # nothing recorded yet: still say who we are
                return _target_only(self._resource)
            return _promtext.encode(data)

    def serve(self, settings: Settings) -> int:
        """Start answering ``GET /metrics`` on a daemon thread; returns the bound port."""
        reader = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                try:
                    body = reader.scrape().encode()
                except Exception as exc:  # a failed collection: an error page, never a crash
                    _log.warning("agentotel: Prometheus scrape failed: %s", exc)
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", _promtext.CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # scrapes are not the application's log lines

        server = ThreadingHTTPServer((settings.host, settings.port), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(
            target=server.serve_forever, name="agentotel-prometheus", daemon=True
        )
        thread.start()
        port: int = server.server_address[1]
        return port

    @property
    def port(self) -> int | None:
        """The port the endpoint listens on (``None`` when not serving)."""
        return self._server.server_address[1] if self._server is not None else None

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


def _target_only(resource: Resource) -> str:
    return _promtext.encode(
        MetricsData(
            resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[], schema_url="")]
        )
    )


def add_reader(readers: list[Any], resource: Resource) -> None:
    """Append a serving :class:`PrometheusReader` to ``readers`` when the environment asks.

    The reader collects cumulatively. Alone, it gets agentotel's fast histograms through
    the :class:`~agentotel.telemetry.fastmetrics.FastMeterProvider`'s collection hook;
    beside an OTLP reader the provider records through the SDK's instruments, which keep
    per-reader state, so a DELTA OTLP reader and Prometheus never share points.
    """
    settings = settings_from_env()
    if settings is None:
        return
    reader = PrometheusReader(resource)
    try:
        port = reader.serve(settings)
    except OSError as exc:
        _log.warning(
            "agentotel: Prometheus endpoint not started on %s:%s: %s",
            settings.host,
            settings.port,
            exc,
        )
        return
    _log.info("agentotel: Prometheus metrics on http://%s:%d/metrics", settings.host, port)
    readers.append(reader)


__all__ = ["PrometheusReader", "Settings", "add_reader", "settings_from_env"]
