"""Hand-written OTLP protobuf encoding of finished spans.

Spans go straight to wire bytes (varints and length-delimited fields) without
building protobuf message objects, which is where the SDK exporter spends most
of its time. Resources and scopes are encoded once per object and cached;
attribute keys, span names and small attribute values are cached as finished
bytes. The output decodes as an ``ExportTraceServiceRequest``
(opentelemetry-proto ``collector/trace/v1``).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanKind
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

__all__ = ["EncodedBatch", "encode_spans"]

_EMPTY_TRACE_STATE: Final = DEFAULT_TRACE_STATE
# Span.flags bits (opentelemetry-proto SpanFlags).
_HAS_IS_REMOTE: Final = 0x100
_IS_REMOTE: Final = 0x200
_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_UINT64_MASK: Final = (1 << 64) - 1

# Values up to this many characters are cached as whole encoded key/value fields.
_CACHE_VALUE_MAX: Final = 128
_CACHE_ENTRIES_MAX: Final = 8192
_VALUES_PER_KEY_MAX: Final = 2048
YIELD_PAUSE: Final = 0.00005


def _varint_slow(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_VARINTS: Final = tuple(_varint_slow(i) for i in range(4096))


def _varint(n: int) -> bytes:
    """Encode a non-negative integer as a protobuf varint."""
    if n < 4096:
        return _SMALL_VARINTS[n]
    return _varint_slow(n)


def _tag(field: int, wire_type: int) -> bytes:
    return _varint((field << 3) | wire_type)


def _field_bytes(field: int, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return _tag(field, 2) + _varint(len(payload)) + payload


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


_F64: Final = struct.Struct("<d")
_U32: Final = struct.Struct("<I")
_TIMES: Final = struct.Struct("<BQBQ")  # Span fields 7 and 8 (fixed64)
_EVENT_TIME: Final = struct.Struct("<BQ")  # Event field 1 (fixed64)

# Tags used in hot loops, precomputed.
_T_KV: Final = b"\x0a"  # KeyValue.key / AnyValue.string_value / *.values
_T_VALUE: Final = b"\x12"  # KeyValue.value
_AV_BOOL: Final = (b"\x10\x00", b"\x10\x01")
_AV_INT: Final = b"\x18"
_AV_DOUBLE: Final = b"\x21"
_AV_ARRAY: Final = b"\x2a"
_AV_KVLIST: Final = b"\x32"
_AV_BYTES: Final = b"\x3a"
_FLAGS_TAG: Final = _tag(16, 5)
_STATUS_TAG: Final = _tag(15, 2)

# Caches: plain dicts (atomic operations under the GIL, internally locked on
# free-threaded builds), cleared wholesale when they grow past a bound.
_keys: dict[str, bytes] = {}


class _KeyCache:
    """Finished attribute fields of one key under one tag, by value.

    Strings, tuples of strings and scalars (keyed with their type, since True, 1
    and 1.0 are equal as dict keys) each have their own table. Past
    ``_VALUES_PER_KEY_MAX`` values the key's values are taken to be unique (ids,
    timestamps) and are no longer stored, so they neither evict useful entries
    nor keep one more object alive per span.
    """

    __slots__ = ("count", "prefix", "scalars", "strs", "tag", "tuples")

    def __init__(self, tag: bytes, key: str) -> None:
        self.tag = tag
        self.prefix = _key_prefix(key)
        self.strs: dict[str, bytes] = {}
        self.scalars: dict[tuple[type, object], bytes] = {}
        self.tuples: dict[tuple[str, ...], bytes] = {}
        self.count = 0

    def keep(self) -> bool:
        """Whether to store one more value."""
        if self.count >= _VALUES_PER_KEY_MAX:
            return False
        self.count += 1
        return True

    def field(self, body: bytes) -> bytes:
        """The whole repeated-KeyValue field for an ``AnyValue`` body."""
        kv = self.prefix + _T_VALUE + _varint(len(body)) + body
        return self.tag + _varint(len(kv)) + kv


# Per tag (span, event, link, scope, resource attributes): key -> _KeyCache.
_key_caches: dict[bytes, dict[str, _KeyCache]] = {}
_names: dict[str, bytes] = {}
_flags: dict[int, bytes] = {}
_statuses: dict[tuple[int, str | None], bytes] = {}
_resources: dict[int, tuple[object, bytes]] = {}
_scopes: dict[int, tuple[object, tuple[bytes, bytes]]] = {}


def clear_caches() -> None:
    """Forget every cached encoding (for tests and after long-running churn)."""
    for cache in (_keys, _names, _flags, _statuses):
        cache.clear()
    _key_caches.clear()
    _resources.clear()
    _scopes.clear()
    _statuses_by_id.clear()


def _key_prefix(key: str) -> bytes:
    """``KeyValue.key`` field bytes for an attribute key (cached)."""
    prefix = _keys.get(key)
    if prefix is None:
        if len(_keys) >= _CACHE_ENTRIES_MAX:
            _keys.clear()
        prefix = _keys[key] = _field_bytes(1, _utf8(key))
    return prefix


def _any_value(value: Any) -> bytes:
    """The body of an ``AnyValue`` message; raises on an unsupported type."""
    kind = type(value)
    if kind is str:
        raw = _utf8(value)
        return _T_KV + _varint(len(raw)) + raw
    if kind is bool:
        return _AV_BOOL[value]
    if kind is int:
        if value >= 0:
            if value > _INT64_MAX:
                raise OverflowError("integer attribute outside int64")
            return _AV_INT + _varint(value)
        if value < _INT64_MIN:
            raise OverflowError("integer attribute outside int64")
        return _AV_INT + _varint(value & _UINT64_MASK)
    if kind is float:
        return _AV_DOUBLE + _F64.pack(value)
    if kind is tuple or kind is list:
        return _array_value(value)
    if value is None:
        return b""
    return _any_value_slow(value)


def _array_value(values: Iterable[Any]) -> bytes:
    out = []
    for item in values:
        if type(item) is str:
            raw = _utf8(item)
            av = _T_KV + _varint(len(raw)) + raw
        else:
            av = _any_value(item)
        out.append(_T_KV + _varint(len(av)) + av)
    items = b"".join(out)
    return _AV_ARRAY + _varint(len(items)) + items


def _any_value_slow(value: Any) -> bytes:
    """Subclasses of the plain types, bytes, other sequences and mappings."""
    if isinstance(value, bool):
        return _AV_BOOL[bool(value)]
    if isinstance(value, str):
        raw = str.encode(value, "utf-8", "replace")  # the content, whatever __str__ says
        return _T_KV + _varint(len(raw)) + raw
    if isinstance(value, int):
        return _any_value(int(value))
    if isinstance(value, float):
        return _any_value(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return _AV_BYTES + _varint(len(raw)) + raw
    if isinstance(value, Sequence):
        return _array_value(value)
    if isinstance(value, Mapping):
        pairs = b"".join([_field_bytes(1, _key_value(str(k), item)) for k, item in value.items()])
        return _AV_KVLIST + _varint(len(pairs)) + pairs
    raise TypeError(f"unsupported attribute value type {type(value).__name__}")


def _key_value(key: str, value: Any) -> bytes:
    """The body of a ``KeyValue`` message."""
    body = _any_value(value)
    return _key_prefix(key) + _T_VALUE + _varint(len(body)) + body


def _attributes(attrs: object, tag: bytes) -> bytes:
    """Every attribute as a repeated ``KeyValue`` field with the given tag.

    An attribute whose value cannot be encoded is left out, as the SDK exporter does.
    """
    if attrs is None:
        return b""
    items: Mapping[str, Any]
    kind = type(attrs)
    if kind is BoundedAttributes:
        items = attrs._dict  # type: ignore[attr-defined]
    elif kind is dict or isinstance(attrs, Mapping):
        items = attrs  # type: ignore[assignment]
    else:
        return b""
    if not items:
        return b""
    out: list[bytes] = []
    append = out.append
    caches = _key_caches.get(tag)
    if caches is None:
        caches = _key_caches[tag] = {}
    for key, value in items.items():
        kc = caches.get(key)
        if kc is None:
            if len(caches) >= _CACHE_ENTRIES_MAX:
                caches.clear()
            kc = caches[key] = _KeyCache(tag, key)
        kind = type(value)
        if kind is str:
            short = len(value) <= _CACHE_VALUE_MAX
            cached = kc.strs.get(value) if short else None
            if cached is None:
                raw = _utf8(value)
                head = _varint(len(raw))
                if short:
                    cached = kc.field(_T_KV + head + raw)
                    if kc.keep():
                        kc.strs[value] = cached
                else:
                    av_len = 1 + len(head) + len(raw)
                    av_head = _varint(av_len)
                    prefix = kc.prefix
                    kv_len = len(prefix) + 1 + len(av_head) + av_len
                    cached = b"".join(
                        (tag, _varint(kv_len), prefix, _T_VALUE, av_head, _T_KV, head, raw)
                    )
            append(cached)
            continue
        if kind is int or kind is bool or kind is float:
            sk = (kind, value)
            cached = kc.scalars.get(sk)
            if cached is None:
                try:
                    cached = kc.field(_any_value(value))
                except (OverflowError, TypeError, ValueError):
                    continue
                # (0.0 == -0.0, but they encode differently)
                if (kind is not float or value != 0.0) and kc.keep():
                    kc.scalars[sk] = cached
            append(cached)
            continue
        if kind is tuple and len(value) <= 8:
            # Tuples of strings (finish reasons, stop sequences) repeat: cache them too.
            for item in value:
                if type(item) is not str:
                    break
            else:
                cached = kc.tuples.get(value)
                if cached is None:
                    cached = kc.field(_array_value(value))
                    if kc.keep():
                        kc.tuples[value] = cached
                append(cached)
                continue
        try:
            body = _any_value(value)
        except (OverflowError, TypeError, ValueError, RecursionError):
            continue
        append(kc.field(body))
    return b"".join(out)


def _dropped(attrs: object) -> int:
    if type(attrs) is BoundedAttributes:
        return attrs.dropped
    return 0


def _trace_state(trace_state: Any) -> str:
    if not trace_state:
        return ""
    return ",".join([f"{k}={v}" for k, v in trace_state.items()])


def _flags_field(flags: int) -> bytes:
    cached = _flags.get(flags)
    if cached is None:
        cached = _flags[flags] = _FLAGS_TAG + _U32.pack(flags & 0xFFFFFFFF)
    return cached


def _status_field(status: Any) -> bytes:
    if status is None:
        return b""
    code = int(status.status_code.value)  # StatusCode and the OTLP enum share values
    message = status.description
    key = (code, message if message else None)
    cached = _statuses.get(key)
    if cached is None:
        body = b""
        if message:
            body += _field_bytes(2, _utf8(message))
        if code:
            body += b"\x18" + _varint(code)
        cached = _STATUS_TAG + _varint(len(body)) + body
        if len(_statuses) >= _CACHE_ENTRIES_MAX:
            _statuses.clear()
        _statuses[key] = cached
    return cached


def _name_field(name: str) -> bytes:
    cached = _names.get(name)
    if cached is None:
        if len(_names) >= _CACHE_ENTRIES_MAX:
            _names.clear()
        cached = _names[name] = _field_bytes(5, _utf8(name)) if name else b""
    return cached


_KINDS: Final = tuple(b"\x30" + _varint(i + 1) for i in range(5))
_KINDS_BY_ID: Final = {id(kind): _KINDS[kind.value] for kind in SpanKind}
_statuses_by_id: dict[int, tuple[object, bytes]] = {}


def _status_by_id(status: Any) -> bytes:
    """Status field bytes, cached per Status object (the SDK shares its default one)."""
    encoded = _status_field(status)
    if len(_statuses_by_id) >= 256:
        _statuses_by_id.clear()
    _statuses_by_id[id(status)] = (status, encoded)
    return encoded


_TAG_SPAN_ATTR: Final = _tag(9, 2)
_TAG_EVENT: Final = _tag(11, 2)
_TAG_LINK: Final = _tag(13, 2)
_TAG_EVENT_ATTR: Final = _tag(3, 2)
_TAG_LINK_ATTR: Final = _tag(4, 2)
_TAG_SCOPE_ATTR: Final = _tag(3, 2)
_TAG_RESOURCE_ATTR: Final = _tag(1, 2)


def _events(events: Iterable[Any]) -> bytes:
    out: list[bytes] = []
    for event in events:
        timestamp = event.timestamp or 0
        body = _EVENT_TIME.pack(0x09, timestamp) if timestamp else b""
        if event.name:
            body += _field_bytes(2, _utf8(event.name))
        attrs = event.attributes
        body += _attributes(attrs, _TAG_EVENT_ATTR)
        dropped = _dropped(attrs)
        if dropped:
            body += b"\x20" + _varint(dropped)
        out.append(_TAG_EVENT + _varint(len(body)) + body)
    return b"".join(out)


def _links(links: Iterable[Any]) -> bytes:
    out: list[bytes] = []
    for link in links:
        ctx = link.context
        body = (
            b"\x0a\x10"
            + ctx.trace_id.to_bytes(16, "big")
            + b"\x12\x08"
            + ctx.span_id.to_bytes(8, "big")
        )
        state = _trace_state(ctx.trace_state)
        if state:
            body += _field_bytes(3, _utf8(state))
        attrs = link.attributes
        body += _attributes(attrs, _TAG_LINK_ATTR)
        dropped = _dropped(attrs)
        if dropped:
            body += b"\x28" + _varint(dropped)
        flags = (int(ctx.trace_flags) & 0xFF) | _HAS_IS_REMOTE
        if ctx.is_remote:
            flags |= _IS_REMOTE
        body += b"\x35" + _U32.pack(flags)
        out.append(_TAG_LINK + _varint(len(body)) + body)
    return b"".join(out)


def _bounded_dropped(seq: Any) -> int:
    return int(getattr(seq, "dropped", 0) or 0)


def encode_span(span: ReadableSpan) -> bytes:
    """One span as a ``ScopeSpans.spans`` field (tag, length, ``Span`` body).

    Returns ``b""`` for a span without a context, which has no identity to send.
    """
    if isinstance(span, ReadableSpan):
        # SDK spans: read the fields behind the properties (no copies, no wrappers).
        ctx = span._context
        parent = span._parent
        name = span._name
        kind = span._kind
        start = span._start_time or 0
        end = span._end_time or 0
        attrs: object = span._attributes
        events: Any = span._events
        links: Any = span._links
        status: Any = span._status
        dropped_events = dropped_links = 0
        if type(events) is BoundedList:  # skip its Python-level __len__ and iterator
            dropped_events = events.dropped
            events = events._dq  # type: ignore[attr-defined]
        elif events:
            dropped_events = _bounded_dropped(events)
        if type(links) is BoundedList:
            dropped_links = links.dropped
            links = links._dq  # type: ignore[attr-defined]
        elif links:
            dropped_links = _bounded_dropped(links)
    else:  # a duck-typed span: use the public surface only
        ctx = span.context
        parent = span.parent
        name = span.name
        kind = span.kind
        start = span.start_time or 0
        end = span.end_time or 0
        attrs, events, links, status = span.attributes, span.events, span.links, span.status
        dropped_events = int(getattr(span, "dropped_events", 0) or 0)
        dropped_links = int(getattr(span, "dropped_links", 0) or 0)
    if ctx is None:
        return b""
    # SpanContext is a tuple: (trace_id, span_id, is_remote, trace_flags, trace_state, is_valid).
    parts = [b"\x0a\x10", ctx[0].to_bytes(16, "big"), b"\x12\x08", ctx[1].to_bytes(8, "big")]
    state = ctx[4]
    if state is not _EMPTY_TRACE_STATE and state:
        parts.append(_field_bytes(3, _utf8(_trace_state(state))))
    flags = (ctx[3] & 0xFF) | _HAS_IS_REMOTE
    if parent is not None:
        parts.append(b"\x22\x08")
        parts.append(parent[1].to_bytes(8, "big"))
        if parent[2]:
            flags |= _IS_REMOTE
    cached = _names.get(name)
    if cached is None:
        cached = _name_field(name)
    parts.append(cached)
    parts.append(_KINDS_BY_ID.get(id(kind)) or _KINDS[kind.value])
    if start and end:
        parts.append(_TIMES.pack(0x39, start, 0x41, end))
    else:
        if start:
            parts.append(_EVENT_TIME.pack(0x39, start))
        if end:
            parts.append(_EVENT_TIME.pack(0x41, end))
    if type(attrs) is BoundedAttributes:
        if attrs._dict:  # type: ignore[attr-defined]
            parts.append(_attributes(attrs, _TAG_SPAN_ATTR))
        if attrs.dropped:
            parts.append(b"\x50" + _varint(attrs.dropped))
    elif attrs:
        parts.append(_attributes(attrs, _TAG_SPAN_ATTR))
    if events:
        parts.append(_events(events))
    if dropped_events:
        parts.append(b"\x60" + _varint(dropped_events))
    if links:
        parts.append(_links(links))
    if dropped_links:
        parts.append(b"\x70" + _varint(dropped_links))
    entry = _statuses_by_id.get(id(status))
    if entry is not None and entry[0] is status:
        parts.append(entry[1])
    else:
        parts.append(_status_by_id(status))
    cached = _flags.get(flags)
    if cached is None:
        cached = _flags_field(flags)
    parts.append(cached)
    body = b"".join(parts)
    n = len(body)
    return b"\x12" + (_SMALL_VARINTS[n] if n < 4096 else _varint_slow(n)) + body


def _resource_field(resource: Any) -> bytes:
    """``ResourceSpans.resource`` plus the trailing schema URL, cached per resource object."""
    entry = _resources.get(id(resource))
    if entry is not None and entry[0] is resource:
        return entry[1]
    body = b""
    if resource is not None:
        body = _attributes(resource.attributes, _TAG_RESOURCE_ATTR)
    encoded = _field_bytes(1, body)
    if len(_resources) >= 64:
        _resources.clear()
    _resources[id(resource)] = (resource, encoded)
    return encoded


def _resource_schema(resource: Any) -> bytes:
    schema = getattr(resource, "schema_url", "") if resource is not None else ""
    return _field_bytes(3, _utf8(schema)) if schema else b""


def _scope_fields(scope: Any) -> tuple[bytes, bytes]:
    """``ScopeSpans.scope`` field and ``ScopeSpans.schema_url`` field, cached per scope object."""
    entry = _scopes.get(id(scope))
    if entry is not None and entry[0] is scope:
        return entry[1]
    if scope is None:
        fields = (_field_bytes(1, b""), b"")
    else:
        body = b""
        if scope.name:
            body += _field_bytes(1, _utf8(scope.name))
        if scope.version:
            body += _field_bytes(2, _utf8(scope.version))
        body += _attributes(scope.attributes, _TAG_SCOPE_ATTR)
        schema = scope.schema_url
        fields = (_field_bytes(1, body), _field_bytes(3, _utf8(schema)) if schema else b"")
    if len(_scopes) >= 1024:
        _scopes.clear()
    _scopes[id(scope)] = (scope, fields)
    return fields


class EncodedBatch:
    """Spans encoded to bytes as they arrive, grouped by resource and scope, until sent.

    Keeping finished bytes instead of span objects lets spans be freed right
    after they are encoded, and makes the batch's memory its encoded size.
    """

    __slots__ = ("_groups", "_last", "count", "size")

    def __init__(self) -> None:
        self._groups: dict[int, tuple[Any, dict[int, tuple[Any, list[bytes]]]]] = {}
        self._last: tuple[Any, Any, list[bytes]] | None = None
        self.count = 0
        self.size = 0

    def __len__(self) -> int:
        return self.count

    def add(self, spans: Iterable[ReadableSpan]) -> int:
        """Encode ``spans`` into the batch; returns how many were left out.

        A span is left out when it has no context (no identity to send) or when
        encoding it raises; the rest of the batch is unaffected.
        """
        last = self._last
        count = self.count
        size = self.size
        failed = 0
        for span in spans:
            try:
                encoded = encode_span(span)
                if not encoded:
                    failed += 1
                    continue
                if isinstance(span, ReadableSpan):  # SDK spans: skip the properties
                    resource = span._resource
                    scope = span._instrumentation_scope
                else:
                    resource = span.resource
                    scope = span.instrumentation_scope
            except Exception:
                failed += 1
                continue
            if last is None or last[0] is not resource or last[1] is not scope:
                last = (resource, scope, self._bucket(resource, scope))
            last[2].append(encoded)
            count += 1
            size += len(encoded)
        self._last = last
        self.count = count
        self.size = size
        return failed

    def _bucket(self, resource: Any, scope: Any) -> list[bytes]:
        group = self._groups.get(id(resource))
        if group is None:
            group = self._groups[id(resource)] = (resource, {})
        scopes = group[1]
        bucket = scopes.get(id(scope))
        if bucket is None:
            bucket = scopes[id(scope)] = (scope, [])
        return bucket[1]

    def body(self) -> bytes:
        """The ``ExportTraceServiceRequest`` body for everything added so far."""
        out: list[bytes] = []
        for resource, scopes in self._groups.values():
            rs_parts = [_resource_field(resource)]
            for scope, encoded_spans in scopes.values():
                if not encoded_spans:
                    continue
                scope_field, scope_schema = _scope_fields(scope)
                spans_bytes = b"".join(encoded_spans)
                ss_len = len(scope_field) + len(spans_bytes) + len(scope_schema)
                rs_parts.append(b"\x12" + _varint(ss_len))
                rs_parts.append(scope_field)
                rs_parts.append(spans_bytes)
                rs_parts.append(scope_schema)
            rs_parts.append(_resource_schema(resource))
            rs_body = b"".join(rs_parts)
            out.append(b"\x0a" + _varint(len(rs_body)))
            out.append(rs_body)
        return b"".join(out)


def encode_batch(spans: Iterable[ReadableSpan], yield_every: int = 0) -> EncodedBatch:
    """Encode spans into an :class:`EncodedBatch`, optionally releasing the GIL as it goes.

    With ``yield_every`` > 0 the encoder sleeps briefly after that many spans,
    so a long batch never keeps application threads waiting for long. A real
    (tiny) sleep, not ``sleep(0)``: it gives a thread waiting for the GIL time
    to take it rather than racing it.
    """
    batch = EncodedBatch()
    if not yield_every:
        batch.add(spans)
        return batch
    chunk: list[ReadableSpan] = []
    for span in spans:
        chunk.append(span)
        if len(chunk) >= yield_every:
            batch.add(chunk)
            chunk.clear()
            time.sleep(YIELD_PAUSE)
    batch.add(chunk)
    return batch


def encode_spans(spans: Iterable[ReadableSpan], yield_every: int = 0) -> bytes:
    """Encode spans as an OTLP ``ExportTraceServiceRequest`` body (protobuf wire bytes).

    Spans are grouped by resource and instrumentation scope, as OTLP requires; a
    span that cannot be encoded is left out. ``yield_every`` is as for
    :func:`encode_batch`.
    """
    return encode_batch(spans, yield_every).body()
