"""Invocation objects: one per GenAI operation, filled by a wrapper, ended by ``stop``/``fail``.

An invocation owns one span. It is started by :class:`~agentotel.telemetry.TelemetryHandler`
with the attributes known up front (samplers read them), collects what the
response tells, and on ``stop()`` or ``fail()`` sets the end attributes in one
call, ends the span exactly once and records the metrics. Its methods never
raise: internal errors go to :mod:`agentotel._safety`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation import _SPAN_KEY

from agentotel import _safety, semconv
from agentotel.telemetry import context as _context
from agentotel.telemetry import secrets
from agentotel.telemetry.emitter import Emitter


def error_type_of(error: BaseException | str) -> str:
    """The ``error.type`` value: a status code or type name as given, or the exception's qualified type."""
    if isinstance(error, str):
        return error
    cls = type(error)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    # Prefer the public name: openai.RateLimitError rather than openai._exceptions.RateLimitError.
    top = module.partition(".")[0]
    package = sys.modules.get(top)
    if package is not None and getattr(package, cls.__name__, None) is cls:
        return f"{top}.{cls.__name__}"
    return f"{module}.{cls.__qualname__}"


def http_status_of(error: BaseException) -> int | None:
    """The HTTP status an SDK's exception carries: ``status_code`` on openai, anthropic and
    LiteLLM errors, ``code`` on google-genai's, the response metadata on botocore's."""
    response = getattr(error, "response", None)
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    for value in (
        getattr(error, "status_code", None),
        getattr(error, "code", None),
        metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None,
    ):
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


class Invocation:
    """Common state of every operation: the span, the clock, extra attributes, the outcome."""

    __slots__ = (
        "_emitter",
        "_ended",
        "_start",
        "_token",
        "attributes",
        "capture_content",
        "error_type",
        "metric_attributes",
        "operation",
        "span",
    )

    def __init__(
        self, emitter: Emitter, operation: str, span: Span, metric_attributes: dict[str, Any], /
    ) -> None:
        if type(emitter) is not Emitter:
            emitter = emitter.emitter  # type: ignore[attr-defined]  # a TelemetryHandler
        self._emitter = emitter
        self.operation = operation
        self.span = span
        self.metric_attributes = metric_attributes
        self.attributes: dict[str, Any] = {}
        self.error_type: str | None = None
        self._start = time.perf_counter()
        self._ended = False
        self._token: object | None = None
        # Whether extractors should build message content at all (skip the work when not).
        self.capture_content: bool = emitter.content_enabled and span.is_recording()

    @property
    def names(self) -> semconv.Names:
        """The name set in force (stable, or experimental under the opt-in)."""
        return self._emitter.names

    # -- context -------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.span.is_recording()

    @property
    def ended(self) -> bool:
        return self._ended

    def attach(self, context: Context | None = None, marker: str | None = None) -> None:
        """Make the span current (until :meth:`detach`), in ``context`` or the current one.

        ``marker`` is a context key set to ``True`` alongside the span, so that the
        instrumentor can tell its own call apart from nested calls to the same SDK.
        """
        if self._token is None:
            values = (context if context is not None else _context.current()).copy()
            values[_SPAN_KEY] = self.span
            if marker is not None:
                values[marker] = True
            self._token = _context.attach(Context(values))

    def detach(self) -> None:
        token = self._token
        if token is not None:
            _context.detach(token)
            self._token = None  # kept until detached, so a failed detach can be retried

    def __enter__(self) -> Invocation:
        self.attach()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.detach()
        if exc is not None:
            self.fail(exc)
        else:
            self.stop()

    # -- outcome -------------------------------------------------------------
    def set(self, key: str, value: Any) -> None:
        """Set an attribute that goes on the span when it ends (ignored when ``None``)."""
        if value is not None:
            self.attributes[key] = value

    def stop(self) -> None:
        """End successfully. Safe to call more than once: only the first call counts."""
        if self._ended:
            return
        self._ended = True
        try:
            self._finish()
        except Exception as exc:  # pragma: no cover - exercised through forced failures
            _safety.report(f"telemetry.{self.operation}.stop", exc)
            self._end_span_quietly()

    def fail(self, error: BaseException | str, description: str | None = None) -> None:
        """End with ``error.type`` and ERROR status. Only the first stop/fail counts."""
        if self._ended:
            return
        if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
            # The caller gave up (task cancelled, generator closed): not the operation's failure.
            self.set(semconv.AGENTOTEL_STREAM_ENDED_BY, "cancelled")
            self.stop()
            return
        self._ended = True
        try:
            self.error_type = error_type_of(error)
            span = self.span
            if span.is_recording():
                # Error text often repeats the request's credentials: scrubbed before it goes out.
                if isinstance(error, BaseException):
                    span.record_exception(error, secrets.exception_attributes(error))
                    description = description or str(error) or self.error_type
                    status_code = http_status_of(error)
                    if status_code is not None:
                        span.set_attribute(semconv.HTTP_RESPONSE_STATUS_CODE, status_code)
                description = secrets.scrub(description) if description else self.error_type
                span.set_status(Status(StatusCode.ERROR, description))
            self._finish()
        except Exception as exc:  # pragma: no cover
            _safety.report(f"telemetry.{self.operation}.fail", exc)
            self._end_span_quietly()

    def _end_span_quietly(self) -> None:
        try:
            # A failure after span.end() (in the metrics) must not end it twice.
            if self.span.is_recording():
                self.span.end()
        except Exception:
            pass

    def _finish(self) -> None:
        duration = time.perf_counter() - self._start
        span = self.span
        if self.error_type is not None:
            self.metric_attributes[semconv.ERROR_TYPE] = self.error_type
        if span.is_recording():
            attrs = self.attributes
            self._end_attributes(attrs)
            if self.error_type is not None:
                attrs[semconv.ERROR_TYPE] = self.error_type
            if attrs:
                span.set_attributes(attrs)
            span.end()
        self._record_metrics(duration)

    # Subclasses add their end attributes and metrics.
    def _end_attributes(self, attrs: dict[str, Any]) -> None:
        return None

    def _record_metrics(self, duration: float) -> None:
        self._emitter.metrics.duration(self.operation, duration, self.metric_attributes)


