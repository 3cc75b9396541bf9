"""OTLP/HTTP protobuf span exporter: hand-encoded bodies over one kept-alive connection."""

from __future__ import annotations

import http.client
import os
import random
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import urlsplit

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_COMPRESSION,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.util.re import parse_env_headers

from agentotel import semconv
from agentotel.export._encoding import EncodedBatch, encode_batch, encode_spans
from agentotel.export._http import Connection, TLSConnection
from agentotel.export._staged import Outcome
from agentotel.export._wire import parse_partial_success
from agentotel.version import __version__

DEFAULT_ENDPOINT: Final = "http://localhost:4318/v1/traces"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_GZIP_LEVEL: Final = 3
_RETRYABLE: Final = frozenset({429, 502, 503, 504})
_MAX_ATTEMPTS: Final = 8
_component_ids = iter(range(1 << 62))


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The traces URL: the argument, ``..._TRACES_ENDPOINT`` as is, or the base + ``/v1/traces``."""
    if endpoint:
        return endpoint
    traces = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "").strip()
    if traces:
        return traces
    base = os.environ.get(OTEL_EXPORTER_OTLP_ENDPOINT, "").strip()
    if base:
        return base.rstrip("/") + "/v1/traces"
    return DEFAULT_ENDPOINT


def resolve_timeout(timeout: float | None = None) -> float:
    """Seconds per export. Env values are seconds as in the Python SDK; >= 1000 means milliseconds."""
    if timeout is not None:
        return float(timeout)
    raw = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_TIMEOUT) or os.environ.get(
        OTEL_EXPORTER_OTLP_TIMEOUT
    )
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT
    if value <= 0:
        return DEFAULT_TIMEOUT
    return value / 1000.0 if value >= 1000 else value


def resolve_compression(compression: object = None) -> str:
    """``"gzip"`` or ``"none"``: the argument (a string or an enum with a ``value``) or the env."""
    raw: object = compression
    if raw is None:
        raw = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_COMPRESSION) or os.environ.get(
            OTEL_EXPORTER_OTLP_COMPRESSION
        )
    if raw is not None and not isinstance(raw, str):
        raw = getattr(raw, "value", raw)
    text = str(raw or "none").strip().lower()
    return "gzip" if text == "gzip" else "none"


def resolve_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Env headers (signal-specific variable first), overridden by the argument."""
    raw = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_HEADERS) or os.environ.get(
        OTEL_EXPORTER_OTLP_HEADERS, ""
    )
    out = {k.lower(): v for k, v in parse_env_headers(raw, liberal=True).items()}
    if headers:
        out.update({k.lower(): v for k, v in headers.items()})
    return out


