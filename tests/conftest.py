"""Shared fixtures: in-memory span and metric pipelines that never touch global providers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import _safety
from agentotel.telemetry.fastmetrics import FastMeterProvider
from agentotel.telemetry.fasttrace import FastTracerProvider
from agentotel.testing import span_tree

# agentotel's own tests run strict: an internal telemetry error fails the test
# instead of being swallowed (tests that exercise the guard set it to 0).
os.environ.setdefault("AGENTOTEL_STRICT", "1")


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(params=["sdk", "fast"])
def span_path(request: pytest.FixtureRequest) -> str:
    """Which providers the test runs on: the SDK's own, or agentotel's fast path.

    ``agentotel.instrument()`` builds the fast ones, so every test that takes a
    provider fixture runs on both (as wrapt runs its suite with and without its C
    extension). The tracer and meter fixtures share this one parameter.
    """
    return str(request.param)


@pytest.fixture
def tracer_provider(
    span_exporter: InMemorySpanExporter, span_path: str
) -> Iterator[TracerProvider]:
    provider = FastTracerProvider() if span_path == "fast" else TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(metric_reader: InMemoryMetricReader, span_path: str) -> Iterator[MeterProvider]:
    cls = FastMeterProvider if span_path == "fast" else MeterProvider
    provider = cls(metric_readers=[metric_reader])
    yield provider
    provider.shutdown()


@pytest.fixture(autouse=True)
def _reset_safety() -> Iterator[None]:
    _safety.reset()
    yield
    _safety.reset()


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[object]]:
    """Metric name -> data points, from one collection."""
    data = reader.get_metrics_data()
    out: dict[str, list[object]] = {}
    if data is None:
        return out
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def tree(spans: tuple[ReadableSpan, ...] | list[ReadableSpan]) -> list[str]:
    """Render spans as indented names (children sorted by start time) for whole-tree asserts."""
    return ["  " * depth + span.name for depth, span in span_tree(spans)]
