"""The GenAI metric instruments, created once per meter with the advised buckets."""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import Histogram

from agentotel import semconv


def _histogram(
    meter: Any, name: str, unit: str, description: str, buckets: tuple[float, ...]
) -> Histogram:
    histogram: Histogram = meter.create_histogram(
        name,
        unit=unit,
        description=description,
        explicit_bucket_boundaries_advisory=list(buckets),
    )
    return histogram


class Instruments:
    """Histograms for client operations; agent/tool ones exist only under the experimental names."""

    __slots__ = (
        "agent_duration",
        "duration",
        "input_tokens",
        "output_tokens",
        "time_per_output_chunk",
        "time_to_first_chunk",
        "token_usage",
        "tool_duration",
        "workflow_duration",
    )

    def __init__(self, meter: Any, names: semconv.Names) -> None:
        """``meter`` is an OpenTelemetry ``Meter`` or agentotel's ``FastMeter``."""
        d = semconv.DURATION_BUCKETS
        self.duration = _histogram(
            meter, names.operation_duration, "s", "GenAI operation duration.", d
        )
        self.token_usage: Histogram | None = None
        self.input_tokens: Histogram | None = None
        self.output_tokens: Histogram | None = None
        if names.input_token_usage and names.output_token_usage:
            self.input_tokens = _histogram(
                meter,
                names.input_token_usage,
                "{token}",
                "Input tokens used.",
                semconv.TOKEN_BUCKETS,
            )
            self.output_tokens = _histogram(
                meter,
                names.output_token_usage,
                "{token}",
                "Output tokens used.",
                semconv.TOKEN_BUCKETS,
            )
        else:
            self.token_usage = _histogram(
                meter,
                names.token_usage,
                "{token}",
                "Number of input and output tokens used.",
                semconv.TOKEN_BUCKETS,
            )
        self.time_to_first_chunk = _histogram(
            meter,
            names.time_to_first_chunk,
            "s",
            "Time from the request to the first chunk of a streamed response.",
            d,
        )
        self.time_per_output_chunk = _histogram(
            meter,
            names.time_per_output_chunk,
            "s",
            "Mean time between chunks after the first, per streamed response.",
            d,
        )
        self.agent_duration = (
            _histogram(meter, names.agent_duration, "s", "Agent invocation duration.", d)
            if names.agent_duration
            else None
        )
        self.tool_duration = (
            _histogram(meter, names.tool_duration, "s", "Tool execution duration.", d)
            if names.tool_duration
            else None
        )
        self.workflow_duration = (
            _histogram(meter, names.workflow_duration, "s", "Workflow invocation duration.", d)
            if names.workflow_duration
            else None
        )
