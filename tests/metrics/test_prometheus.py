"""The Prometheus endpoint: name translation, the scrape, the fast meter, OTLP beside it, cost."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource

from agentotel import _config, _pipeline, semconv
from agentotel.export import _promtext, prometheus
from agentotel.telemetry import TelemetryHandler


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AGENTOTEL_PROMETHEUS_PORT",
        "AGENTOTEL_PROMETHEUS_HOST",
        "OTEL_METRICS_EXPORTER",
        "OTEL_EXPORTER_PROMETHEUS_HOST",
        "OTEL_EXPORTER_PROMETHEUS_PORT",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "AGENTOTEL_METRICS_COST",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", "0")
    built = _pipeline.default_meter_provider(Resource.create({"service.name": "svc"}), False)
    assert built is not None
    yield built
    built.shutdown()


def endpoint(provider: Any) -> str:
    (reader,) = [r for r in provider._metric_readers if hasattr(r, "scrape")]
    return f"http://127.0.0.1:{reader.port}/metrics"


def scrape(provider: Any) -> str:
    with urllib.request.urlopen(endpoint(provider), timeout=5) as response:
        assert response.headers["Content-Type"] == _promtext.CONTENT_TYPE
        return str(response.read().decode())


def series(text: str) -> set[str]:
    """The series (name and labels) of a scrape, without values."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")}


@pytest.mark.parametrize(
    ("name", "unit", "kind", "expected"),
    [
        (
            "gen_ai.client.operation.duration",
            "s",
            "histogram",
            "gen_ai_client_operation_duration_seconds",
        ),
        ("gen_ai.client.token.usage", "{token}", "histogram", "gen_ai_client_token_usage"),
        (
            "agentotel.gen_ai.client.cost",
            "USD",
            "counter",
            "agentotel_gen_ai_client_cost_USD_total",
        ),
        ("requests", "1", "counter", "requests_total"),
        ("utilization", "1", "gauge", "utilization_ratio"),
        ("queue.size", "{span}", "gauge", "queue_size"),
        ("bytes.sent", "By/s", "gauge", "bytes_sent_bytes_per_second"),
        ("latency_seconds", "s", "histogram", "latency_seconds"),
        ("hits_total", "", "counter", "hits_total"),
        ("2xx", "", "gauge", "_2xx"),
    ],
)
def test_name_translation(name: str, unit: str, kind: str, expected: str) -> None:
    assert _promtext.metric_name(name, unit, kind) == expected


def test_label_names() -> None:
    assert _promtext.label_name("gen_ai.request.model") == "gen_ai_request_model"
    assert _promtext.label_name("9lives") == "key_9lives"


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert prometheus.settings_from_env() is None
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp,prometheus")
    assert prometheus.settings_from_env() == prometheus.Settings("127.0.0.1", 9464)
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0")
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "9500")
    assert prometheus.settings_from_env() == prometheus.Settings("0.0.0.0", 9500)
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_HOST", "::1")
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", "9600")
    assert prometheus.settings_from_env() == prometheus.Settings("::1", 9600)
    monkeypatch.delenv("OTEL_METRICS_EXPORTER")
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", "nope")
    assert prometheus.settings_from_env() == prometheus.Settings("::1", 9464)


def test_scrape_before_anything_is_recorded(provider: Any) -> None:
    text = scrape(provider)
    assert re.search(r"target_info\{[^}]*service_name=\"svc\"", text)
    assert "gen_ai_client" not in text


def test_scrape_has_the_fast_histograms_and_sdk_instruments(
    provider: Any, tracer_provider: Any
) -> None:
    # Prometheus alone: recording stays on the fast path.
    assert callable(getattr(provider.get_meter("agentotel"), "series", None))
    handler = TelemetryHandler(tracer_provider, provider, settings=_config.Settings())
    for _ in range(2):
        inv = handler.inference("openai", "gpt-4o-mini")
        inv.input_tokens, inv.output_tokens = 100, 20
        inv.stop()
    counter = provider.get_meter("app").create_counter("app.requests", unit="{request}")
    counter.add(3, {"route": "/x"})
    text = scrape(provider)
    assert "# TYPE gen_ai_client_operation_duration_seconds histogram" in text
    labels = (
        'gen_ai_operation_name="chat",gen_ai_provider_name="openai",'
        'gen_ai_request_model="gpt-4o-mini",otel_scope_name="agentotel"'
    )
    assert re.search(
        r"gen_ai_client_operation_duration_seconds_bucket\{"
        + re.escape(labels)
        + r',otel_scope_version="[^"]+",le="\+Inf"\} 2\n',
        text,
    )
    assert re.search(r"gen_ai_client_operation_duration_seconds_count\{[^}]*\} 2\n", text)
    assert re.search(
        r'gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="input"[^}]*\} 200\.0\n', text
    )
    assert re.search(
        r'gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="output"[^}]*\} 40\.0\n', text
    )
    assert 'app_requests_total{route="/x",otel_scope_name="app"} 3' in text
    assert "# TYPE app_requests_total counter" in text
    # Cumulative: a second scrape still counts the first calls.
    assert re.search(
        r"gen_ai_client_operation_duration_seconds_count\{[^}]*\} 2\n", scrape(provider)
    )