def _env_first(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def retry_after_seconds(value: str | None) -> float | None:
    """Parse ``Retry-After`` (delay seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - time.time(), 0.0)
    if seconds != seconds or seconds < 0:
        return None
    return seconds


@dataclass
class ExporterStats:
    """Counts kept by an :class:`OTLPSpanExporter` since it was created."""

    exported: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    inflight: int = 0
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    circuit_open: bool = False
    last_error: str | None = None


class _Breaker:
    """Opens after ``threshold`` consecutive failed attempts; half-opens after a growing cooldown."""

    def __init__(self, threshold: int, cooldown: float, max_cooldown: float) -> None:
        self.threshold = max(1, threshold)
        self.min_cooldown = cooldown
        self.max_cooldown = max(cooldown, max_cooldown)
        self.cooldown = cooldown
        self.failures = 0
        self.open_until = 0.0

    def allows(self, now: float) -> bool:
        return self.failures < self.threshold or now >= self.open_until

    def is_open(self, now: float) -> bool:
        return self.failures >= self.threshold and now < self.open_until

    def success(self) -> None:
        self.failures = 0
        self.cooldown = self.min_cooldown
        self.open_until = 0.0

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = now + self.cooldown
            self.cooldown = min(self.cooldown * 2, self.max_cooldown)


class _Attempt:
    __slots__ = ("body", "error", "refused", "retry_after", "status")

    def __init__(
        self,
        status: int | None,
        body: bytes = b"",
        retry_after: float | None = None,
        error: str | None = None,
        refused: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.error = error
        self.refused = refused


class OTLPSpanExporter(SpanExporter):
    """Sends spans to an OTLP/HTTP receiver as protobuf (``application/x-protobuf``).

    ``endpoint`` is the full traces URL; without it ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
    is used as is, or ``OTEL_EXPORTER_OTLP_ENDPOINT`` with ``/v1/traces`` appended.
    Exports retry on 429/502/503/504 and connection errors with jittered exponential
    backoff (honouring ``Retry-After``) until ``timeout`` seconds have passed; after
    ``breaker_threshold`` consecutive failed attempts a circuit breaker drops batches
    without encoding them until a cooldown has passed.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        compression: object = None,
        *,
        certificate_file: str | None = None,
        client_key_file: str | None = None,
        client_certificate_file: str | None = None,
        compression_level: int = DEFAULT_GZIP_LEVEL,
        retry_initial_backoff: float = 0.5,
        retry_max_backoff: float = 8.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 1.0,
        breaker_max_cooldown: float = 30.0,
        encode_yield_every: int = 32,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unsupported OTLP/HTTP endpoint {self.endpoint!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = resolve_timeout(timeout)
        self.compression = resolve_compression(compression)
        self._level = max(1, min(9, compression_level))
        request_headers = {
            "content-type": "application/x-protobuf",
            "user-agent": f"agentotel/{__version__}",
        }
        request_headers.update(resolve_headers(headers))
        if self.compression == "gzip":
            request_headers["content-encoding"] = "gzip"
        self._headers = request_headers
        self._ssl: ssl.SSLContext | None = None
        if self._https:
            cafile = certificate_file or _env_first(
                OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE, OTEL_EXPORTER_OTLP_CERTIFICATE
            )
            self._ssl = ssl.create_default_context(cafile=cafile)
            cert = client_certificate_file or _env_first(
                OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
            )
            key = client_key_file or _env_first(
                OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY, OTEL_EXPORTER_OTLP_CLIENT_KEY
            )
            if cert:
                self._ssl.load_cert_chain(cert, key)
        self._backoff = (max(0.0, retry_initial_backoff), max(0.0, retry_max_backoff))
        self._breaker = _Breaker(breaker_threshold, breaker_cooldown, breaker_max_cooldown)
        self._yield_every = max(0, encode_yield_every)
        self._conn: Connection | TLSConnection | None = None
        self._send_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats = ExporterStats()
        self._stop = threading.Event()
        self._shutdown = False
        self._component_name = f"{semconv.COMPONENT_OTLP_HTTP_SPAN_EXPORTER}/{next(_component_ids)}"
        self._duration: Any = None
        self._metrics_registered = False
        if meter_provider is not None:
            self.register_metrics(meter_provider)
        if hasattr(os, "register_at_fork"):
            weak_self = weakref.ref(self)

            def _after_fork() -> None:
                exporter = weak_self()
                if exporter is not None:
                    exporter._after_fork()

            os.register_at_fork(after_in_child=_after_fork)

    # --- the SpanExporter interface ---------------------------------------------------

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Encode and send one batch, retrying within ``timeout``; SUCCESS only on full delivery."""
        outcome = self.export_spans(spans, time.monotonic() + self.timeout)
        return SpanExportResult.SUCCESS if outcome.failed == 0 else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        """Stop retries in progress and close the connection; later exports fail at once."""
        self._shutdown = True
        self._stop.set()
        if self._send_lock.acquire(timeout=0.05):
            try:
                self._close()
            finally:
                self._send_lock.release()
            return
        # A request is in flight: cut its socket so the sending thread returns now.
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered here; the processor does the buffering."""
        return True

    # --- the StagedExporter interface the agentotel BatchSpanProcessor drives -----------

    def new_batch(self) -> EncodedBatch:
        """An empty batch that encodes spans to protobuf bytes as they are added."""
        return EncodedBatch()

    def accepts(self) -> bool:
        """False while the circuit breaker is open (batches would be dropped unencoded)."""
        return not self._shutdown and self._breaker.allows(time.monotonic())

    def encode(self, spans: Sequence[ReadableSpan], yield_gil: bool = True) -> bytes:
        """The request body for ``spans``; with ``yield_gil`` it releases the GIL every few dozen spans."""
        return encode_spans(spans, self._yield_every if yield_gil else 0)

    def drop(self, count: int, error_type: str) -> None:
        """Count spans lost before they reached the wire."""
        if count > 0:
            self._count_failed(count, error_type)

    def export_spans(self, spans: Sequence[ReadableSpan], deadline: float) -> Outcome:
        """Encode and send ``spans`` by ``deadline`` (a ``time.monotonic()`` value)."""
        count = len(spans)
        if count == 0:
            return Outcome(0, 0)
        if self._shutdown:
            self.drop(count, semconv.DROP_ALREADY_SHUTDOWN)
            return Outcome(0, count, semconv.DROP_ALREADY_SHUTDOWN)
        if not self.accepts():
            self.drop(count, semconv.DROP_CIRCUIT_OPEN)
            return Outcome(0, count, semconv.DROP_CIRCUIT_OPEN)
        batch = encode_batch(spans, self._yield_every)
        lost = count - batch.count  # spans that could not be encoded
        if lost:
            self.drop(lost, semconv.DROP_EXPORT_FAILED)
        if not batch.count:
            return Outcome(0, lost, semconv.DROP_EXPORT_FAILED)
        outcome = self.send(batch.body(), batch.count, deadline)
        if not lost:
            return outcome
        return Outcome(
            outcome.exported,
            outcome.failed + lost,
            outcome.error_type or semconv.DROP_EXPORT_FAILED,
            outcome.status_code,
        )

    def send(self, body: bytes, count: int, deadline: float, *, patient: bool = True) -> Outcome:
        """POST an encoded body, retrying transient failures until ``deadline``.

        With ``patient=False`` (a flush or shutdown waits on this) a refused
        connection ends the export at once: nobody is listening, and retrying
        would only hold the caller until the deadline.
        """
        if self._shutdown:
            self.drop(count, semconv.DROP_ALREADY_SHUTDOWN)
            return Outcome(0, count, semconv.DROP_ALREADY_SHUTDOWN)
        started = time.perf_counter()
        deadline = min(deadline, time.monotonic() + self.timeout)
        payload = self._compress(body)
        with self._stats_lock:
            self._stats.inflight += count
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            outcome = self._send_with_retries(payload, count, deadline, patient)
        finally:
            detach(token)
            with self._stats_lock:
                self._stats.inflight -= count
        self._record(outcome, count, time.perf_counter() - started)
        return outcome

    def stats(self) -> ExporterStats:
        """A snapshot of the exporter's counters."""
        with self._stats_lock:
            snap = ExporterStats(**{**self._stats.__dict__, "failed": dict(self._stats.failed)})
        snap.circuit_open = self._breaker.is_open(time.monotonic())
        return snap

    # --- internals --------------------------------------------------------------------

    def _compress(self, body: bytes) -> bytes:
        if self.compression != "gzip":
            return body
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, 31)
        return compressor.compress(body) + compressor.flush()

    def _send_with_retries(
        self, payload: bytes, count: int, deadline: float, patient: bool = True
    ) -> Outcome:
        error_type: str | None = None
        status: int | None = None
        for attempt in range(_MAX_ATTEMPTS):
            now = time.monotonic()
            if self._stop.is_set():
                error_type = error_type or semconv.DROP_ALREADY_SHUTDOWN
                break
            if not self._breaker.allows(now):
                error_type = error_type or semconv.DROP_CIRCUIT_OPEN
                break
            remaining = deadline - now
            if remaining <= 0:
                error_type = error_type or semconv.DROP_TIMEOUT
                break
            result = self._post(payload, remaining)
            status = result.status
            if status is not None and 200 <= status < 300:
                self._breaker.success()
                return self._accepted(result.body, count)
            retryable = status is None or status in _RETRYABLE
            error_type = result.error or str(status)
            if status is None or status >= 500:
                self._breaker.failure(time.monotonic())
            elif status == 429:
                self._breaker.success()  # the receiver is up, only busy
            if not retryable or (result.refused and not patient):
                break
            delay = result.retry_after
            if delay is None:
                base, cap = self._backoff
                delay = min(cap, base * (2**attempt)) * random.uniform(0.5, 1.5)
            if time.monotonic() + delay >= deadline:
                break
            with self._stats_lock:
                self._stats.retries += 1
            if self._stop.wait(delay):
                error_type = error_type or semconv.DROP_ALREADY_SHUTDOWN
                break
        error = error_type or semconv.DROP_EXPORT_FAILED
        self._count_failed(count, error)
        return Outcome(0, count, error, status)

    def _accepted(self, body: bytes, count: int) -> Outcome:
        partial = parse_partial_success(body)
        rejected = min(partial.rejected_spans, count) if partial is not None else 0
        with self._stats_lock:
            self._stats.exported += count - rejected
            if rejected:
                self._stats.rejected += rejected
                failed = self._stats.failed
                failed[semconv.DROP_REJECTED] = failed.get(semconv.DROP_REJECTED, 0) + rejected
                self._stats.last_error = partial.error_message if partial else None
        if rejected:
            return Outcome(count - rejected, rejected, semconv.DROP_REJECTED)
        return Outcome(count, 0)

    def _count_failed(self, count: int, error_type: str) -> None:
        with self._stats_lock:
            failed = self._stats.failed
            failed[error_type] = failed.get(error_type, 0) + count
            self._stats.last_error = error_type

    def _connection(self, timeout: float) -> Connection | TLSConnection:
        conn = self._conn
        if conn is None:
            if self._https:
                conn = TLSConnection(self._host, self._port, timeout=timeout, context=self._ssl)
            else:
                conn = Connection(self._host, self._port, timeout=timeout)
            self._conn = conn
        else:
            conn.set_timeout(timeout)
        return conn

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _post(self, payload: bytes, timeout: float) -> _Attempt:
        """One POST; a stale kept-alive connection is retried once on a fresh one."""
        with self._send_lock:
            for fresh in (False, True):
                reused = self._conn is not None and not fresh
                started = time.monotonic()
                try:
                    conn = self._connection(timeout)
                    conn.request("POST", self._path, body=payload, headers=self._headers)
                    response = conn.getresponse()
                    body = response.read()
                except TimeoutError:
                    self._close()
                    return _Attempt(None, error=semconv.DROP_TIMEOUT)
                except (OSError, http.client.HTTPException) as exc:
                    self._close()
                    if isinstance(exc, BlockingIOError) or time.monotonic() - started >= timeout:
                        # A kernel socket timeout surfaces as EAGAIN or as an empty read.
                        return _Attempt(None, error=semconv.DROP_TIMEOUT)
                    if reused:
                        continue
                    return _Attempt(
                        None,
                        error=type(exc).__qualname__,
                        refused=isinstance(exc, ConnectionRefusedError),
                    )
                with self._stats_lock:
                    self._stats.requests += 1
                    self._stats.bytes_sent += len(payload)
                if response.will_close:
                    self._close()
                return _Attempt(
                    response.status,
                    body,
                    retry_after_seconds(response.getheader("retry-after")),
                )
        return _Attempt(None, error=semconv.DROP_EXPORT_FAILED)  # pragma: no cover

    def _after_fork(self) -> None:
        # The parent's socket and locks must not be shared with a child process.
        self._conn = None
        self._send_lock = threading.Lock()
        self._stats_lock = threading.Lock()

    # --- self-observability -------------------------------------------------------------

    def _attrs(self) -> dict[str, str | int]:
        return {
            semconv.OTEL_COMPONENT_TYPE: semconv.COMPONENT_OTLP_HTTP_SPAN_EXPORTER,
            semconv.OTEL_COMPONENT_NAME: self._component_name,
            semconv.SERVER_ADDRESS: self._host,
            semconv.SERVER_PORT: self._port,
        }

    def register_metrics(self, meter_provider: MeterProvider) -> None:
        """Expose the ``otel.sdk.exporter.span.*`` instruments on ``meter_provider`` (once)."""
        if self._metrics_registered:
            return
        self._metrics_registered = True
        meter = meter_provider.get_meter("agentotel.export", __version__)
        base = self._attrs()

        def exported(_options: CallbackOptions) -> list[Observation]:
            snap = self.stats()
            out = [Observation(snap.exported, base)]
            out.extend(
                Observation(n, {**base, semconv.ERROR_TYPE: reason})
                for reason, n in sorted(snap.failed.items())
            )
            return out

        def inflight(_options: CallbackOptions) -> list[Observation]:
            return [Observation(self.stats().inflight, base)]

        meter.create_observable_counter(
            semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED,
            callbacks=[exported],
            unit="{span}",
            description="The number of spans for which the export has finished, either successful or failed.",
        )
        meter.create_observable_up_down_counter(
            semconv.OTEL_SDK_EXPORTER_SPAN_INFLIGHT,
            callbacks=[inflight],
            unit="{span}",
            description="The number of spans passed to the exporter but not yet exported.",
        )
        self._duration = meter.create_histogram(
            semconv.OTEL_SDK_EXPORTER_OPERATION_DURATION,
            unit="s",
            description="The duration of exporting a batch of telemetry records.",
        )

    def _record(self, outcome: Outcome, count: int, seconds: float) -> None:
        histogram = self._duration
        if histogram is None:
            return
        attrs: dict[str, str | int] = self._attrs()
        if outcome.failed and outcome.error_type is not None:
            attrs[semconv.ERROR_TYPE] = outcome.error_type
            if outcome.status_code is not None:
                attrs[semconv.HTTP_RESPONSE_STATUS_CODE] = outcome.status_code
        histogram.record(seconds, attrs)
