"""OTLP JSON encoding and decoding of stored spans (the OTLP/HTTP JSON wire format).

Ids are lowercase hex, 64-bit integers are strings, attribute values are
``AnyValue`` objects, enums are integers. Decoding is lenient: it also takes
enum names, integers given as numbers, base64 ids, and files holding one
request per line (as the Collector's file exporter writes).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from agentotel.store.model import KINDS, Event, Link, Span

_KIND_CODES = {name: i + 1 for i, name in enumerate(KINDS)}
_STATUS_CODES = {"unset": 0, "ok": 1, "error": 2}
_FLAG_HAS_IS_REMOTE = 0x100
_FLAG_IS_REMOTE = 0x200
_FLAG_SAMPLED = 0x01


class OTLPError(ValueError):
    """The input is not OTLP JSON this decoder understands."""


# --- encoding ------------------------------------------------------------------


def any_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"doubleValue": "NaN"}
        if math.isinf(value):
            return {"doubleValue": "Infinity" if value > 0 else "-Infinity"}
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": key_values(value)}}
    return {"stringValue": str(value)}


def key_values(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": any_value(v)} for k, v in attrs.items()]


def encode_span(span: Span) -> dict[str, Any]:
    flags = _FLAG_SAMPLED | _FLAG_HAS_IS_REMOTE | (_FLAG_IS_REMOTE if span.parent_is_remote else 0)
    out: dict[str, Any] = {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "parentSpanId": span.parent_id or "",
        "flags": flags,
        "name": span.name,
        "kind": _KIND_CODES.get(span.kind, 1),
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "attributes": key_values(span.attributes),
        "events": [
            {"timeUnixNano": str(e.time_ns), "name": e.name, "attributes": key_values(e.attributes)}
            for e in span.events
        ],
        "links": [
            {"traceId": lk.trace_id, "spanId": lk.span_id, "attributes": key_values(lk.attributes)}
            for lk in span.links
        ],
        "status": {"code": _STATUS_CODES.get(span.status, 0)},
    }
    if span.status_message:
        out["status"]["message"] = span.status_message
    return out


def encode(spans: Iterable[Span]) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in OTLP JSON holding ``spans``."""
    by_resource: dict[str, tuple[dict[str, Any], dict[tuple[str, str], list[Span]]]] = {}
    for span in spans:
        rkey = json.dumps(span.resource, sort_keys=True, default=str)
        _, scopes = by_resource.setdefault(rkey, (span.resource, {}))
        scopes.setdefault((span.scope_name or "", span.scope_version or ""), []).append(span)
    resource_spans = []
    for resource, scopes in by_resource.values():
        scope_spans = []
        for (name, version), members in scopes.items():
            scope: dict[str, Any] = {"name": name}
            if version:
                scope["version"] = version
            scope_spans.append({"scope": scope, "spans": [encode_span(s) for s in members]})
        resource_spans.append(
            {"resource": {"attributes": key_values(resource)}, "scopeSpans": scope_spans}
        )
    return {"resourceSpans": resource_spans}


# --- decoding ------------------------------------------------------------------


def _value(v: Any) -> Any:
    if not isinstance(v, Mapping) or not v:
        return None
    if "stringValue" in v:
        return str(v["stringValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return [_value(x) for x in (v["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in v:
        return _attrs((v["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in v:
        return base64.b64decode(v["bytesValue"]).hex()
    return None


def _attrs(items: Any) -> dict[str, Any]:
    if not items:
        return {}
    if not isinstance(items, list):
        raise OTLPError("attributes must be a list of {key, value} objects")
    return {str(kv["key"]): _value(kv.get("value")) for kv in items}


def _id(raw: Any, size: int, what: str) -> str:
    text = str(raw or "").strip()
    if len(text) == size * 2:
        try:
            bytes.fromhex(text)
            return text.lower()
        except ValueError:
            pass
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if len(data) == size:
        return data.hex()
    raise OTLPError(f"bad {what}: {raw!r}")


def _enum(raw: Any, names: dict[str, int], prefix: str) -> int:
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        if raw.isdigit():
            return int(raw)
        key = raw.upper().removeprefix(prefix).lower()
        if key in names:
            return names[key]
    return 0


def decode_span(raw: Mapping[str, Any], resource: dict[str, Any], scope: Mapping[str, Any]) -> Span:
    parent = raw.get("parentSpanId") or ""
    kind = _enum(raw.get("kind", 0), _KIND_CODES, "SPAN_KIND_")
    status = raw.get("status") or {}
    code = _enum(status.get("code", 0), _STATUS_CODES, "STATUS_CODE_")
    flags = int(raw.get("flags") or 0)
    start = int(raw.get("startTimeUnixNano") or 0)
    span = Span(
        trace_id=_id(raw.get("traceId"), 16, "traceId"),
        span_id=_id(raw.get("spanId"), 8, "spanId"),
        parent_id=_id(parent, 8, "parentSpanId") if parent else None,
        parent_is_remote=bool(flags & _FLAG_IS_REMOTE),
        name=str(raw.get("name") or ""),
        kind=KINDS[kind - 1] if 1 <= kind <= len(KINDS) else "internal",
        start_ns=start,
        end_ns=int(raw.get("endTimeUnixNano") or start),
        status=("unset", "ok", "error")[code] if 0 <= code <= 2 else "unset",
        status_message=status.get("message") or None,
        attributes=_attrs(raw.get("attributes")),
        events=[
            Event(
                str(e.get("name", "")), int(e.get("timeUnixNano") or 0), _attrs(e.get("attributes"))
            )
            for e in raw.get("events") or []
        ],
        links=[
            Link(
                _id(lk.get("traceId"), 16, "link traceId"),
                _id(lk.get("spanId"), 8, "link spanId"),
                _attrs(lk.get("attributes")),
            )
            for lk in raw.get("links") or []
        ],
        resource=resource,
        scope_name=scope.get("name") or None,
        scope_version=scope.get("version") or None,
    )
    return span.fill_facts()


def decode(data: Mapping[str, Any]) -> list[Span]:
    """Spans from one ``ExportTraceServiceRequest`` in OTLP JSON."""
    if not isinstance(data, Mapping) or "resourceSpans" not in data:
        raise OTLPError("not OTLP JSON traces: no top-level 'resourceSpans'")
    spans: list[Span] = []
    try:
        for rs in data["resourceSpans"] or []:
            resource = _attrs((rs.get("resource") or {}).get("attributes"))
            for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                scope = ss.get("scope") or ss.get("instrumentationLibrary") or {}
                for raw in ss.get("spans") or []:
                    spans.append(decode_span(raw, resource, scope))
    except OTLPError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise OTLPError(f"malformed OTLP JSON: {type(exc).__name__}: {exc}") from None
    return spans


def loads(text: str) -> list[Span]:
    """Spans from OTLP JSON text: one request, or one request per line."""
    try:
        return _loads(text)
    except RecursionError:
        raise OTLPError("JSON nested too deeply to read") from None


def _loads(text: str) -> list[Span]:
    try:
        return decode(json.loads(text))
    except json.JSONDecodeError:
        pass
    spans: list[Span] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise OTLPError(f"not JSON (line {number}: {exc.msg})") from None
        spans.extend(decode(data))
    if not spans and not text.strip():
        raise OTLPError("empty input")
    return spans
