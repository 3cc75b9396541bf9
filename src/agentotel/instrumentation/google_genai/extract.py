"""Read GenAI facts out of google-genai requests and responses (no spans built here).

Requests are read from the keyword arguments of the SDK's per-request methods
(``model``, ``contents``, ``config``), where ``config`` may be a pydantic
``GenerateContentConfig`` or a plain dict, and ``contents`` anything the SDK
accepts (a string, parts, ``Content`` objects, dicts). Responses are
``GenerateContentResponse`` / ``EmbedContentResponse`` models, read with
:func:`field` so that dicts and older or newer releases give fewer attributes,
never errors.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from agentotel import semconv
from agentotel.instrumentation._read import field, read_into, reusable
from agentotel.instrumentation._read import int_or_none as _int
from agentotel.instrumentation._read import str_or_none as _str

# Gemini's FinishReason -> the conventions' values. STOP with a function call is a tool call.
_FINISH = {
    "STOP": semconv.FINISH_STOP,
    "MAX_TOKENS": semconv.FINISH_LENGTH,
    # The per-request token limit was reached; the SDK continues in a further request.
    "CONTINUATION": semconv.FINISH_LENGTH,
    "SAFETY": semconv.FINISH_CONTENT_FILTER,
    "RECITATION": semconv.FINISH_CONTENT_FILTER,
    "LANGUAGE": semconv.FINISH_CONTENT_FILTER,
    "BLOCKLIST": semconv.FINISH_CONTENT_FILTER,
    "PROHIBITED_CONTENT": semconv.FINISH_CONTENT_FILTER,
    "SPII": semconv.FINISH_CONTENT_FILTER,
    "IMAGE_SAFETY": semconv.FINISH_CONTENT_FILTER,
    "IMAGE_PROHIBITED_CONTENT": semconv.FINISH_CONTENT_FILTER,
    "IMAGE_RECITATION": semconv.FINISH_CONTENT_FILTER,
    "MODEL_ARMOR": semconv.FINISH_CONTENT_FILTER,
    "ESCALATION": semconv.FINISH_CONTENT_FILTER,
    "PUP_LIMITED_DISABLED": semconv.FINISH_CONTENT_FILTER,
    "MALFORMED_FUNCTION_CALL": semconv.FINISH_ERROR,
    "UNEXPECTED_TOOL_CALL": semconv.FINISH_ERROR,
    "TOO_MANY_TOOL_CALLS": semconv.FINISH_ERROR,
    "MISSING_THOUGHT_SIGNATURE": semconv.FINISH_ERROR,
    "MALFORMED_RESPONSE": semconv.FINISH_ERROR,
    "NO_IMAGE": semconv.FINISH_ERROR,
    "IMAGE_OTHER": semconv.FINISH_ERROR,
    "OTHER": semconv.FINISH_ERROR,
    "FINISH_REASON_UNSPECIFIED": semconv.FINISH_ERROR,
}


_finish_cache: dict[tuple[Any, bool], str | None] = {}


def finish_reason(raw: Any, tool_call: bool = False) -> str | None:
    """The conventions' finish reason for a Gemini ``FinishReason`` (enum or string).

    Unknown future values are passed on lower-cased; ``None`` when the candidate has none.
    """
    try:
        return _finish_cache[raw, tool_call]
    except (KeyError, TypeError):
        pass
    result = _finish_reason(raw, tool_call)
    if isinstance(raw, str) and len(_finish_cache) < 256:
        _finish_cache[raw, tool_call] = result
    return result


def _finish_reason(raw: Any, tool_call: bool) -> str | None:
    name = getattr(raw, "value", raw)
    if not isinstance(name, str) or not name:
        return None
    mapped = _FINISH.get(name.upper())
    if mapped is None:
        return name.lower()
    if mapped == semconv.FINISH_STOP and tool_call:
        return semconv.FINISH_TOOL_CALL
    return mapped


# -- client -------------------------------------------------------------------


_UNKNOWN = object()


@lru_cache(maxsize=64)
def _host_port(url: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (80 if parts.scheme == "http" else 443)
    except ValueError:
        return None, None
    return host or None, port if host else None


def server_and_provider(instance: Any, config: Any) -> tuple[str | None, int | None, str]:
    """(server.address, server.port, gen_ai.provider.name) of the endpoint a request goes to.

    The provider follows the client's mode (``vertexai``); the endpoint is the client's base
    URL unless the request's own ``http_options`` name another.
    """
    client = getattr(instance, "_api_client", None)
    vertex = getattr(client, "vertexai", _UNKNOWN)
    if vertex is _UNKNOWN:
        provider = semconv.PROVIDER_GCP_GEN_AI
    elif vertex:
        provider = semconv.PROVIDER_GCP_VERTEX_AI
    else:  # None or False: the Gemini Developer API
        provider = semconv.PROVIDER_GCP_GEMINI
    url = None
    if config is not None:
        options = (
            config.get("http_options") if type(config) is dict else field(config, "http_options")
        )
        url = field(options, "base_url") if options is not None else None
    if not isinstance(url, str) or not url:
        url = getattr(getattr(client, "_http_options", None), "base_url", None)
    if not isinstance(url, str) or not url:
        return None, None, provider
    host, port = _host_port(url)
    return host, port, provider


def request_model(model: Any) -> str | None:
    """The model as the caller named it, without the Gemini API's ``models/`` prefix."""
    if not isinstance(model, str) or not model:
        return None
    return model[7:] if model.startswith("models/") else model


