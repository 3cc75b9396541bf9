"""Spans as rows of the Collector's ``otel_traces`` table, and back.

The Collector's clickhouse exporter stringifies every attribute value into a
``Map(LowCardinality(String), String)`` (booleans ``true``/``false``, numbers in
their shortest form, arrays and maps as compact JSON) and writes span kinds and
status codes as words (``Client``, ``Error``; older versions ``SPAN_KIND_CLIENT``,
``STATUS_CODE_ERROR``). Writing follows the same rules; reading recovers typed
values from what agentotel knows of the GenAI conventions (token counts are
numbers, finish reasons are lists), falling back to plain-looking numbers and
booleans for attributes it does not know.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from agentotel import semconv
from agentotel.store.model import Event, Link, Span

KIND_WORDS = {
    "internal": "Internal",
    "server": "Server",
    "client": "Client",
    "producer": "Producer",
    "consumer": "Consumer",
}
STATUS_WORDS = {"unset": "Unset", "ok": "Ok", "error": "Error"}
ERROR_WORDS = ("Error", "STATUS_CODE_ERROR")
"""Every ``StatusCode`` the exporter has written for an error."""

_INTS = frozenset({
    semconv.GEN_AI_USAGE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    semconv.GEN_AI_REQUEST_MAX_TOKENS,
    semconv.GEN_AI_REQUEST_TOP_K,
    semconv.GEN_AI_REQUEST_SEED,
    semconv.GEN_AI_REQUEST_CHOICE_COUNT,
    semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    semconv.ANTHROPIC_COUNT_TOKENS_INPUT_TOKENS,
    semconv.SERVER_PORT,
    semconv.HTTP_RESPONSE_STATUS_CODE,
})  # fmt: skip
_FLOATS = frozenset({
    semconv.GEN_AI_REQUEST_TEMPERATURE,
    semconv.GEN_AI_REQUEST_TOP_P,
    semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    semconv.GEN_AI_EVALUATION_SCORE_VALUE,
})  # fmt: skip
_LISTS = frozenset({
    semconv.GEN_AI_RESPONSE_FINISH_REASONS,
    semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    semconv.GEN_AI_REQUEST_ENCODING_FORMATS,
})  # fmt: skip
_BOOLS = frozenset({
    semconv.GEN_AI_REQUEST_STREAM,
    semconv.AGENTOTEL_VCS_DIRTY,
    semconv.AGENTOTEL_CONTENT_TRUNCATED,
})  # fmt: skip
_STRINGS = frozenset({
    semconv.GEN_AI_INPUT_MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES,
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
    semconv.GEN_AI_TOOL_DEFINITIONS,
    semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
    semconv.GEN_AI_TOOL_CALL_RESULT,
    semconv.GEN_AI_TOOL_CALL_ID,
    semconv.GEN_AI_RESPONSE_ID,
    semconv.GEN_AI_CONVERSATION_ID,
    semconv.GEN_AI_AGENT_ID,
    semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_RESPONSE_MODEL,
    semconv.GEN_AI_TOOL_NAME,
    semconv.GEN_AI_AGENT_NAME,
    semconv.GEN_AI_AGENT_VERSION,
    semconv.JSONRPC_REQUEST_ID,
    semconv.MCP_SESSION_ID,
    semconv.AGENTOTEL_RUN_ID,
    semconv.AGENTOTEL_CASE_ID,
    semconv.VCS_REF_HEAD_REVISION,
    semconv.SERVICE_NAME,
    semconv.ERROR_TYPE,
})  # fmt: skip
_TEXT_SUFFIXES = (".name", ".id", ".version", ".revision", ".message", ".type")
"""Names, ids and versions are text in the conventions, even when they look like numbers."""
_INT_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,17})$")
_FLOAT_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+([eE][-+]?[0-9]+)?$")


# --- writing ---------------------------------------------------------------------


def _raw(value: Any) -> Any:
    """A value as the exporter's JSON holds it inside an array or map."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _raw(v) for k, v in value.items()}
    return value


