"""The GenAI metric instruments, created once per meter with the advised buckets."""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import Histogram

from agentotel import semconv

_TOKEN_TYPE = semconv.GEN_AI_TOKEN_TYPE

# duration, input tokens, output tokens, time to first chunk, time per chunk
InferenceValues = tuple[float, int | None, int | None, float | None, float | None]


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


class MetricsRecorder:
    """Records an operation's metrics; this base records nothing (metrics turned off).

    :class:`SdkMetrics` records through OpenTelemetry instruments; :class:`FastMetrics`
    through agentotel's own histograms when agentotel owns the meter provider.
    """

    __slots__ = ("instruments",)

    def __init__(self, instruments: Instruments | None = None) -> None:
        self.instruments = instruments

    def duration(self, operation: str, duration: float, attrs: dict[str, Any]) -> None:
        """The duration of an agent run, tool execution, workflow or other operation."""
        instruments = self.instruments
        if instruments is None:
            return
        # The released conventions define a client duration for model calls only; agent,
        # tool and workflow durations exist under the experimental names alone.
        if operation == semconv.OP_INVOKE_AGENT:
            if instruments.agent_duration is not None:
                instruments.agent_duration.record(duration, attrs)
        elif operation == semconv.OP_EXECUTE_TOOL:
            if instruments.tool_duration is not None:
                instruments.tool_duration.record(duration, attrs)
        elif operation == semconv.OP_INVOKE_WORKFLOW:
            if instruments.workflow_duration is not None:
                instruments.workflow_duration.record(duration, attrs)
        else:
            instruments.duration.record(duration, attrs)

    def inference(self, attrs: dict[str, Any], values: InferenceValues) -> None:
        """A model call under ``attrs``: (duration, input tokens, output tokens, time to
        first chunk, time per chunk), ``None`` where not known."""
        return None


class SdkMetrics(MetricsRecorder):
    """Records through the OpenTelemetry instruments of any meter provider."""

    __slots__ = ()

    def inference(self, attrs: dict[str, Any], values: InferenceValues) -> None:
        duration, input_tokens, output_tokens, first_chunk, per_chunk = values
        instruments: Any = self.instruments
        instruments.duration.record(duration, attrs)
        if input_tokens is not None or output_tokens is not None:
            if instruments.token_usage is not None:
                if input_tokens is not None:
                    instruments.token_usage.record(
                        input_tokens, {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_INPUT}
                    )
                if output_tokens is not None:
                    instruments.token_usage.record(
                        output_tokens, {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_OUTPUT}
                    )
            else:
                if input_tokens is not None and instruments.input_tokens is not None:
                    instruments.input_tokens.record(input_tokens, attrs)
                if output_tokens is not None and instruments.output_tokens is not None:
                    instruments.output_tokens.record(output_tokens, attrs)
        if first_chunk is not None:
            instruments.time_to_first_chunk.record(first_chunk, attrs)
            if per_chunk is not None:
                instruments.time_per_output_chunk.record(per_chunk, attrs)


class FastMetrics(MetricsRecorder):
    """Records model calls into one series per attribute set of agentotel's own histograms."""

    __slots__ = ("_meter", "_series")

    def __init__(self, instruments: Instruments, meter: Any) -> None:
        super().__init__(instruments)
        self._meter = meter
        self._series: dict[tuple[Any, ...], Any] = {}

    def inference(self, attrs: dict[str, Any], values: InferenceValues) -> None:
        key = (*attrs, *attrs.values())
        series = self._series.get(key)
        if series is None or series.generation != self._meter.generation:
            series = self._new_series(key, attrs)
        series.record(values)

    def _new_series(self, key: tuple[Any, ...], attrs: dict[str, Any]) -> Any:
        """The series for a model call's metric attributes: duration, input and output
        tokens, time to first chunk, time per chunk (in that order)."""
        instruments: Any = self.instruments
        if instruments.token_usage is not None:
            inputs: Any = (
                instruments.token_usage,
                {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_INPUT},
            )
            outputs: Any = (
                instruments.token_usage,
                {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_OUTPUT},
            )
        else:
            inputs, outputs = (instruments.input_tokens, attrs), (instruments.output_tokens, attrs)
        series = self._meter.series(
            (
                (instruments.duration, attrs),
                inputs,
                outputs,
                (instruments.time_to_first_chunk, attrs),
                (instruments.time_per_output_chunk, attrs),
            )
        )
        if len(self._series) >= 4096:
            self._series.clear()
        self._series[key] = series
        return series


def recorder(meter: Any, fast: bool, names: semconv.Names) -> MetricsRecorder:
    """The recorder for ``meter`` (``None``: metrics off); ``fast`` for agentotel's own meter."""
    if meter is None:
        return MetricsRecorder()
    instruments = Instruments(meter, names)
    return FastMetrics(instruments, meter) if fast else SdkMetrics(instruments)
