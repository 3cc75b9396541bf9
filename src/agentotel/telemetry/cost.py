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
from typing import Any

from opentelemetry.metrics import get_meter

from agentotel import pricing, semconv
from agentotel.telemetry.metrics import InferenceValues, MetricsRecorder
from agentotel.version import __version__

_LABELS = (semconv.GEN_AI_PROVIDER_NAME, semconv.GEN_AI_OPERATION_NAME)


def enabled() -> bool:
    """Whether ``AGENTOTEL_METRICS_COST`` turns the counter on."""
    value = os.environ.get("AGENTOTEL_METRICS_COST", "").strip().lower()
    return value in ("1", "true", "yes", "on")


class CostMetrics(MetricsRecorder):
    """Records through ``inner`` and adds each priced model call's estimate to the counter."""

    __slots__ = ("_counter", "_inner")

    def __init__(self, inner: MetricsRecorder, counter: Any) -> None:
        super().__init__(inner.instruments)
        self._inner = inner
        self._counter = counter

    def duration(self, operation: str, duration: float, attrs: dict[str, Any]) -> None:
        self._inner.duration(operation, duration, attrs)

    def inference(self, attrs: dict[str, Any], values: InferenceValues) -> None:
        self._inner.inference(attrs, values)
        input_tokens, output_tokens = values[1], values[2]
        if input_tokens is None and output_tokens is None:
            return
        model = attrs.get(semconv.GEN_AI_RESPONSE_MODEL) or attrs.get(semconv.GEN_AI_REQUEST_MODEL)
        usd = pricing.cost(model, input_tokens or 0, output_tokens or 0)
        if not usd:
            return
        labels = {k: attrs[k] for k in _LABELS if k in attrs}
        labels[semconv.GEN_AI_REQUEST_MODEL] = model
        self._counter.add(usd, labels)


def with_cost(recorder: MetricsRecorder, meter_provider: Any, scope: str) -> MetricsRecorder:
    """``recorder``, plus the cost counter when it is turned on and metrics are."""
    if recorder.instruments is None or not enabled():
        return recorder
    meter = get_meter(scope, __version__, meter_provider)
    counter = meter.create_counter(
        semconv.AGENTOTEL_GEN_AI_CLIENT_COST,
        unit="USD",
        description="Estimated cost of model calls at list prices (agentotel.pricing).",
    )
    return CostMetrics(recorder, counter)


__all__ = ["CostMetrics", "enabled", "with_cost"]
