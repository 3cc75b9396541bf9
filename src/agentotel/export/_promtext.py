"""Collected OpenTelemetry metrics in the Prometheus text exposition format (0.0.4).

Names follow OpenTelemetry's Prometheus compatibility rules: characters outside
``[a-zA-Z0-9_:]`` become ``_``, the unit is appended as a word (``s`` ->
``_seconds``; ``{token}``-style annotations are dropped), monotonic sums end in
``_total``, histograms become ``_bucket{le=...}``/``_sum``/``_count``, and the
resource is one ``target_info`` series. Every series carries ``otel_scope_name``
and ``otel_scope_version``. Only cumulative data is encoded (the reader asks for it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    Metric,
    MetricsData,
    Sum,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INVALID_NAME = re.compile(r"[^a-zA-Z0-9_:]+")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9_]+")
_ANNOTATION = re.compile(r"\{[^}]*\}")

_UNITS = {
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    "Cel": "celsius",
    "Hz": "hertz",
    "%": "percent",
}
_PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month"}


def _collapse(text: str) -> str:
    return re.sub("_+", "_", text).strip("_")


def unit_suffix(unit: str, gauge: bool) -> str:
    """The words a unit adds to a metric name (empty for none or annotations only)."""
    unit = _ANNOTATION.sub("", unit or "").strip()
    if not unit:
        return ""
    if unit == "1":
        return "ratio" if gauge else ""
    if "/" in unit:
        top, _, bottom = unit.partition("/")
        top_word = _UNITS.get(top, top) if top else ""
        bottom_word = _PER_UNITS.get(bottom, bottom)
        words = f"{top_word}_per_{bottom_word}" if top_word else f"per_{bottom_word}"
        return _collapse(_INVALID_NAME.sub("_", words))
    return _collapse(_INVALID_NAME.sub("_", _UNITS.get(unit, unit)))


def metric_name(name: str, unit: str, kind: str) -> str:
    """The Prometheus family name of an OpenTelemetry metric (``kind``: counter, gauge, histogram)."""
    base = _collapse(_INVALID_NAME.sub("_", name)) or "_"
    if base[0].isdigit():
        base = "_" + base
    suffix = unit_suffix(unit, kind == "gauge")
    if suffix and not base.endswith("_" + suffix):
        base = f"{base}_{suffix}"
    if kind == "counter":
        base = base.removesuffix("_total") + "_total"
    return base


def label_name(key: str) -> str:
    """An attribute key as a Prometheus label name."""
    label = _INVALID_LABEL.sub("_", key)
    if label and label[0].isdigit():
        label = "key_" + label
    return label or "_"


def _label_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), separators=(",", ":"))
    return str(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, Any]]) -> str:
    merged: dict[str, str] = {}
    for key, value in pairs:
        name = label_name(key)
        text = _label_value(value)
        # Two keys that sanitize to one label name: values joined, sorted by key (the spec's rule).
        merged[name] = f"{merged[name]};{text}" if name in merged else text
    if not merged:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in merged.items()) + "}"


def _number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _kind(metric: Metric) -> str | None:
    data = metric.data
    if isinstance(data, Histogram):
        return "histogram"
    if isinstance(data, Sum):
        return "counter" if data.is_monotonic else "gauge"
    if isinstance(data, Gauge):
        return "gauge"
    return None  # exponential histograms: not encoded (agentotel records none)


class _Family:
    __slots__ = ("help", "kind", "lines")

    def __init__(self, kind: str, help_text: str) -> None:
        self.kind = kind
        self.help = help_text
        self.lines: list[str] = []


def _points(family: _Family, name: str, metric: Metric, scope: list[tuple[str, Any]]) -> None:
    data: Any = metric.data
    lines = family.lines
    for point in data.data_points:
        attrs = sorted(point.attributes.items()) if point.attributes else []
        labels = _labels([*attrs, *scope])
        if family.kind != "histogram":
            lines.append(f"{name}{labels} {_number(point.value)}")
            continue
        # The point's labels are encoded once; each bucket adds only its le.
        prefix = f"{name}_bucket{labels[:-1]}," if labels else f"{name}_bucket{{"
        running = 0
        bounds = [*point.explicit_bounds, math.inf]
        for bound, count in zip(bounds, point.bucket_counts):
            running += count
            lines.append(f'{prefix}le="{_number(float(bound))}"}} {running}')
        lines.append(f"{name}_sum{labels} {_number(point.sum)}")
        lines.append(f"{name}_count{labels} {point.count}")


def encode(data: MetricsData | None) -> str:
    """``data`` as Prometheus text: ``target_info`` first, then one family per metric name."""
    families: dict[str, _Family] = {}
    resource_attrs: Mapping[str, Any] = {}
    for resource_metrics in data.resource_metrics if data is not None else ():
        resource_attrs = resource_metrics.resource.attributes or resource_attrs
        for scope_metrics in resource_metrics.scope_metrics:
            scope = [("otel_scope_name", scope_metrics.scope.name)]
            if scope_metrics.scope.version:
                scope.append(("otel_scope_version", scope_metrics.scope.version))
            for metric in scope_metrics.metrics:
                kind = _kind(metric)
                if kind is None:
                    continue
                name = metric_name(metric.name, metric.unit or "", kind)
                family = families.get(name)
                if family is None:
                    family = families[name] = _Family(kind, metric.description or "")
                elif family.kind != kind:
                    continue  # one name, two types: Prometheus would reject the scrape
                _points(family, name, metric, scope)
    out: list[str] = []
    if resource_attrs:
        out.append("# HELP target_info Target metadata")
        out.append("# TYPE target_info gauge")
        out.append(f"target_info{_labels(sorted(resource_attrs.items()))} 1")
    for name, family in families.items():
        if family.help:
            help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
            out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {family.kind}")
        out.extend(family.lines)
    return "\n".join(out) + "\n" if out else ""


__all__ = ["CONTENT_TYPE", "encode", "label_name", "metric_name", "unit_suffix"]