class InferenceInvocation(Invocation):
    """A model call: ``chat``, ``text_completion``, ``generate_content`` or ``embeddings``.

    The instrumentor fills the fields below from the response; ``None`` is "not known".
    """

    __slots__ = (
        "_chunks",
        "_first_chunk",
        "_last_chunk",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "dimension_count",
        "finish_reasons",
        "input_messages",
        "input_tokens",
        "output_messages",
        "output_tokens",
        "reasoning_output_tokens",
        "response_id",
        "response_model",
        "system_instructions",
        "tool_call_ids",
        "tool_definitions",
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        # Slots, not class-level defaults: slot reads and writes are the cheap ones.
        self.response_model: str | None = None
        self.response_id: str | None = None
        self.finish_reasons: Sequence[str] | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cache_read_input_tokens: int | None = None
        self.cache_creation_input_tokens: int | None = None
        self.reasoning_output_tokens: int | None = None
        self.dimension_count: int | None = None
        self.input_messages: list[dict[str, Any]] | None = None
        self.output_messages: list[dict[str, Any]] | None = None
        self.system_instructions: list[dict[str, Any]] | None = None
        self.tool_definitions: list[dict[str, Any]] | None = None
        self.tool_call_ids: list[str] | None = None
        self._first_chunk: float | None = None
        self._last_chunk: float | None = None
        self._chunks = 0

    def _record_metrics(self, duration: float) -> None:
        """Duration, tokens and streaming timings, all under one attribute set."""
        metrics = self._emitter.metrics
        if metrics.instruments is None:
            return
        attrs = self.metric_attributes
        if self.response_model is not None:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.response_model
        first = self._first_chunk if self.error_type is None else None
        per_chunk = None
        if first is not None and self._chunks > 1 and self._last_chunk is not None:
            per_chunk = (self._last_chunk - first) / (self._chunks - 1)
        metrics.inference(
            attrs,
            (
                duration,
                self.input_tokens,
                self.output_tokens,
                first - self._start if first is not None else None,
                per_chunk,
            ),
        )

    def chunk(self) -> None:
        """Note that a streamed chunk arrived (for time-to-first-chunk and time-per-chunk)."""
        now = time.perf_counter()
        if self._first_chunk is None:
            self._first_chunk = now
        self._last_chunk = now
        self._chunks += 1

    def _end_attributes(self, attrs: dict[str, Any]) -> None:
        if self.response_model is not None:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.response_model
        if self.response_id is not None:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.response_id
        if self.finish_reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(self.finish_reasons)
        if self.input_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = self.input_tokens
        if self.output_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = self.output_tokens
        if self.cache_read_input_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = self.cache_read_input_tokens
        if self.cache_creation_input_tokens is not None:
            attrs[self._emitter.names.cache_creation_input_tokens] = (
                self.cache_creation_input_tokens
            )
        if self.reasoning_output_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = self.reasoning_output_tokens
        if self.dimension_count is not None:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = self.dimension_count
        emitter = self._emitter
        if self.tool_call_ids:
            emitter.tool_calls.remember(self.tool_call_ids, self.span)
        if emitter.content_enabled:
            try:
                # The details event describes an inference; an embeddings call is not one.
                emitter.content.conversation(
                    self, attrs, event=self.operation != semconv.OP_EMBEDDINGS
                )
            except Exception as exc:  # content failures cost the content, not the span
                _safety.report("telemetry.content", exc)


class ToolInvocation(Invocation):
    """A tool execution (``execute_tool``). Arguments and result are recorded only with content on."""

    __slots__ = ("arguments", "result")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.arguments: Any = None
        self.result: Any = None

    def _end_attributes(self, attrs: dict[str, Any]) -> None:
        content = self._emitter.content
        if content.mode.on_span:
            if self.arguments is not None:
                content.attribute(
                    attrs, semconv.GEN_AI_TOOL_CALL_ARGUMENTS, self.arguments, as_json=False
                )
            if self.result is not None:
                content.attribute(
                    attrs, semconv.GEN_AI_TOOL_CALL_RESULT, self.result, as_json=False
                )


class AgentInvocation(Invocation):
    """An agent run (``invoke_agent``) or a workflow (``invoke_workflow``)."""

    __slots__ = (
        "input_messages",
        "input_tokens",
        "output_messages",
        "output_tokens",
        "system_instructions",
        "tool_definitions",
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.input_messages: list[dict[str, Any]] | None = None
        self.output_messages: list[dict[str, Any]] | None = None
        self.system_instructions: list[dict[str, Any]] | None = None
        self.tool_definitions: list[dict[str, Any]] | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def _end_attributes(self, attrs: dict[str, Any]) -> None:
        if self.input_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = self.input_tokens
        if self.output_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = self.output_tokens
        if self._emitter.content.mode.on_span:
            try:
                self._emitter.content.conversation(self, attrs, event=False)
            except Exception as exc:
                _safety.report("telemetry.content", exc)