# -- request ------------------------------------------------------------------

_NUMBERS = {
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
}
_INTS = {
    "max_output_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "seed": semconv.GEN_AI_REQUEST_SEED,
}
_OUTPUT_FIELDS = frozenset(
    {"response_mime_type", "response_schema", "response_json_schema", "response_modalities"}
)


def _set_fields(config: Any) -> Any:
    """(name, value) of the fields a config sets: a dict's items, or a pydantic model's
    ``model_fields_set`` (a few names, where reading every field would be dozens)."""
    if type(config) is dict:
        return config.items()
    names = getattr(config, "model_fields_set", None)
    if isinstance(names, (set, frozenset)):
        return [(name, getattr(config, name, None)) for name in names]
    if isinstance(config, Mapping):
        return config.items()
    return [(name, getattr(config, name, None)) for name in (*_NUMBERS, *_INTS)]


def request_attributes(config: Any, stream: bool) -> dict[str, Any]:
    """Span attributes known before the call, from a ``GenerateContentConfig`` (or dict)."""
    attrs: dict[str, Any] = {}
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if config is None:
        return attrs
    output = False
    for key, value in _set_fields(config):
        if value is None:
            continue
        name = _NUMBERS.get(key)
        if name is not None:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[name] = value
            continue
        name = _INTS.get(key)
        if name is not None:
            if _int(value) is not None:
                attrs[name] = value
        elif key == "candidate_count":
            if _int(value) is not None and value != 1:
                attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = value
        elif key == "stop_sequences":
            if (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(v, str) for v in value)
            ):
                attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)
        elif key in _OUTPUT_FIELDS:
            output = True
    if output:
        kind = _output_type(config)
        if kind is not None:
            attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    return attrs


def _output_type(config: Any) -> str | None:
    mime = field(config, "response_mime_type")
    if mime == "application/json" or given_any(config, "response_schema", "response_json_schema"):
        return semconv.OUTPUT_TYPE_JSON
    modalities = field(config, "response_modalities")
    if isinstance(modalities, (list, tuple)) and modalities:
        names = {str(getattr(m, "value", m)).upper() for m in modalities}
        if names == {"IMAGE"}:
            return semconv.OUTPUT_TYPE_IMAGE
        if names == {"AUDIO"}:
            return semconv.OUTPUT_TYPE_SPEECH
    if isinstance(mime, str) and mime.startswith("text/"):
        return semconv.OUTPUT_TYPE_TEXT
    return None


def given_any(obj: Any, *names: str) -> bool:
    return any(field(obj, name) is not None for name in names)


def embeddings_attributes(config: Any) -> dict[str, Any]:
    dimensions = _int(field(config, "output_dimensionality")) if config is not None else None
    return {semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT: dimensions} if dimensions else {}


# -- content ------------------------------------------------------------------

_ROLES = {"model": "assistant", "user": "user", "system": "system", "tool": "tool"}


def _modality(mime: Any) -> str:
    if isinstance(mime, str) and "/" in mime:
        kind = mime.partition("/")[0]
        if kind in ("image", "video", "audio"):
            return kind
    return "document"


