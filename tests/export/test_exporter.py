"""OTLPSpanExporter against a live loopback receiver: wire format, env, retries, failures."""

from __future__ import annotations

import gzip
import sys
import time

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SpanExportResult

from agentotel import semconv
from agentotel.export import OTLPSpanExporter, parse_partial_success
from tests.conftest import metric_points
from tests.export.helpers import make_spans
from tests.export.receiver import Receiver, Reply, closed_port_url, partial_success


def fast_exporter(url: str, **kwargs: object) -> OTLPSpanExporter:
    options: dict[str, object] = {
        "timeout": 2.0,
        "retry_initial_backoff": 0.01,
        "retry_max_backoff": 0.05,
        "breaker_cooldown": 0.2,
    }
    options.update(kwargs)
    return OTLPSpanExporter(url, **options)  # type: ignore[arg-type]


def test_sends_protobuf_the_receiver_decodes(receiver: Receiver) -> None:
    spans = make_spans(3)
    exporter = fast_exporter(receiver.url, headers={"X-Api-Key": "secret"})
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    (rec,) = receiver.received
    assert rec.path == "/v1/traces"
    assert rec.headers["content-type"] == "application/x-protobuf"
    assert rec.headers["x-api-key"] == "secret"
    assert "content-encoding" not in rec.headers
    assert [s.name for s in receiver.spans()] == ["span 0", "span 1", "span 2"]
    assert rec.request.resource_spans[0].resource == sdk_encode(spans).resource_spans[0].resource
    assert exporter.stats().exported == 3
    exporter.shutdown()


def test_gzip_and_keep_alive(receiver: Receiver) -> None:
    exporter = fast_exporter(receiver.url, compression="gzip")
    for _ in range(3):
        assert exporter.export(make_spans(2)) is SpanExportResult.SUCCESS
    assert all(r.headers["content-encoding"] == "gzip" for r in receiver.received)
    assert gzip.decompress(receiver.received[0].body)  # a real gzip stream
    assert len({r.client_port for r in receiver.received}) == 1  # one persistent connection
    assert len(receiver.spans()) == 6
    exporter.shutdown()


def test_env_configuration(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    base = receiver.url.removesuffix("/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base + "/")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=two%20words")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "7")
    exporter = OTLPSpanExporter()
    assert exporter.endpoint == base + "/v1/traces"
    assert exporter.compression == "gzip"
    assert exporter.timeout == 7.0
    assert exporter.export(make_spans(1)) is SpanExportResult.SUCCESS
    headers = receiver.received[0].headers
    assert headers["a"] == "1" and headers["b"] == "two words"
    exporter.shutdown()

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", base + "/custom/path")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "c=3")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500")
    exporter = OTLPSpanExporter()
    assert exporter.endpoint == base + "/custom/path"  # used as is
    assert exporter.compression == "none"
    assert exporter.timeout == 2.5  # values >= 1000 are milliseconds
    exporter.export(make_spans(1))
    assert receiver.received[1].path == "/custom/path"
    assert receiver.received[1].headers["c"] == "3"
    assert "a" not in receiver.received[1].headers
    exporter.shutdown()


def test_arguments_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://env:4318/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    exporter = OTLPSpanExporter("http://arg:1234/v1/traces", compression="none", timeout=3)
    assert (exporter.endpoint, exporter.compression, exporter.timeout) == (
        "http://arg:1234/v1/traces",
        "none",
        3.0,
    )
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_COMPRESSION")
    assert OTLPSpanExporter().endpoint == "http://localhost:4318/v1/traces"


def test_429_with_retry_after_is_retried(receiver: Receiver) -> None:
    receiver.script.append(Reply(429, headers={"Retry-After": "0.2"}))
    exporter = fast_exporter(receiver.url)
    started = time.monotonic()
    assert exporter.export(make_spans(2)) is SpanExportResult.SUCCESS
    assert time.monotonic() - started >= 0.2  # waited as told
    assert receiver.attempts == 2
    stats = exporter.stats()
    assert (stats.exported, stats.retries, stats.failed) == (2, 1, {})
    exporter.shutdown()


