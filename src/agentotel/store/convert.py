"""Turn SDK ``ReadableSpan`` objects into store records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from agentotel.store.model import Event, Link, Span


def plain(value: Any) -> Any:
    """An attribute value as JSON-ready data (tuples become lists, bytes become hex)."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


_SCALARS = frozenset({str, int, float, bool})


def plain_attributes(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    if not attrs:
        return {}
    return {
        k if type(k) is str else str(k): v if type(v) in _SCALARS else plain(v)
        for k, v in attrs.items()
    }


def from_readable(span: ReadableSpan, resource: dict[str, Any] | None = None) -> Span | None:
    """A store record for ``span`` (None for a span without a context).

    ``resource`` lets a caller convert the resource once per batch, since every
    span of a process shares one.
    """
    ctx = span.context
    if ctx is None:
        return None
    parent = span.parent
    status = span.status
    scope = span.instrumentation_scope
    start = span.start_time or 0
    events = span.events
    links = span.links
    record = Span(
        trace_id=format(ctx.trace_id, "032x"),
        span_id=format(ctx.span_id, "016x"),
        parent_id=format(parent.span_id, "016x") if parent is not None else None,
        parent_is_remote=bool(parent is not None and parent.is_remote),
        name=span.name,
        kind=span.kind.name.lower(),
        start_ns=start,
        end_ns=span.end_time or start,
        status=status.status_code.name.lower(),
        status_message=status.description or None,
        attributes=plain_attributes(span.attributes),
        events=[
            Event(name=e.name, time_ns=e.timestamp or 0, attributes=plain_attributes(e.attributes))
            for e in events
        ]
        if events
        else [],
        links=[
            Link(
                trace_id=format(link.context.trace_id, "032x"),
                span_id=format(link.context.span_id, "016x"),
                attributes=plain_attributes(link.attributes),
            )
            for link in links
        ]
        if links
        else [],
        resource=(resource if resource is not None else plain_attributes(span.resource.attributes)),
        scope_name=scope.name if scope is not None else None,
        scope_version=(scope.version or None) if scope is not None else None,
    )
    return record.fill_facts()