def part(value: Any) -> dict[str, Any]:
    """The conventions' part for a Gemini ``Part`` (model or dict) or a bare string."""
    if isinstance(value, str):
        return {"type": semconv.PART_TEXT, "content": value}
    text = field(value, "text")
    if isinstance(text, str):
        kind = semconv.PART_REASONING if field(value, "thought") is True else semconv.PART_TEXT
        return {"type": kind, "content": text}
    call = field(value, "function_call")
    if call is not None:
        out: dict[str, Any] = {"type": semconv.PART_TOOL_CALL}
        call_id = _str(field(call, "id"))
        if call_id:
            out["id"] = call_id
        out["name"] = field(call, "name")
        out["arguments"] = field(call, "args")
        return out
    response = field(value, "function_response")
    if response is not None:
        out = {"type": semconv.PART_TOOL_CALL_RESPONSE}
        call_id = _str(field(response, "id"))
        if call_id:
            out["id"] = call_id
        out["response"] = field(response, "response")
        return out
    blob = field(value, "inline_data")
    if blob is not None:
        mime = field(blob, "mime_type")
        return {
            "type": semconv.PART_BLOB,
            "modality": _modality(mime),
            "mime_type": mime,
            "content": field(blob, "data"),
        }
    data = field(value, "file_data")
    if data is not None:
        mime = field(data, "mime_type")
        return {
            "type": semconv.PART_URI,
            "modality": _modality(mime),
            "mime_type": mime,
            "uri": field(data, "file_uri"),
        }
    code = field(value, "executable_code")
    if code is not None:
        return {"type": "executable_code", "content": field(code, "code")}
    result = field(value, "code_execution_result")
    if result is not None:
        return {"type": "code_execution_result", "content": field(result, "output")}
    return {"type": type(value).__name__ if not isinstance(value, Mapping) else "unknown"}


def _is_content(value: Any) -> bool:
    return not isinstance(value, str) and field(value, "parts") is not None


def _message(content: Any) -> dict[str, Any]:
    parts = field(content, "parts")
    items = [part(p) for p in parts] if isinstance(parts, (list, tuple)) else []
    role = _ROLES.get(field(content, "role") or "user", "user")
    if items and all(p["type"] == semconv.PART_TOOL_CALL_RESPONSE for p in items):
        role = "tool"
    return {"role": role, "parts": items}


def input_messages(contents: Any) -> list[dict[str, Any]]:
    """Messages for what the caller passed as ``contents``: consecutive bare parts (strings,
    ``Part`` objects, files) form one user turn, as the SDK sends them."""
    if contents is None:
        return []
    if isinstance(contents, str) or _is_content(contents) or not reusable(contents):
        contents = [contents]
    out: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for item in contents:
        if _is_content(item):
            if loose:
                out.append({"role": "user", "parts": loose})
                loose = []
            out.append(_message(item))
        else:
            loose.append(part(item))
    if loose:
        out.append({"role": "user", "parts": loose})
    return out


def system_instructions(config: Any) -> list[dict[str, Any]] | None:
    value = field(config, "system_instruction") if config is not None else None
    if value is None:
        return None
    if isinstance(value, str) or not _is_content(value):
        values = value if isinstance(value, (list, tuple)) else [value]
        return [part(v) for v in values]
    parts: list[dict[str, Any]] = _message(value)["parts"]
    return parts


def tool_definitions(config: Any) -> list[dict[str, Any]] | None:
    """Function declarations, Python functions given for automatic calling, built-in tools."""
    tools = field(config, "tools") if config is not None else None
    if not isinstance(tools, (list, tuple)) or not tools:
        return None
    out: list[dict[str, Any]] = []
    for tool in tools:
        if callable(tool) and not isinstance(tool, Mapping):
            out.append(_callable_definition(tool))
            continue
        declarations = field(tool, "function_declarations")
        for declaration in declarations if isinstance(declarations, (list, tuple)) else ():
            entry: dict[str, Any] = {
                "type": semconv.TOOL_TYPE_FUNCTION,
                "name": field(declaration, "name"),
            }
            description = _str(field(declaration, "description"))
            if description:
                entry["description"] = description
            schema = field(declaration, "parameters_json_schema")
            if schema is None:
                schema = field(declaration, "parameters")
            if schema is not None:
                entry["parameters"] = schema
            out.append(entry)
        for name in _builtin_tools(tool):
            out.append({"type": name, "name": name})
    return out or None