def test_retry_after_longer_than_the_timeout_gives_up(receiver: Receiver) -> None:
    receiver.script.append(Reply(429, headers={"Retry-After": "60"}))
    exporter = fast_exporter(receiver.url, timeout=0.5)
    started = time.monotonic()
    assert exporter.export(make_spans(1)) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 2
    assert exporter.stats().failed == {"429": 1}
    exporter.shutdown()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_statuses_back_off_and_retry(receiver: Receiver, status: int) -> None:
    receiver.script.extend([Reply(status), Reply(status)])
    exporter = fast_exporter(receiver.url, breaker_threshold=5)
    assert exporter.export(make_spans(1)) is SpanExportResult.SUCCESS
    assert receiver.attempts == 3
    assert exporter.stats().retries == 2
    exporter.shutdown()


@pytest.mark.parametrize("status", [500, 400, 413])
def test_other_errors_are_not_retried(receiver: Receiver, status: int) -> None:
    receiver.script.append(Reply(status))
    exporter = fast_exporter(receiver.url)
    assert exporter.export(make_spans(4)) is SpanExportResult.FAILURE
    assert receiver.attempts == 1
    assert exporter.stats().failed == {str(status): 4}
    exporter.shutdown()


def test_partial_success_is_counted(receiver: Receiver) -> None:
    receiver.script.append(Reply(200, body=partial_success(2, "bad spans")))
    exporter = fast_exporter(receiver.url)
    assert exporter.export(make_spans(5)) is SpanExportResult.FAILURE
    stats = exporter.stats()
    assert (stats.exported, stats.rejected, stats.failed) == (3, 2, {"rejected": 2})
    assert stats.last_error == "bad spans"
    exporter.shutdown()


def test_partial_success_parser() -> None:
    assert parse_partial_success(b"") is None
    assert parse_partial_success(b"\xff\xff") is None  # garbage is ignored
    parsed = parse_partial_success(partial_success(7, "why"))
    assert parsed is not None and (parsed.rejected_spans, parsed.error_message) == (7, "why")
    assert parse_partial_success(partial_success(0, "")) is None


def test_endpoint_down_opens_the_breaker() -> None:
    exporter = fast_exporter(closed_port_url(), breaker_threshold=2, breaker_cooldown=0.3)
    started = time.monotonic()
    assert exporter.export(make_spans(3)) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 1.5
    stats = exporter.stats()
    assert stats.circuit_open and stats.exported == 0
    assert stats.failed == {"ConnectionRefusedError": 3}
    requests_before = exporter.stats().requests
    # While open, batches are dropped at once without encoding or connecting.
    encoded: list[int] = []
    original = exporter.encode
    exporter.encode = lambda spans: encoded.append(len(spans)) or original(spans)  # type: ignore[method-assign]
    assert exporter.export(make_spans(4)) is SpanExportResult.FAILURE
    assert encoded == []
    assert exporter.stats().failed[semconv.DROP_CIRCUIT_OPEN] == 4
    assert exporter.stats().requests == requests_before
    exporter.shutdown()


def test_breaker_closes_when_the_endpoint_returns(receiver: Receiver) -> None:
    receiver.script.extend([Reply(503), Reply(503)])
    exporter = fast_exporter(receiver.url, breaker_threshold=2, breaker_cooldown=0.1)
    assert exporter.export(make_spans(1)) is SpanExportResult.FAILURE
    assert not exporter.accepts()
    time.sleep(0.15)  # cooldown over: half-open, one trial batch goes out
    assert exporter.accepts()
    assert exporter.export(make_spans(1)) is SpanExportResult.SUCCESS
    assert exporter.accepts() and not exporter.stats().circuit_open


def test_slow_endpoint_times_out(receiver: Receiver) -> None:
    receiver.script.extend([Reply(200, delay=1.0)] * 3)
    exporter = fast_exporter(receiver.url, timeout=0.3)
    started = time.monotonic()
    assert exporter.export(make_spans(2)) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 0.9
    assert exporter.stats().failed == {"timeout": 2}
    exporter.shutdown()