def test_otlp_beside_prometheus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside OTLP (cumulative or DELTA) both readers record through the SDK's instruments."""
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", "0")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    for preference in ("cumulative", "delta"):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", preference)
        built = _pipeline.default_meter_provider(Resource.create({}), True)
        try:
            assert len(built._metric_readers) == 2
            assert not callable(getattr(built.get_meter("agentotel"), "series", None))
        finally:
            built._metric_readers[0]._exporter.exiting = True  # nothing listens: no retries
            built.shutdown(timeout_millis=2000)


def test_busy_port_logs_and_falls_back(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", str(taken.getsockname()[1]))
        assert _pipeline.default_meter_provider(Resource.create({}), False) is None
    assert "Prometheus endpoint not started" in caplog.text


def test_cost_counter(provider: Any, tracer_provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOTEL_METRICS_COST", "true")
    handler = TelemetryHandler(tracer_provider, provider, settings=_config.Settings())
    inv = handler.inference("openai", "gpt-4o-mini")
    inv.input_tokens, inv.output_tokens = 1_000_000, 1_000_000
    inv.stop()
    inv = handler.inference("openai", "a-model-with-no-price")
    inv.input_tokens, inv.output_tokens = 10, 10
    inv.stop()
    text = scrape(provider)
    (line,) = [
        ln for ln in text.splitlines() if ln.startswith("agentotel_gen_ai_client_cost_USD_total")
    ]
    assert 'gen_ai_request_model="gpt-4o-mini"' in line
    assert 'gen_ai_provider_name="openai"' in line
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(0.75)  # 0.15 + 0.60 per million


def test_cost_is_shared_by_the_handlers_of_one_provider(
    provider: Any, tracer_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One handler per instrumentor: every one's calls reach the one counter."""
    monkeypatch.setenv("AGENTOTEL_METRICS_COST", "true")
    for model in ("gpt-4o-mini", "claude-haiku-4-5"):
        handler = TelemetryHandler(tracer_provider, provider, settings=_config.Settings())
        inv = handler.inference("x", model)
        inv.input_tokens, inv.output_tokens = 1_000_000, 0
        inv.stop()
    text = scrape(provider)
    lines = [ln for ln in text.splitlines() if ln.startswith("agentotel_gen_ai_client_cost")]
    assert len(lines) == 2


def test_cost_counter_is_off_by_default(provider: Any, tracer_provider: Any) -> None:
    handler = TelemetryHandler(tracer_provider, provider, settings=_config.Settings())
    inv = handler.inference("openai", "gpt-4o-mini")
    inv.input_tokens, inv.output_tokens = 10, 10
    inv.stop()
    assert "cost" not in scrape(provider)


def test_series_do_not_grow_with_ids_and_prompts(
    provider: Any, tracer_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids, prompts and tool arguments never become labels: 10,000 calls, the same series."""
    monkeypatch.setenv("AGENTOTEL_METRICS_COST", "true")
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    handler = TelemetryHandler(tracer_provider, provider, settings=_config.from_env())

    def one(i: int) -> None:
        inv = handler.inference(
            "openai",
            "gpt-4o-mini",
            attributes={semconv.GEN_AI_CONVERSATION_ID: f"conv-{i}"},
        )
        inv.input_tokens, inv.output_tokens = 10 + i, 5
        inv.stop()
        tool = handler.tool("lookup", call_id=f"call_{i}", description=f"prompt number {i}")
        tool.stop()
        if i % 2:
            failing = handler.tool("lookup", call_id=f"call_x{i}")
            failing.fail(ValueError(f"bad input {i}"))

    one(0)
    one(1)
    before = series(scrape(provider))
    for i in range(2, 10_000):
        one(i)
    after = series(scrape(provider))
    assert after == before
    assert len(after) < 200
    assert not any("call_" in s or "conv-" in s or "prompt number" in s for s in after)


class MetricsSink:
    """A loopback OTLP/HTTP metrics receiver: keeps each decoded export request."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )

        self.requests: list[Any] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.requests.append(ExportMetricsServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def durations(self) -> list[tuple[int, int]]:
        """(temporality, count) of every duration point in the last export."""
        out = []
        for rm in self.requests[-1].resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == semconv.STABLE.operation_duration:
                        temporality = metric.histogram.aggregation_temporality
                        out += [(temporality, p.count) for p in metric.histogram.data_points]
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("preference", ["cumulative", "delta"])
def test_otlp_and_prometheus_both_see_every_call(
    preference: str, monkeypatch: pytest.MonkeyPatch, tracer_provider: Any
) -> None:
    """Each reader gets its own temporality; neither resets what the other reads."""
    sink = MetricsSink()
    monkeypatch.setenv("AGENTOTEL_PROMETHEUS_PORT", "0")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", preference)
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000")
    built = _pipeline.default_meter_provider(Resource.create({}), True)
    handler = TelemetryHandler(tracer_provider, built, settings=_config.Settings())
    count = re.compile(r"gen_ai_client_operation_duration_seconds_count\{[^}]*\} (\d+)")

    def calls(n: int) -> None:
        for _ in range(n):
            inv = handler.inference("openai", "gpt-4o")
            inv.input_tokens, inv.output_tokens = 3, 1
            inv.stop()

    try:
        calls(2)
        assert count.findall(scrape(built)) == ["2"]
        built.force_flush()
        delta = 1 if preference == "delta" else 2
        assert sink.durations() == [(delta, 2)]
        calls(1)
        assert count.findall(scrape(built)) == ["3"]
        built.force_flush()
        assert sink.durations() == [(delta, 1 if preference == "delta" else 3)]
        assert count.findall(scrape(built)) == ["3"]
    finally:
        built.shutdown(timeout_millis=5000)
        sink.close()
