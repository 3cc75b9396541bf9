"""The components an invocation needs to end itself, handed over as one object.

The handler builds one :class:`Emitter` and gives it to every invocation it starts, so
invocations never reach back into the handler (and the two modules never import each
other): the tracer that started the span, the metrics recorder, the content recorder
and the registry of tool calls requested by model calls.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, get_logger
from opentelemetry.trace import Link, Span, SpanContext

from agentotel import _config, _safety, semconv
from agentotel.telemetry import content as content_mod
from agentotel.telemetry.metrics import MetricsRecorder
from agentotel.version import __version__

_TOOL_CALL_MEMORY = 2048
# (attribute, invocation field) for the conversation.
_CONTENT_FIELDS = (
    (semconv.GEN_AI_INPUT_MESSAGES, "input_messages"),
    (semconv.GEN_AI_OUTPUT_MESSAGES, "output_messages"),
    (semconv.GEN_AI_SYSTEM_INSTRUCTIONS, "system_instructions"),
    (semconv.GEN_AI_TOOL_DEFINITIONS, "tool_definitions"),
)
_CONTENT_KEYS = frozenset(name for name, _ in _CONTENT_FIELDS)


class Conversation(Protocol):
    """What the content recorder reads from an invocation (model call or agent run)."""

    input_messages: list[dict[str, Any]] | None
    output_messages: list[dict[str, Any]] | None
    system_instructions: list[dict[str, Any]] | None
    tool_definitions: list[dict[str, Any]] | None
    metric_attributes: dict[str, Any]
    span: Span


class ToolCalls:
    """Tool call ids requested by model calls, mapped to the span that requested them.

    Bounded (oldest forgotten first) and shared by every handler: the chat span may come
    from an instrumentor and the tool span from a decorator.
    """

    def __init__(self, memory: int = _TOOL_CALL_MEMORY) -> None:
        self._calls: OrderedDict[str, SpanContext] = OrderedDict()
        self._lock = threading.Lock()
        self._memory = memory

    def remember(self, call_ids: list[str], span: Span) -> None:
        ctx = span.get_span_context()
        with self._lock:
            calls = self._calls
            for call_id in call_ids:
                calls[call_id] = ctx
                calls.move_to_end(call_id)
            while len(calls) > self._memory:
                calls.popitem(last=False)

    def links_for(self, call_id: str | None) -> list[Link] | None:
        """A link to the model call that asked for ``call_id``, when it is in this trace."""
        if not call_id:
            return None
        requested = self._calls.get(call_id)
        if requested is None:
            return None
        if requested.trace_id != trace.get_current_span().get_span_context().trace_id:
            return None
        return [Link(requested)]


#: The registry every handler shares.
TOOL_CALLS = ToolCalls()


class ContentRecorder:
    """Serializes message content onto spans and inference-details events, as settings say."""

    def __init__(
        self,
        settings: _config.Settings,
        logger_provider: LoggerProvider | None = None,
        scope: str = "agentotel",
    ) -> None:
        self.settings = settings
        self.mode = settings.content
        self._logger_provider = logger_provider
        self._scope = scope
        self._event_logger: Any = None

    def serialize(self, name: str, value: Any, as_json: bool) -> tuple[str | None, bool]:
        """Content as recorded, or ``None``; a failing redactor costs only this attribute."""
        settings = self.settings
        try:
            return content_mod.serialize(
                name, value, settings.max_content_length, settings.redact, as_json
            )
        except Exception as exc:
            _safety.report(f"content.{name}", exc)
            return None, False

    def attribute(
        self, attrs: dict[str, Any], name: str, value: Any, as_json: bool = True
    ) -> str | None:
        """Put ``value`` into ``attrs[name]`` as recorded text (marking truncation)."""
        text, truncated = self.serialize(name, value, as_json)
        if text is not None:
            attrs[name] = text
            if truncated:
                attrs[semconv.AGENTOTEL_CONTENT_TRUNCATED] = True
        return text

    def conversation(self, inv: Conversation, attrs: dict[str, Any], event: bool) -> None:
        """Put the conversation on the span and/or in an event, as the content mode says."""
        mode = self.mode
        event_attrs: dict[str, Any] | None = {} if mode.on_event and event else None
        for name, field in _CONTENT_FIELDS:
            value = getattr(inv, field)
            if value is None:
                continue
            if mode.on_span:
                text = self.attribute(attrs, name, value)
            else:
                text, _ = self.serialize(name, value, True)
            if event_attrs is not None and text is not None:
                # Always a JSON document (serialize guarantees it), structured on the event.
                event_attrs[name] = json.loads(text)
        if event_attrs is not None:
            self._emit_details(inv, attrs, event_attrs)

    def _emit_details(
        self, inv: Conversation, attrs: dict[str, Any], event_attrs: dict[str, Any]
    ) -> None:
        logger = self._event_logger
        if logger is None:
            logger = self._event_logger = get_logger(
                self._scope, __version__, logger_provider=self._logger_provider
            )
        base = dict(inv.metric_attributes)
        for key, value in attrs.items():
            if key not in _CONTENT_KEYS:
                base[key] = value
        base.update(event_attrs)
        logger.emit(
            timestamp=time.time_ns(),
            event_name=semconv.EVENT_INFERENCE_DETAILS,
            attributes=base,
            context=trace.set_span_in_context(inv.span),
        )


class Emitter:
    """Tracer, metrics recorder, content recorder and tool-call registry, under one settings."""

    __slots__ = (
        "content",
        "content_enabled",
        "metrics",
        "names",
        "settings",
        "tool_calls",
        "tracer",
    )

    def __init__(
        self,
        tracer: Any,
        metrics: MetricsRecorder,
        content: ContentRecorder,
        tool_calls: ToolCalls = TOOL_CALLS,
    ) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.content = content
        self.tool_calls = tool_calls
        self.settings = content.settings
        self.names = self.settings.names
        self.content_enabled = self.settings.content.enabled
