"""Read GenAI facts out of Anthropic requests and responses (no spans built here).

Requests are read from the body the SDK is about to send (``FinalRequestOptions.json_data``)
and responses duck-typed with ``getattr``/``dict.get``, so pydantic models, decoded JSON,
newer block types and malformed payloads all degrade to fewer attributes instead of errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field, given
from agentotel.instrumentation._read import int_or_none as _int
from agentotel.instrumentation._read import str_or_none as _str

# stop_reason -> the conventions' finish_reason for output messages.
_FINISH = {
    "end_turn": semconv.FINISH_STOP,
    "stop_sequence": semconv.FINISH_STOP,
    "pause_turn": semconv.FINISH_STOP,
    "max_tokens": semconv.FINISH_LENGTH,
    "model_context_window_exceeded": semconv.FINISH_LENGTH,
    "tool_use": semconv.FINISH_TOOL_CALL,
    "refusal": semconv.FINISH_CONTENT_FILTER,
}

_OPERATIONS = {
    "anthropic.messages.create": semconv.OP_CHAT,
    "anthropic.messages.count_tokens": semconv.OP_COUNT_TOKENS,
}


def finish_reason(raw: Any) -> str:
    """The conventions' finish reason for an Anthropic ``stop_reason``."""
    return _FINISH.get(raw, raw) if isinstance(raw, str) else semconv.FINISH_STOP


def operation(options: Any) -> str | None:
    """``chat`` / ``count_tokens`` for the requests this instrumentor traces, else ``None``.

    The SDK names each request (``span_name``); older releases lack that, so the path decides.
    """
    name = getattr(options, "span_name", None)
    if isinstance(name, str):
        return _OPERATIONS.get(name)
    url = getattr(options, "url", None)
    if not isinstance(url, str) or getattr(options, "method", "post").lower() != "post":
        return None
    path = url.partition("?")[0].rstrip("/")
    if path.endswith("/messages/count_tokens"):
        return semconv.OP_COUNT_TOKENS
    if path.endswith("/v1/messages"):
        return semconv.OP_CHAT
    return None


def server_and_provider(client: Any) -> tuple[str | None, int | None, str]:
    """(server.address, server.port, gen_ai.provider.name) for an Anthropic client.

    Bedrock and Vertex clients name their own provider (``_gen_ai_provider_name``).
    """
    provider = getattr(client, "_gen_ai_provider_name", None)
    if not isinstance(provider, str) or not provider:
        provider = semconv.PROVIDER_ANTHROPIC
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    if not isinstance(host, str) or not host:
        return None, None, provider
    port = getattr(url, "port", None)
    if not isinstance(port, int):
        port = 80 if getattr(url, "scheme", "https") == "http" else 443
    return host, port, provider


def conversation_id(client: Any) -> str | None:
    """The conversation id an application gave the client (``open_telemetry={"conversation_id": ...}``)."""
    options = getattr(client, "_open_telemetry", None)
    return _str(options.get("conversation_id")) if isinstance(options, Mapping) else None


# -- request ------------------------------------------------------------------

_NUMBERS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
)


def request_attributes(body: Mapping[str, Any], stream: bool) -> dict[str, Any]:
    """Span attributes known before the call, from the request body."""
    attrs: dict[str, Any] = {}
    max_tokens = _int(body.get("max_tokens"))
    if max_tokens is not None:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    for key, name in _NUMBERS:
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[name] = value
    stop = body.get("stop_sequences")
    if isinstance(stop, (list, tuple)) and stop and all(isinstance(s, str) for s in stop):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(stop)
    if stream or body.get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    tier = body.get("service_tier")
    if isinstance(tier, str):
        attrs[semconv.ANTHROPIC_REQUEST_SERVICE_TIER] = tier
    if _json_output(body):
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = semconv.OUTPUT_TYPE_JSON
    return attrs


def _json_output(body: Mapping[str, Any]) -> bool:
    config = body.get("output_config")
    formats = (field(config, "format") if given(config) else None, body.get("output_format"))
    return any(given(fmt) and field(fmt, "type") == "json_schema" for fmt in formats)


def system_instructions(system: Any) -> list[dict[str, Any]] | None:
    if not given(system):
        return None
    if isinstance(system, str):
        return [{"type": semconv.PART_TEXT, "content": system}]
    if isinstance(system, (list, tuple)):
        return content_parts(system)
    return None