def _builtin_tools(tool: Any) -> list[str]:
    """Names of the built-in tools a ``Tool`` enables (google_search, code_execution ...)."""
    if isinstance(tool, Mapping):
        items: Any = tool.items()
    else:
        items = getattr(tool, "__dict__", {}).items()
    return [
        name
        for name, value in items
        if value is not None and name != "function_declarations" and not name.startswith("_")
    ]


def _callable_definition(tool: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": semconv.TOOL_TYPE_FUNCTION,
        "name": getattr(tool, "__name__", type(tool).__name__),
    }
    description = inspect.getdoc(tool)
    if description:
        entry["description"] = description
    return entry


# -- response -----------------------------------------------------------------


def usage(inv: Any, data: Any) -> None:
    """Token counts from ``usage_metadata``, converted to the conventions' totals.

    Gemini's ``prompt_token_count`` already includes cached tokens; tool-use prompt tokens
    are further input. ``candidates_token_count`` excludes the thinking tokens
    (``thoughts_token_count``), which the conventions count as part of the output.
    """
    if data is not None:
        read_into(_usage, inv, data)


def _usage(inv: Any, data: Any) -> None:
    prompt = _int(data.prompt_token_count)
    tool_prompt = _int(data.tool_use_prompt_token_count)
    candidates = _int(data.candidates_token_count)
    thoughts = _int(data.thoughts_token_count)
    if prompt is not None or tool_prompt is not None:
        inv.input_tokens = (prompt or 0) + (tool_prompt or 0)
    if candidates is not None or thoughts is not None:
        inv.output_tokens = (candidates or 0) + (thoughts or 0)
    inv.cache_read_input_tokens = _int(data.cached_content_token_count)
    inv.reasoning_output_tokens = thoughts


def _calls(content: Any) -> tuple[bool, list[str]]:
    """Whether a candidate's content holds a function call, and the calls' ids."""
    has_call = False
    ids: list[str] = []
    parts = content.parts if content is not None else None
    for p in parts or ():
        call = p.function_call
        if call is not None:
            has_call = True
            call_id = call.id
            if isinstance(call_id, str) and call_id:
                ids.append(call_id)
    return has_call, ids


def response(inv: Any, result: Any) -> None:
    """Fill an invocation from a ``GenerateContentResponse`` (read leniently if it is not one)."""
    read_into(_response, inv, result)


def _response(inv: Any, result: Any) -> None:
    inv.response_id = _str(result.response_id)
    inv.response_model = _str(result.model_version)
    data = result.usage_metadata
    if data is not None:
        read_into(_usage, inv, data)
    candidates = result.candidates or ()
    reasons: list[str | None] = []
    ids: list[str] = []
    for candidate in candidates:
        has_call, call_ids = _calls(candidate.content)
        reasons.append(finish_reason(candidate.finish_reason, has_call))
        ids += call_ids
    if not candidates:
        feedback = result.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reasons = [semconv.FINISH_CONTENT_FILTER]
    if any(reasons):
        inv.finish_reasons = [r or "" for r in reasons]
    if ids:
        inv.tool_call_ids = ids
    if inv.capture_content:
        inv.output_messages = [
            {
                **_message(field(c, "content")),
                "role": "assistant",
                "finish_reason": reason or semconv.FINISH_STOP,
            }
            for c, reason in zip(candidates, reasons)
        ]


def embeddings_response(inv: Any, result: Any) -> None:
    """Fill an invocation from an ``EmbedContentResponse``: dimensions and, on Vertex, tokens."""
    embeddings = field(result, "embeddings")
    embeddings = embeddings if isinstance(embeddings, (list, tuple)) else ()
    if embeddings and inv.dimension_count is None:
        values = field(embeddings[0], "values")
        if isinstance(values, (list, tuple)):
            inv.dimension_count = len(values)
    tokens = _int(field(field(result, "usage_metadata"), "prompt_token_count"))
    if tokens is None:
        counts = [field(field(e, "statistics"), "token_count") for e in embeddings]
        if counts and all(isinstance(c, (int, float)) for c in counts):
            tokens = int(sum(counts))
    inv.input_tokens = tokens
