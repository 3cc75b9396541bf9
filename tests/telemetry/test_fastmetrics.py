from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import Histogram as SDKHistogram
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)

from agentotel import _config, semconv
from agentotel.telemetry import TelemetryHandler, fastmetrics


class Capture(MetricExporter):
    def __init__(self, delta: bool = False) -> None:
        temporality = AggregationTemporality.DELTA if delta else AggregationTemporality.CUMULATIVE
        super().__init__(preferred_temporality={SDKHistogram: temporality})
        self.batches: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        self.batches.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def points(data: MetricsData) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def provider_with(capture: Capture, fast: bool) -> MeterProvider:
    """A provider whose one periodic reader exports to ``capture`` (fast or the SDK's own)."""
    reader = PeriodicExportingMetricReader(capture, export_interval_millis=10**9)
    cls = fastmetrics.FastMeterProvider if fast else MeterProvider
    return cls(metric_readers=[reader])


VALUES = [
    (0.005, {"a": "x", "b": 1}),
    (0.3, {"b": 1, "a": "x"}),
    (99.0, {"a": "y"}),
    (0.04, {"a": "y"}),
]


def test_fast_histogram_matches_the_sdk() -> None:
    sdk_capture, fast_capture = Capture(), Capture()
    sdk_provider = provider_with(sdk_capture, False)
    fast_provider = provider_with(fast_capture, True)
    fast = fast_provider.get_meter("agentotel")
    assert isinstance(fast, fastmetrics.FastMeter)
    sdk_hist = sdk_provider.get_meter("agentotel").create_histogram(
        "h", "s", "d", explicit_bucket_boundaries_advisory=list(semconv.DURATION_BUCKETS)
    )
    fast_hist = fast.create_histogram("h", "s", "d", list(semconv.DURATION_BUCKETS))
    for value, attrs in VALUES:
        sdk_hist.record(value, attrs)
        fast_hist.record(value, attrs)
    sdk_provider.force_flush()
    fast_provider.force_flush()

    def shape(data: MetricsData) -> list[tuple[Any, ...]]:
        return sorted(
            (
                tuple(sorted(p.attributes.items())),
                p.count,
                p.sum,
                tuple(p.bucket_counts),
                tuple(p.explicit_bounds),
                p.min,
                p.max,
            )
            for p in points(data)["h"]
        )

    assert shape(sdk_capture.batches[-1]) == shape(fast_capture.batches[-1])
    fast_provider.shutdown()
    sdk_provider.shutdown()


def test_cumulative_and_delta_temporality() -> None:
    for delta in (False, True):
        capture = Capture(delta=delta)
        provider = provider_with(capture, True)
        fast = provider.get_meter("agentotel")
        hist = fast.create_histogram("h", "s", "d", [1.0])
        hist.record(0.5, {"k": "v"})
        provider.force_flush()
        hist.record(2.0, {"k": "v"})
        provider.force_flush()
        (point,) = points(capture.batches[-1])["h"]
        assert point.count == (1 if delta else 2)
        provider.shutdown()


def test_negative_and_nan_are_dropped() -> None:
    fast = fastmetrics.FastMeter()
    hist = fast.create_histogram("h", "s", "d", [1.0])
    hist.record(-1.0, {})
    hist.record(float("nan"), {})
    assert fast.collect(delta=False) is None


def test_handler_uses_the_fast_meter_of_an_owned_provider(tracer_provider: Any) -> None:
    capture = Capture()
    provider = provider_with(capture, True)
    handler = TelemetryHandler(tracer_provider, provider, settings=_config.Settings())
    inv = handler.inference("openai", "gpt-4o")
    inv.input_tokens, inv.output_tokens = 5, 2
    inv.stop()
    provider.force_flush()
    names = points(capture.batches[-1])
    tokens = {
        p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in names["gen_ai.client.token.usage"]
    }
    assert tokens == {"input": 5, "output": 2}
    assert names["gen_ai.client.operation.duration"][0].count == 1
    provider.shutdown()


def test_series_records_several_histograms_at_once() -> None:
    fast = fastmetrics.FastMeter()
    dur = fast.create_histogram("d", "s", "", [1.0])
    tok = fast.create_histogram("t", "{token}", "", [10.0])
    series = fast.series([(dur, {"m": "a"}), (tok, {"m": "a", "type": "input"}), (None, {})])
    series.record((0.5, 24, 3.0))  # the third value has no point: ignored
    series.record((2.0, None, None))  # None: nothing recorded in that histogram
    series.record((float("nan"), -1, None))  # NaN and negatives are dropped, as the SDK does
    scope = fast.collect(delta=False)
    assert scope is not None
    by_name = {m.name: m.data.data_points for m in scope.metrics}
    (d,) = by_name["d"]
    (t,) = by_name["t"]
    assert (d.count, d.sum, tuple(d.bucket_counts), d.min, d.max) == (2, 2.5, (1, 1), 0.5, 2.0)
    assert (t.count, t.sum, dict(t.attributes)) == (1, 24, {"m": "a", "type": "input"})