def input_messages(messages: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not given(messages) or not isinstance(messages, (list, tuple)):
        return out
    for message in messages:
        role = field(message, "role")
        parts = content_parts(field(message, "content"))
        if (
            role == "user"
            and parts
            and all(p["type"] == semconv.PART_TOOL_CALL_RESPONSE for p in parts)
        ):
            role = "tool"
        out.append({"role": role if isinstance(role, str) else "user", "parts": parts})
    return out


def tool_definitions(tools: Any) -> list[dict[str, Any]] | None:
    if not given(tools) or not isinstance(tools, (list, tuple)) or not tools:
        return None
    out: list[dict[str, Any]] = []
    for tool in tools:
        kind = field(tool, "type")
        custom = kind in (None, "custom")
        entry: dict[str, Any] = {
            "type": semconv.TOOL_TYPE_FUNCTION if custom else kind,
            "name": field(tool, "name"),
        }
        description = field(tool, "description")
        if isinstance(description, str) and description:
            entry["description"] = description
        schema = field(tool, "input_schema")
        if schema is not None:
            entry["parameters"] = schema
        out.append(entry)
    return out


def content_parts(content: Any) -> list[dict[str, Any]]:
    """The conventions' parts for Anthropic content: a string or a list of blocks."""
    if not given(content):
        return []
    if isinstance(content, str):
        return [{"type": semconv.PART_TEXT, "content": content}]
    if not isinstance(content, (list, tuple)):
        content = [content]
    return [part for block in content if (part := _part(block)) is not None]


def _part(block: Any) -> dict[str, Any] | None:
    """One block's part; ``None`` for a block whose data agentotel must not read."""
    if isinstance(block, str):
        return {"type": semconv.PART_TEXT, "content": block}
    kind = field(block, "type")
    if kind == "text":
        return {"type": semconv.PART_TEXT, "content": field(block, "text")}
    if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
        return {
            "type": semconv.PART_TOOL_CALL,
            "id": field(block, "id"),
            "name": field(block, "name"),
            "arguments": field(block, "input"),
        }
    if kind == "tool_result":
        result = field(block, "content")
        return {
            "type": semconv.PART_TOOL_CALL_RESPONSE,
            "id": field(block, "tool_use_id"),
            "response": result if isinstance(result, str) else _result_blocks(result),
        }
    if kind == "thinking":
        return {"type": semconv.PART_REASONING, "content": field(block, "thinking")}
    if kind in ("image", "document"):
        return _source_part("image" if kind == "image" else "document", field(block, "source"))
    return {"type": kind if isinstance(kind, str) else "unknown"}


def _result_blocks(result: Any) -> Any:
    """A tool result given as blocks: its text when it is all text, else the parts."""
    if not isinstance(result, (list, tuple)):
        return result
    parts = [part for block in result if (part := _part(block)) is not None]
    if parts and all(p["type"] == semconv.PART_TEXT for p in parts):
        return "".join(p["content"] for p in parts if isinstance(p["content"], str))
    return parts


def _source_part(modality: str, source: Any) -> dict[str, Any] | None:
    kind = field(source, "type")
    if kind == "base64":
        data = field(source, "data")
        if not isinstance(data, str):
            return None  # a file object or path: the SDK reads it; agentotel never does
        return {
            "type": semconv.PART_BLOB,
            "modality": modality,
            "mime_type": field(source, "media_type"),
            "content": data,
        }
    if kind == "url":
        return {"type": semconv.PART_URI, "modality": modality, "uri": field(source, "url")}
    if kind == "file":
        return {
            "type": semconv.PART_FILE,
            "modality": modality,
            "file_id": field(source, "file_id"),
        }
    if kind == "text":
        return {"type": semconv.PART_TEXT, "content": field(source, "data")}
    return {"type": modality}


# -- response -----------------------------------------------------------------


def usage(
    inv: Any,
    input_tokens: Any,
    output_tokens: Any,
    cache_read: Any,
    cache_creation: Any,
    thinking: Any,
) -> None:
    """Fill token counts. Anthropic's ``input_tokens`` excludes cached tokens; the conventions' includes them."""
    read = _int(cache_read)
    created = _int(cache_creation)
    uncached = _int(input_tokens)
    if uncached is not None:
        inv.input_tokens = uncached + (read or 0) + (created or 0)
    inv.output_tokens = _int(output_tokens)
    # A zero count is "no cache use": recorded as absent, as for OpenAI.
    inv.cache_read_input_tokens = read or None
    inv.cache_creation_input_tokens = created or None
    inv.reasoning_output_tokens = _int(thinking)


def message_usage(inv: Any, data: Any) -> None:
    if data is None:
        return
    usage(
        inv,
        field(data, "input_tokens"),
        field(data, "output_tokens"),
        field(data, "cache_read_input_tokens"),
        field(data, "cache_creation_input_tokens"),
        field(field(data, "output_tokens_details"), "thinking_tokens"),
    )


def message_response(inv: Any, message: Any) -> None:
    """Fill an invocation from a ``Message`` (a model or decoded JSON)."""
    inv.response_id = _str(field(message, "id"))
    inv.response_model = _str(field(message, "model"))
    stop = field(message, "stop_reason")
    if isinstance(stop, str):
        inv.finish_reasons = [finish_reason(stop)]
    blocks = field(message, "content")
    blocks = blocks if isinstance(blocks, (list, tuple)) else ()
    ids = [
        call_id
        for block in blocks
        if field(block, "type") == "tool_use" and isinstance(call_id := field(block, "id"), str)
    ]
    if ids:
        inv.tool_call_ids = ids
    data = field(message, "usage")
    message_usage(inv, data)
    inv.set(semconv.ANTHROPIC_RESPONSE_SERVICE_TIER, _str(field(data, "service_tier")))
    inv.set(semconv.ANTHROPIC_REQUEST_ID, _str(getattr(message, "_request_id", None)))
    if inv.capture_content:
        inv.output_messages = [
            {
                "role": "assistant",
                "parts": content_parts(blocks),
                "finish_reason": finish_reason(stop),
            }
        ]


def count_tokens_response(inv: Any, result: Any) -> None:
    """``count_tokens`` consumes no tokens: the count goes in its own attribute, not in usage."""
    inv.set(semconv.ANTHROPIC_COUNT_TOKENS_INPUT_TOKENS, _int(field(result, "input_tokens")))
    inv.set(semconv.ANTHROPIC_REQUEST_ID, _str(getattr(result, "_request_id", None)))


# -- request content the caller gave as one-shot iterators ----------------------------

_LAZY_KEYS = ("messages", "system", "tools")


def record_iterators(body: Any) -> dict[str, list[Any]] | None:
    """Let the SDK's own reading of one-shot iterators in the request record what it read.

    ``messages``, ``system`` or ``tools`` given as an iterator or generator (or a message
    whose ``content`` is one) cannot be read before the SDK sends them without consuming
    the caller's iterator. Each is replaced, in the SDK's request body (a dict the SDK
    built, not the caller's), by a generator that yields the same items and keeps them;
    the SDK serializes it exactly as it would the original. Returns the lists being
    filled, keyed like the body, or ``None`` when nothing is one-shot.
    """
    if type(body) is not dict:
        return None
    recorded: dict[str, list[Any]] | None = None
    for key in _LAZY_KEYS:
        value: Any = body.get(key)
        is_messages = key == "messages"
        if isinstance(value, Iterator):
            seen: list[Any] = []
            body[key] = _recording(value, seen, is_messages)
        elif (
            is_messages
            and type(value) in (list, tuple)
            and any(isinstance(field(m, "content"), Iterator) for m in value)
        ):
            seen = []
            body[key] = list(_recording(iter(value), seen, True))
        else:
            continue
        if recorded is None:
            recorded = {}
        recorded[key] = seen
    return recorded


def _recording(source: Iterator[Any], seen: list[Any], messages: bool) -> Iterator[Any]:
    for item in source:
        content = item.get("content") if messages and isinstance(item, Mapping) else None
        if isinstance(content, Iterator):
            blocks: list[Any] = []
            seen.append({**item, "content": blocks})
            item = {**item, "content": _recording(content, blocks, False)}
        else:
            seen.append(item)
        yield item


def recorded_content(inv: Any, recorded: Mapping[str, list[Any]]) -> None:
    """Fill the content the SDK has now read through :func:`record_iterators`."""
    if not inv.capture_content:
        return
    if "messages" in recorded:
        inv.input_messages = input_messages(recorded["messages"])
    if "system" in recorded:
        inv.system_instructions = system_instructions(recorded["system"])
    if "tools" in recorded:
        inv.tool_definitions = tool_definitions(recorded["tools"])
