"""In-process histogram aggregation for pipelines agentotel owns.

The SDK's ``Histogram.record`` costs tens of microseconds (it copies and hashes
the attributes, builds a measurement and walks the view machinery), and a model
call records three of them. When ``agentotel.instrument()`` builds the
MeterProvider itself, nobody else can have views on agentotel's instruments, so
agentotel aggregates its own histograms directly (a dict lookup, a bisect and a
few additions under an uncontended lock) and merges the points into each export
of the provider's OTLP reader. The data on the wire is the same OTLP histogram
the SDK would have produced. With a MeterProvider the application supplies,
agentotel uses the SDK's instruments as usual.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from time import time_ns
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricsData,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from agentotel.version import __version__


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


class FastMeter:
    """Creates :class:`FastHistogram` instruments and collects them as one instrumentation scope."""

    def __init__(self, scope: str = "agentotel") -> None:
        self.scope = InstrumentationScope(scope, __version__)
        self._instruments: dict[str, FastHistogram] = {}
        self._lock = threading.Lock()  # shared by every histogram of this meter
        self.generation = 0  # moves on at each delta collection
        self._start = time_ns()
        self._last = self._start

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
                existing = self._instruments[name] = FastHistogram(
                    name, unit, description, explicit_bucket_boundaries_advisory or (), self._lock
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


class FastMetricReader(PeriodicExportingMetricReader):
    """A periodic OTLP reader that adds agentotel's own histograms to every collection."""

    def __init__(
        self,
        exporter: MetricExporter,
        meter: FastMeter,
        resource: Resource,
        export_interval_millis: float | None = None,
    ) -> None:
        super().__init__(exporter, export_interval_millis=export_interval_millis)
        self._fast = meter
        self._resource = resource
        self._delta = any(
            cls.__name__.lstrip("_") == "Histogram" and value is AggregationTemporality.DELTA
            for cls, value in self._instrument_class_temporality.items()
        )

    # The SDK marks collect() final; it is overridden because the SDK skips
    # _receive_metrics when its own instruments have no data, and agentotel's
    # points must go out regardless. Tests pin the behaviour.
    def collect(self, timeout_millis: float = 10_000) -> None:  # type: ignore[misc]
        collect: Any = self._collect
        if collect is None:
            return
        data: MetricsData | None = collect(self, timeout_millis=timeout_millis)
        ours = self._fast.collect(self._delta)
        if ours is not None:
            data = merge(data, ours, self._resource)
        if data is not None:
            self._receive_metrics(data, timeout_millis=timeout_millis)


def merge(data: MetricsData | None, ours: ScopeMetrics, resource: Resource) -> MetricsData:
    """``data`` with ``ours`` appended to its first resource (or to ``resource``)."""
    resource_metrics = list(data.resource_metrics) if data is not None else []
    if resource_metrics:
        first = resource_metrics[0]
        resource_metrics[0] = ResourceMetrics(
            resource=first.resource,
            scope_metrics=[*first.scope_metrics, ours],
            schema_url=first.schema_url,
        )
    else:
        resource_metrics = [ResourceMetrics(resource=resource, scope_metrics=[ours], schema_url="")]
    return MetricsData(resource_metrics=resource_metrics)


_meters: weakref.WeakKeyDictionary[Any, FastMeter] = weakref.WeakKeyDictionary()


def register(meter_provider: Any, meter: FastMeter) -> None:
    """Mark ``meter_provider`` as one whose agentotel metrics go through ``meter``."""
    _meters[meter_provider] = meter


def fast_meter_for(meter_provider: Any) -> FastMeter | None:
    """The fast meter registered for ``meter_provider`` (or the global provider), if any."""
    if meter_provider is None:
        from opentelemetry import metrics

        meter_provider = metrics.get_meter_provider()
    try:
        return _meters.get(meter_provider)
    except TypeError:
        return None


__all__ = [
    "CARDINALITY_LIMIT",
    "FastHistogram",
    "FastMeter",
    "FastMetricReader",
    "Series",
    "fast_meter_for",
    "register",
]
