"""In-process histogram aggregation for pipelines agentotel owns.

The SDK's ``Histogram.record`` costs tens of microseconds (it copies and hashes
the attributes, builds a measurement and walks the view machinery), and a model
call records three of them. When ``agentotel.instrument()`` builds the
MeterProvider itself, it builds a :class:`FastMeterProvider`: nobody else can
have views on it, so its meters aggregate their histograms directly (a dict
lookup, a bisect and a few additions under an uncontended lock) and the provider
merges the points into every collection of its reader. The data on the wire is
the same OTLP histogram the SDK would have produced. With a MeterProvider the
application supplies, agentotel uses the SDK's instruments as usual, and
``AGENTOTEL_FAST_PATH=0`` makes ``instrument()`` build a plain one.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from time import time_ns
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricReader,
    MetricsData,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.util.types import Attributes


class _Point:
    __slots__ = ("attributes", "bounds", "buckets", "count", "max", "min", "sum")

    def __init__(self, attributes: dict[str, Any], bounds: tuple[float, ...]) -> None:
        self.attributes = attributes
        self.bounds = bounds
        self.buckets = [0] * (len(bounds) + 1)
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")

    def add(self, amount: float) -> None:
        """Count one measurement (the caller holds the histogram's lock)."""
        if amount != amount or amount < 0:  # NaN or negative: the SDK drops these too
            return
        self.buckets[bisect_left(self.bounds, amount)] += 1
        self.count += 1
        self.sum += amount
        if amount < self.min:
            self.min = amount
        if amount > self.max:
            self.max = amount


CARDINALITY_LIMIT = 2000
"""Series per instrument before new attribute sets go to one overflow series (the SDK's default)."""
_OVERFLOW = {"otel.metric.overflow": True}


def _canonical(attributes: Mapping[str, Any]) -> tuple[Any, ...]:
    """The attribute set as a hashable, order-independent key."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attributes.items()))


class FastHistogram:
    """A histogram with the ``record(amount, attributes)`` signature of the API's.

    Points are found by a key of the attribute items in the order the caller
    built them (no sorting, no copy); the first time a key is seen it is mapped
    to the point of its attribute *set*, so the same attributes in another order
    share one series. Histograms of one :class:`FastMeter` share its lock, so a
    :class:`Series` can update several of them at once.
    """

    __slots__ = ("_aliases", "_lock", "_points", "bounds", "description", "name", "unit")

    def __init__(
        self,
        name: str,
        unit: str,
        description: str,
        bounds: Sequence[float],
        lock: Any = None,
    ) -> None:
        self.name = name
        self.unit = unit
        self.description = description
        self.bounds = tuple(float(b) for b in bounds)
        self._points: dict[tuple[Any, ...], _Point] = {}
        self._aliases: dict[Any, _Point] = {}
        self._lock = lock if lock is not None else threading.Lock()

    def record(
        self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
    ) -> None:
        if amount != amount or amount < 0:  # NaN or negative: the SDK drops these too
            return
        attrs = attributes or {}
        key: Any = tuple(attrs.items())
        with self._lock:
            try:
                point = self._aliases.get(key)
            except TypeError:  # an unhashable value (a list): key by the canonical form
                point, key = None, None
            if point is None:
                point = self.point(attrs)
                if key is not None:
                    if len(self._aliases) >= 4 * CARDINALITY_LIMIT:
                        self._aliases.clear()
                    self._aliases[key] = point
            point.add(amount)

    def point(self, attributes: Mapping[str, Any]) -> _Point:
        """The point of an attribute set (created if new; the overflow point past the
        cardinality limit). The caller holds the lock."""
        attrs = dict(attributes)
        canonical = _canonical(attrs)
        point = self._points.get(canonical)
        if point is None:
            if len(self._points) >= CARDINALITY_LIMIT - 1:
                canonical, attrs = _canonical(_OVERFLOW), dict(_OVERFLOW)
                point = self._points.get(canonical)
            if point is None:
                point = self._points[canonical] = _Point(attrs, self.bounds)
        return point

    def collect(self, start: int, now: int, delta: bool) -> Metric | None:
        """This histogram's points as an OTLP metric (the caller holds the lock).

        Points without a measurement (a series can hold points it never records to)
        are left out, as the SDK leaves out attribute sets it has not seen."""
        points = [p for p in self._points.values() if p.count]
        if delta:
            self._points = {}
            self._aliases = {}
        snapshot = [
            HistogramDataPoint(
                attributes=p.attributes,
                start_time_unix_nano=start,
                time_unix_nano=now,
                count=p.count,
                sum=p.sum,
                bucket_counts=list(p.buckets),
                explicit_bounds=self.bounds,
                min=p.min,
                max=p.max,
            )
            for p in points
        ]
        if not snapshot:
            return None
        temporality = AggregationTemporality.DELTA if delta else AggregationTemporality.CUMULATIVE
        return Metric(
            name=self.name,
            description=self.description,
            unit=self.unit,
            data=Histogram(data_points=snapshot, aggregation_temporality=temporality),
        )


class Series:
    """The points of several histograms of one meter for one attribute set, updated
    together under the meter's lock. ``generation`` tells the caller when a delta
    collection has replaced the points and the series must be obtained again."""

    __slots__ = ("generation", "lock", "points")

    def __init__(self, generation: int, lock: Any, points: tuple[_Point | None, ...]) -> None:
        self.generation = generation
        self.lock = lock
        self.points = points

    def record(self, values: tuple[float | None, ...]) -> None:
        """One value per point, in order; ``None`` records nothing there."""
        with self.lock:
            for point, amount in zip(self.points, values):
                # _Point.add, inline: this runs for every model call.
                if amount is None or point is None or amount != amount or amount < 0:
                    continue
                point.buckets[bisect_left(point.bounds, amount)] += 1
                point.count += 1
                point.sum += amount
                if amount < point.min:
                    point.min = amount
                if amount > point.max:
                    point.max = amount


DEFAULT_BOUNDS = (
    0.0,
    5.0,
    10.0,
    25.0,
    50.0,
    75.0,
    100.0,
    250.0,
    500.0,
    750.0,
    1000.0,
    2500.0,
    5000.0,
    7500.0,
    10000.0,
)
"""The specification's default explicit bucket boundaries, for histograms created without advice."""


class FastMeter:
    """Creates :class:`FastHistogram` instruments and collects them as one instrumentation scope.

    Other instruments (counters, gauges...) come from ``sdk_meter``, the SDK meter
    of the same scope, so a caller of ``FastMeterProvider.get_meter`` gets every
    instrument kind it asks for.
    """

    def __init__(
        self, scope: InstrumentationScope | str = "agentotel", sdk_meter: Any = None
    ) -> None:
        self.scope = InstrumentationScope(scope) if isinstance(scope, str) else scope
        self._sdk = sdk_meter
        self._instruments: dict[str, FastHistogram] = {}
        self._lock = threading.Lock()  # shared by every histogram of this meter
        self.generation = 0  # moves on at each delta collection
        self._start = time_ns()
        self._last = self._start

    def __getattr__(self, name: str) -> Any:
        sdk = self.__dict__.get("_sdk")
        if sdk is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(sdk, name)

    @property
    def enabled(self) -> bool:
        """False once the SDK's meter configurator disables this scope."""
        is_enabled = getattr(self._sdk, "_is_enabled", None)
        return bool(is_enabled()) if callable(is_enabled) else True

    def series(
        self,
        parts: Sequence[tuple[FastHistogram | None, Mapping[str, Any]]],
    ) -> Series:
        """A :class:`Series` of one point per (histogram, attributes) pair (None: no point)."""
        with self._lock:
            points = tuple(h.point(attrs) if h is not None else None for h, attrs in parts)
            return Series(self.generation, self._lock, points)

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> FastHistogram:
        with self._lock:
            existing = self._instruments.get(name)
            if existing is None:
                bounds = explicit_bucket_boundaries_advisory
                existing = self._instruments[name] = FastHistogram(
                    name,
                    unit,
                    description,
                    DEFAULT_BOUNDS if bounds is None else bounds,
                    self._lock,
                )
            return existing

    def collect(self, delta: bool) -> ScopeMetrics | None:
        now = time_ns()
        start = self._last if delta else self._start
        self._last = now
        with self._lock:
            if delta:
                self.generation += 1  # series built before now hold replaced points
            metrics = [
                m for h in list(self._instruments.values()) if (m := h.collect(start, now, delta))
            ]
        if not metrics:
            return None
        return ScopeMetrics(scope=self.scope, metrics=metrics, schema_url="")


def _delta(reader: MetricReader) -> bool:
    """Whether ``reader`` wants histograms as deltas (keys are the SDK's instrument classes)."""
    temporalities: Mapping[Any, Any] = getattr(reader, "_instrument_class_temporality", {})
    return any(
        cls.__name__.lstrip("_") == "Histogram" and value is AggregationTemporality.DELTA
        for cls, value in temporalities.items()
    )


class FastMeterProvider(MeterProvider):
    """An SDK ``MeterProvider`` whose meters aggregate histograms themselves.

    ``get_meter`` returns a :class:`FastMeter` when the provider has exactly one
    metric reader and no views (views could rename or drop the histograms, and
    one reader keeps one delta/cumulative state); otherwise, and for a scope the
    meter configurator disables, the SDK's meter. The provider hooks its reader's
    collection so that every collection (periodic, ``force_flush``, an in-memory
    reader's ``get_metrics_data``) carries the fast points, even when the SDK's
    own instruments have nothing to report. A reader added later gets the SDK's
    meters for scopes asked for afterwards; fast meters already handed out keep
    reporting to the first reader.
    """

    def __init__(
        self,
        metric_readers: Sequence[MetricReader] = (),
        resource: Resource | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(metric_readers, resource, **kwargs)
        self._fast_meters: dict[InstrumentationScope, FastMeter] = {}
        self._fast_lock = threading.Lock()
        readers = list(metric_readers)
        self._fast_reader: MetricReader | None = None
        self._fast_delta = False
        if len(readers) == 1 and not kwargs.get("views"):
            reader = self._fast_reader = readers[0]
            self._fast_delta = _delta(reader)
            reader._set_collect_callback(self._collect)

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> Any:
        meter = super().get_meter(name, version, schema_url, attributes)
        if self._fast_reader is None or type(meter).__name__.startswith("NoOp"):
            return meter
        fast = FastMeter(InstrumentationScope(name, version, schema_url, attributes), meter)
        if not fast.enabled:
            return meter
        with self._fast_lock:
            return self._fast_meters.setdefault(fast.scope, fast)

    def add_metric_reader(self, metric_reader: MetricReader) -> None:
        self._fast_reader = None
        super().add_metric_reader(metric_reader)

    def _collect(self, reader: MetricReader, timeout_millis: float = 10_000) -> Any:
        data: MetricsData | None = self._measurement_consumer.collect(
            reader, timeout_millis=timeout_millis
        )
        with self._fast_lock:
            meters = list(self._fast_meters.values())
        ours = [m for fast in meters if (m := fast.collect(self._fast_delta)) and fast.enabled]
        if not ours:
            return data
        return merge(data, ours, self._sdk_config.resource)


def merge(
    data: MetricsData | None, ours: Sequence[ScopeMetrics], resource: Resource
) -> MetricsData:
    """``data`` with ``ours`` added to its first resource (or to ``resource``).

    A scope the SDK reports too (a meter with both SDK instruments and fast
    histograms) gets one ``ScopeMetrics`` holding both: OTLP encoders key scopes
    by their identity, so a second entry for the same scope would replace the first.
    """
    resource_metrics = list(data.resource_metrics) if data is not None else []
    if not resource_metrics:
        return MetricsData(
            resource_metrics=[
                ResourceMetrics(resource=resource, scope_metrics=list(ours), schema_url="")
            ]
        )
    first = resource_metrics[0]
    scopes = list(first.scope_metrics)
    for scope_metrics in ours:
        for i, existing in enumerate(scopes):
            if existing.scope == scope_metrics.scope:
                scopes[i] = ScopeMetrics(
                    scope=existing.scope,
                    metrics=[*existing.metrics, *scope_metrics.metrics],
                    schema_url=existing.schema_url,
                )
                break
        else:
            scopes.append(scope_metrics)
    resource_metrics[0] = ResourceMetrics(
        resource=first.resource, scope_metrics=scopes, schema_url=first.schema_url
    )
    return MetricsData(resource_metrics=resource_metrics)


__all__ = [
    "CARDINALITY_LIMIT",
    "DEFAULT_BOUNDS",
    "FastHistogram",
    "FastMeter",
    "FastMeterProvider",
    "Series",
]