def stringify(value: Any) -> str:
    """One attribute value as the exporter writes it into the map."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple, Mapping)):
        return json.dumps(_raw(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


def string_map(attrs: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): stringify(v) for k, v in attrs.items()}


def time_text(ns: int) -> str:
    """Nanoseconds since the epoch as a UTC timestamp ClickHouse parses with best_effort."""
    secs, frac = divmod(ns, 1_000_000_000)
    stamp = _dt.datetime.fromtimestamp(secs, tz=_dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def to_row(span: Span, scope_columns: bool = True) -> dict[str, Any]:
    """The ``otel_traces`` row the exporter would write for ``span`` (JSONEachRow keys)."""
    attrs = string_map(span.attributes)
    row: dict[str, Any] = {
        "Timestamp": time_text(span.start_ns),
        "TraceId": span.trace_id,
        "SpanId": span.span_id,
        "ParentSpanId": span.parent_id or "",
        "TraceState": "",
        "SpanName": span.name,
        "SpanKind": KIND_WORDS.get(span.kind, "Internal"),
        "ServiceName": stringify(span.resource.get(semconv.SERVICE_NAME)),
        "ResourceAttributes": string_map(span.resource),
        "SpanAttributes": attrs,
        "Duration": max(0, span.end_ns - span.start_ns),
        "StatusCode": STATUS_WORDS.get(span.status, "Unset"),
        "StatusMessage": span.status_message or "",
        "Events.Timestamp": [time_text(e.time_ns) for e in span.events],
        "Events.Name": [e.name for e in span.events],
        "Events.Attributes": [string_map(e.attributes) for e in span.events],
        "Links.TraceId": [lk.trace_id for lk in span.links],
        "Links.SpanId": [lk.span_id for lk in span.links],
        "Links.TraceState": ["" for _ in span.links],
        "Links.Attributes": [string_map(lk.attributes) for lk in span.links],
    }
    if scope_columns:
        row["ScopeName"] = span.scope_name or ""
        row["ScopeVersion"] = span.scope_version or ""
    else:  # older exporters kept the scope in the span's attributes
        if span.scope_name:
            attrs[semconv.OTEL_SCOPE_NAME] = span.scope_name
        if span.scope_version:
            attrs[semconv.OTEL_SCOPE_VERSION] = span.scope_version
    return row


# --- reading ---------------------------------------------------------------------


def typed(key: str, text: str) -> Any:
    """A stringified attribute value back as the type the conventions give it."""
    if key in _STRINGS or key.endswith(_TEXT_SUFFIXES):
        return text
    if key in _INTS:
        try:
            return int(text)
        except ValueError:
            return text
    if key in _FLOATS:
        try:
            return float(text)
        except ValueError:
            return text
    if key in _LISTS:
        return _json_list(text, scalars_only=False)
    if key in _BOOLS:
        return {"true": True, "false": False}.get(text, text)
    if text in ("true", "false"):
        return text == "true"
    if _INT_TEXT.match(text):
        return int(text)
    if _FLOAT_TEXT.match(text):
        return float(text)
    if text.startswith("[") and text.endswith("]"):
        return _json_list(text, scalars_only=True)
    return text


def _json_list(text: str, scalars_only: bool) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, list):
        return text
    if scalars_only and any(isinstance(v, (list, dict)) for v in value):
        return text
    return value


def typed_map(raw: Mapping[str, str] | None) -> dict[str, Any]:
    return {k: typed(k, v) for k, v in (raw or {}).items()}


def kind(word: str) -> str:
    low = word.lower().removeprefix("span_kind_")
    return low if low in KIND_WORDS else "internal"


def status(word: str) -> str:
    low = word.lower().removeprefix("status_code_")
    return low if low in STATUS_WORDS else "unset"


FULL_COLUMNS = (
    "TraceId, SpanId, ParentSpanId, SpanName, SpanKind, toUnixTimestamp64Nano(Timestamp), "
    "Duration, StatusCode, StatusMessage, SpanAttributes, ResourceAttributes, "
    "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), Events.Name, "
    "Events.Attributes, Links.TraceId, Links.SpanId, Links.Attributes, {scope}"
)
"""What :func:`from_row` reads; ``{scope}`` is the scope columns or empty strings."""


def from_row(row: Sequence[Any]) -> Span:
    """A span (facts filled) from a row selected with :data:`FULL_COLUMNS`."""
    (tid, sid, parent, name, kind_word, start, duration, code, message, attrs, res,
     ev_times, ev_names, ev_attrs, lk_tids, lk_sids, lk_attrs, scope_name, scope_version) = row  # fmt: skip
    attributes = typed_map(attrs)
    if not scope_name and semconv.OTEL_SCOPE_NAME in attributes:
        scope_name = str(attributes.pop(semconv.OTEL_SCOPE_NAME))
        if semconv.OTEL_SCOPE_VERSION in attributes:
            scope_version = str(attributes.pop(semconv.OTEL_SCOPE_VERSION))
    start_ns = int(start)
    span = Span(
        trace_id=tid,
        span_id=sid,
        parent_id=parent or None,
        name=name,
        kind=kind(kind_word),
        start_ns=start_ns,
        end_ns=start_ns + int(duration),
        status=status(code),
        status_message=message or None,
        attributes=attributes,
        events=[Event(n, int(t), typed_map(a)) for t, n, a in zip(ev_times, ev_names, ev_attrs)],
        links=[Link(t, s, typed_map(a)) for t, s, a in zip(lk_tids, lk_sids, lk_attrs)],
        resource=typed_map(res),
        scope_name=scope_name or None,
        scope_version=scope_version or None,
    )
    return span.fill_facts()