def test_shutdown_interrupts_a_retry_wait(receiver: Receiver) -> None:
    import threading

    receiver.script.append(Reply(503, headers={"Retry-After": "5"}))
    exporter = fast_exporter(receiver.url, timeout=10)
    results: list[SpanExportResult] = []
    thread = threading.Thread(target=lambda: results.append(exporter.export(make_spans(1))))
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    exporter.shutdown()
    thread.join(2)
    assert results == [SpanExportResult.FAILURE]
    assert time.monotonic() - started < 1
    assert exporter.export(make_spans(1)) is SpanExportResult.FAILURE
    assert exporter.stats().failed.get(semconv.DROP_ALREADY_SHUTDOWN) == 1


def test_exporter_metrics(receiver: Receiver) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    receiver.script.append(Reply(500))
    exporter = fast_exporter(receiver.url, meter_provider=provider)
    exporter.export(make_spans(2))
    exporter.export(make_spans(3))
    points = metric_points(reader)
    exported = {
        p.attributes.get(semconv.ERROR_TYPE): p.value  # type: ignore[attr-defined]
        for p in points[semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED]
    }
    assert exported == {None: 3, "500": 2}
    attrs = points[semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED][0].attributes  # type: ignore[attr-defined]
    assert attrs[semconv.OTEL_COMPONENT_TYPE] == "otlp_http_span_exporter"
    assert attrs[semconv.SERVER_PORT] == receiver.port
    assert [p.value for p in points[semconv.OTEL_SDK_EXPORTER_SPAN_INFLIGHT]] == [0]  # type: ignore[attr-defined]
    durations = points[semconv.OTEL_SDK_EXPORTER_OPERATION_DURATION]
    assert sum(p.count for p in durations) == 2  # type: ignore[attr-defined]
    failed = [p for p in durations if p.attributes.get(semconv.ERROR_TYPE)]  # type: ignore[attr-defined]
    assert failed[0].attributes[semconv.HTTP_RESPONSE_STATUS_CODE] == 500  # type: ignore[attr-defined]
    provider.shutdown()
    exporter.shutdown()


def test_rejects_unsupported_endpoints() -> None:
    with pytest.raises(ValueError):
        OTLPSpanExporter("grpc://localhost:4317")


def test_a_span_that_cannot_be_encoded_is_counted(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentotel.export import _encoding

    real = _encoding.encode_span
    monkeypatch.setattr(
        _encoding,
        "encode_span",
        lambda span: real(span) if span.name != "span 1" else 1 / 0,
    )
    exporter = fast_exporter(receiver.url)
    assert exporter.export(make_spans(3)) is SpanExportResult.FAILURE
    assert [s.name for s in receiver.spans()] == ["span 0", "span 2"]
    stats = exporter.stats()
    assert (stats.exported, stats.failed) == (2, {semconv.DROP_EXPORT_FAILED: 1})
    exporter.shutdown()


def test_a_request_is_one_write_and_kernel_timeouts_replace_polling(receiver: Receiver) -> None:
    """Headers and body leave in one send; the plain-HTTP socket is blocking, kernel-timed."""
    import socket

    from agentotel.export import _http

    sends: list[int] = []

    class Counting(_http.Connection):
        def send(self, data: object) -> None:
            sends.append(len(data))  # type: ignore[arg-type]
            super().send(data)  # type: ignore[arg-type]

    port = int(receiver.url.split(":")[2].split("/")[0])
    conn = Counting("127.0.0.1", port, timeout=2.0)
    body = OTLPSpanExporter(receiver.url).encode(make_spans(300))
    conn.request("POST", "/v1/traces", body=body, headers={"content-type": "x"})
    assert conn.getresponse().status == 200
    assert len(receiver.spans()) == 300
    assert len(sends) == 1 and sends[0] > len(body)
    assert conn.sock.gettimeout() is None
    if sys.platform.startswith("linux"):
        raw = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
        assert raw != bytes(16)
    conn.set_timeout(0.5)
    conn.close()
