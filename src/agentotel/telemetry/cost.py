"""An opt-in counter of the estimated USD that model calls cost (``AGENTOTEL_METRICS_COST``).

Prices come from :mod:`agentotel.pricing`, the table the local store's queries
use. The counter is labelled by provider, model (the response model when the
provider named one, else the requested model) and operation only, so its series
stay as few as the models an application calls. Cache discounts are not
applied (the metric sees total input tokens), so the figure is an upper-bound
estimate of list prices, not a bill.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation, get_meter, get_meter_provider

from agentotel import pricing, semconv
from agentotel.telemetry.metrics import InferenceValues, MetricsRecorder
from agentotel.version import __version__


def enabled() -> bool:
    """Whether ``AGENTOTEL_METRICS_COST`` turns the counter on."""
    value = os.environ.get("AGENTOTEL_METRICS_COST", "").strip().lower()
    return value in ("1", "true", "yes", "on")


class _Totals:
    """Running USD per label set, read by an observable counter at each collection.

    Adding to a dict under a lock costs a fraction of the SDK's ``Counter.add`` on
    every model call; the SDK turns the cumulative totals into whatever temporality
    each reader asks for."""

    __slots__ = ("_lock", "_prices", "_totals")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[tuple[tuple[str, Any], ...], float] = {}
        self._prices: dict[str, pricing.Price | None] = {}

    def add(self, model: str, input_tokens: int, output_tokens: int, labels: Any) -> None:
        price = self._prices.get(model, _UNKNOWN)
        if price is _UNKNOWN:
            if len(self._prices) >= 4096:
                self._prices.clear()
            price = self._prices[model] = pricing.lookup(model)
        if price is None:
            return
        usd = (input_tokens * price.input + output_tokens * price.output) / 1_000_000
        if usd <= 0:
            return
        with self._lock:
            self._totals[labels] = self._totals.get(labels, 0.0) + usd

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = list(self._totals.items())
        return [Observation(total, dict(labels)) for labels, total in items]


_UNKNOWN: Any = object()


class CostMetrics(MetricsRecorder):
    """Records through ``inner`` and adds each priced model call's estimate to the totals."""

    __slots__ = ("_inner", "_totals")

    def __init__(self, inner: MetricsRecorder, totals: _Totals) -> None:
        super().__init__(inner.instruments)
        self._inner = inner
        self._totals = totals

    def duration(self, operation: str, duration: float, attrs: dict[str, Any]) -> None:
        self._inner.duration(operation, duration, attrs)

    def inference(self, attrs: dict[str, Any], values: InferenceValues) -> None:
        self._inner.inference(attrs, values)
        input_tokens, output_tokens = values[1], values[2]
        if input_tokens is None and output_tokens is None:
            return
        model = attrs.get(semconv.GEN_AI_RESPONSE_MODEL) or attrs.get(semconv.GEN_AI_REQUEST_MODEL)
        if not isinstance(model, str) or not model:
            return
        labels = (
            (semconv.GEN_AI_OPERATION_NAME, attrs.get(semconv.GEN_AI_OPERATION_NAME, "")),
            (semconv.GEN_AI_PROVIDER_NAME, attrs.get(semconv.GEN_AI_PROVIDER_NAME, "")),
            (semconv.GEN_AI_REQUEST_MODEL, model),
        )
        self._totals.add(model, input_tokens or 0, output_tokens or 0, labels)


_by_provider: weakref.WeakKeyDictionary[Any, _Totals] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def with_cost(recorder: MetricsRecorder, meter_provider: Any, scope: str) -> MetricsRecorder:
    """``recorder``, plus the cost counter when it is turned on and metrics are.

    Every handler of one meter provider (one per instrumentor) shares one set of
    totals and one observable counter: the SDK keeps the first instrument of a
    name and would drop a second one's callback."""
    if recorder.instruments is None or not enabled():
        return recorder
    provider = meter_provider if meter_provider is not None else get_meter_provider()
    with _registry_lock:
        try:
            totals = _by_provider.get(provider)
            shared = True
        except TypeError:  # a provider that cannot be weakly referenced: not shared
            totals, shared = None, False
        if totals is None:
            totals = _Totals()
            meter = get_meter(scope, __version__, provider)
            meter.create_observable_counter(
                semconv.AGENTOTEL_GEN_AI_CLIENT_COST,
                callbacks=[totals.observe],
                unit="USD",
                description="Estimated cost of model calls at list prices (agentotel.pricing).",
            )
            if shared:
                _by_provider[provider] = totals
    return CostMetrics(recorder, totals)


__all__ = ["CostMetrics", "enabled", "with_cost"]
