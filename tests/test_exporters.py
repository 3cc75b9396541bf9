"""The standard OTEL_* exporter variables, as the SDK's auto-configuration reads them."""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

import agentotel
from agentotel import _exporters
from agentotel.export import OTLPSpanExporter

VARS = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_SDK_DISABLED",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)
    _exporters._warned.clear()


def kinds(exporters: list[Any]) -> list[type]:
    return [type(e) for e in exporters]


def test_otlp_by_default_but_only_with_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _exporters.selected("traces") == ["otlp"]
    assert _exporters.span_exporters() == []
    assert _exporters.metric_exporter() is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert kinds(_exporters.span_exporters()) == [OTLPSpanExporter]
    chosen = _exporters.metric_exporter()
    assert chosen is not None
    assert isinstance(chosen[0], OTLPMetricExporter)
    assert chosen[1] == "http://127.0.0.1:4318/v1/metrics"


def test_none_turns_a_signal_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert _exporters.metric_exporter() is None
    assert kinds(_exporters.span_exporters()) == [OTLPSpanExporter]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert _exporters.span_exporters() == []


def test_a_traces_endpoint_sends_no_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """A traces-only backend (Phoenix) gets no /v1/metrics posts it would answer 405 to."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:6006/v1/traces")
    assert kinds(_exporters.span_exporters()) == [OTLPSpanExporter]
    assert _exporters.metric_exporter() is None


def test_console_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console,otlp")
    assert kinds(_exporters.span_exporters()) == [ConsoleSpanExporter, OTLPSpanExporter]
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "console")
    chosen = _exporters.metric_exporter()
    assert chosen is not None
    assert isinstance(chosen[0], ConsoleMetricExporter)


def test_unknown_exporter_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with caplog.at_level(logging.WARNING, logger="agentotel"):
        assert _exporters.selected("traces") == []
        assert _exporters.selected("traces") == []
    assert [r.getMessage() for r in caplog.records] == [
        "agentotel: OTEL_TRACES_EXPORTER=zipkin is not supported (otlp, console or none)"
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is not None,
    reason="the gRPC exporter is installed",
)
def test_grpc_without_the_grpc_exporter_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with caplog.at_level(logging.WARNING, logger="agentotel"):
        assert _exporters.span_exporters() == []
        assert _exporters.metric_exporter() is None
    text = caplog.text
    assert "pip install opentelemetry-exporter-otlp-proto-grpc" in text
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" in text


def test_sdk_disabled_sets_up_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    handle = agentotel.instrument()
    try:
        assert handle.instrumentors == {}
        assert handle.owns_providers is False
    finally:
        agentotel.uninstrument()