def test_delta_collection_moves_the_generation_on() -> None:
    """A series built before a delta collection holds replaced points: callers rebuild it."""
    fast = fastmetrics.FastMeter()
    hist = fast.create_histogram("d", "s", "", [1.0])
    series = fast.series([(hist, {"k": "v"})])
    series.record((0.5,))
    assert fast.collect(delta=False) is not None
    assert fast.generation == series.generation  # cumulative: same points, keep the series
    assert fast.collect(delta=True) is not None
    assert fast.generation != series.generation
    fresh = fast.series([(hist, {"k": "v"})])
    fresh.record((0.25,))
    scope = fast.collect(delta=True)
    assert scope is not None
    (point,) = scope.metrics[0].data.data_points
    assert (point.count, point.sum) == (1, 0.25)
    assert fast.collect(delta=True) is None  # nothing new: no empty points are exported


def test_cardinality_limit_sends_new_attribute_sets_to_the_overflow_series() -> None:
    fast = fastmetrics.FastMeter()
    hist = fast.create_histogram("d", "s", "", [1.0])
    for i in range(fastmetrics.CARDINALITY_LIMIT + 50):
        hist.record(0.1, {"id": i})
    scope = fast.collect(delta=False)
    assert scope is not None
    pts = scope.metrics[0].data.data_points
    assert len(pts) == fastmetrics.CARDINALITY_LIMIT
    overflow = [p for p in pts if dict(p.attributes) == {"otel.metric.overflow": True}]
    assert len(overflow) == 1 and overflow[0].count == 51
    hist.record(0.1, {"id": 3})  # a known series keeps its own point
    assert sum(p.count for p in fast.collect(delta=False).metrics[0].data.data_points) == (
        fastmetrics.CARDINALITY_LIMIT + 51
    )


def test_unhashable_attribute_values_still_record() -> None:
    fast = fastmetrics.FastMeter()
    hist = fast.create_histogram("d", "s", "", [1.0])
    hist.record(0.1, {"k": ["a", "b"]})
    hist.record(0.2, {"k": ["a", "b"]})
    scope = fast.collect(delta=False)
    assert scope is not None
    (point,) = scope.metrics[0].data.data_points
    assert point.count == 2


def test_fast_meter_provider_hands_out_sdk_instruments_of_other_kinds() -> None:
    capture = Capture()
    provider = provider_with(capture, True)
    meter = provider.get_meter("other", "1.0")
    assert meter is provider.get_meter("other", "1.0")
    counter = meter.create_counter("c")
    counter.add(3, {"k": "v"})
    hist = meter.create_histogram("h")  # no advice: the specification's default buckets
    hist.record(7.0)
    provider.force_flush()
    data = capture.batches[-1]
    by_name = points(data)
    assert by_name["c"][0].value == 3
    assert tuple(by_name["h"][0].explicit_bounds) == fastmetrics.DEFAULT_BOUNDS
    # One ScopeMetrics for the scope, holding the SDK's counter and the fast histogram: OTLP
    # encoders key scopes by identity, so a second entry would replace the first on the wire.
    (scope,) = [sm for rm in data.resource_metrics for sm in rm.scope_metrics]
    assert (scope.scope.name, sorted(m.name for m in scope.metrics)) == ("other", ["c", "h"])
    provider.shutdown()


def test_several_readers_or_views_keep_the_sdk_meter() -> None:
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.metrics.view import View

    two = fastmetrics.FastMeterProvider(
        metric_readers=[InMemoryMetricReader(), InMemoryMetricReader()]
    )
    viewed = fastmetrics.FastMeterProvider(
        metric_readers=[InMemoryMetricReader()], views=[View(instrument_name="*")]
    )
    for provider in (two, viewed):
        assert not isinstance(provider.get_meter("agentotel"), fastmetrics.FastMeter)
        provider.shutdown()


def test_the_escape_hatch_builds_plain_sdk_providers(monkeypatch: Any) -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    from agentotel import _pipeline
    from agentotel.telemetry.fasttrace import FastTracerProvider

    monkeypatch.setenv("AGENTOTEL_STORE", "off")
    # The environment decides what exports (see _exporters): an endpoint nothing listens on.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    resource = Resource.create({})
    assert type(_pipeline.default_tracer_provider(resource, False)) is FastTracerProvider
    meters = _pipeline.default_meter_provider(resource, True)
    assert type(meters) is fastmetrics.FastMeterProvider
    meters.shutdown()
    monkeypatch.setenv("AGENTOTEL_FAST_PATH", "0")
    assert type(_pipeline.default_tracer_provider(resource, False)) is TracerProvider
    meters = _pipeline.default_meter_provider(resource, True)
    assert type(meters) is MeterProvider
    meters.shutdown()
