"""Read GenAI facts out of pydantic-ai models, requests and messages (no spans built here).

Everything is duck-typed on the public attributes of pydantic-ai's dataclasses
(``part_kind``, ``model_name``, ``usage`` ...), so unknown parts and newer fields
degrade to fewer attributes or a generic part instead of errors.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from agentotel import semconv
from agentotel.instrumentation._read import int_or_none as _int
from agentotel.telemetry import content as content_mod

# pydantic-ai provider names (``Model.system``) that differ from the conventions' names.
_PROVIDERS = {
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "google": semconv.PROVIDER_GCP_GEMINI,
    "google-gla": semconv.PROVIDER_GCP_GEMINI,
    "google-vertex": semconv.PROVIDER_GCP_VERTEX_AI,
    "google-cloud": semconv.PROVIDER_GCP_VERTEX_AI,
    "mistral": semconv.PROVIDER_MISTRAL,
    "xai": semconv.PROVIDER_X_AI,
}

_FINISH = frozenset(
    {
        semconv.FINISH_STOP,
        semconv.FINISH_LENGTH,
        semconv.FINISH_CONTENT_FILTER,
        semconv.FINISH_TOOL_CALL,
        semconv.FINISH_ERROR,
    }
)

_SETTINGS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def provider_name(model: Any) -> str | None:
    """``gen_ai.provider.name`` for a pydantic-ai model (its ``system``, renamed where needed)."""
    system = getattr(model, "system", None)
    if not isinstance(system, str) or not system or ":" in system:
        return None  # unknown, or a FallbackModel's "fallback:a,b" that no one provider serves
    return _PROVIDERS.get(system, system)


def model_name(model: Any) -> str | None:
    name = getattr(model, "model_name", None)
    return name if isinstance(name, str) and name else None


def server(model: Any) -> tuple[str | None, int | None]:
    """(server.address, server.port) from the model's ``base_url``, when it has one."""
    try:
        base_url = getattr(model, "base_url", None)
        if not isinstance(base_url, str) or not base_url:
            return None, None
        parts = urlsplit(base_url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme else None)
    except (ValueError, AttributeError, NotImplementedError):
        return None, None
    return (host, port) if host else (None, None)


def request_attributes(request_context: Any) -> dict[str, Any]:
    """Request attributes known before the call: sampling settings, streaming, output type."""
    attrs: dict[str, Any] = {}
    settings = getattr(request_context, "model_settings", None)
    if isinstance(settings, Mapping):
        for key, name in _SETTINGS:
            value = settings.get(key)
            if _number(value):
                attrs[name] = value
        stop = settings.get("stop_sequences")
        if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
            attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(stop)
    if getattr(request_context, "streaming", False) is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    params = getattr(request_context, "model_request_parameters", None)
    mode = getattr(params, "output_mode", None)
    if mode in ("native", "prompted", "tool"):
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = semconv.OUTPUT_TYPE_JSON
    elif mode == "text":
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = semconv.OUTPUT_TYPE_TEXT
    return attrs


def tool_calls(response: Any) -> list[Any]:
    """The function tool calls in a ``ModelResponse``."""
    return [
        p for p in getattr(response, "parts", ()) if getattr(p, "part_kind", None) == "tool-call"
    ]


def finish_reason(response: Any) -> str:
    reason = getattr(response, "finish_reason", None)
    if isinstance(reason, str) and reason in _FINISH:
        return reason
    return semconv.FINISH_TOOL_CALL if tool_calls(response) else semconv.FINISH_STOP


def fill_response(inv: Any, response: Any) -> None:
    """Fill an inference invocation from a ``ModelResponse``: ids, finish reason, usage, calls."""
    name = getattr(response, "model_name", None)
    inv.response_model = name if isinstance(name, str) and name else None
    response_id = getattr(response, "provider_response_id", None)
    inv.response_id = response_id if isinstance(response_id, str) and response_id else None
    reason = getattr(response, "finish_reason", None)
    if isinstance(reason, str) and reason:
        inv.finish_reasons = [reason]
    usage = getattr(response, "usage", None)
    if usage is not None:
        inv.input_tokens = _int(getattr(usage, "input_tokens", None))
        inv.output_tokens = _int(getattr(usage, "output_tokens", None))
        inv.cache_read_input_tokens = _int(getattr(usage, "cache_read_tokens", None)) or None
        inv.cache_creation_input_tokens = _int(getattr(usage, "cache_write_tokens", None)) or None
        inv.reasoning_output_tokens = _int(getattr(usage, "output_reasoning_tokens", None)) or None
    ids = [c.tool_call_id for c in tool_calls(response) if isinstance(c.tool_call_id, str)]
    if ids:
        inv.tool_call_ids = ids


# -- content (only when capture is on) ---------------------------------------


def tool_arguments(call: Any) -> Any:
    """What the model passed to a tool, as a dict when it parses."""
    as_dict = getattr(call, "args_as_dict", None)
    if callable(as_dict):
        try:
            return as_dict()
        except Exception:
            pass
    return getattr(call, "args", None)


def _user_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": semconv.PART_TEXT, "content": content}]
    parts: list[dict[str, Any]] = []
    for item in content if isinstance(content, (list, tuple)) else [content]:
        if isinstance(item, str):
            parts.append({"type": semconv.PART_TEXT, "content": item})
            continue
        kind = getattr(item, "kind", None)
        media_type = getattr(item, "media_type", None)
        modality = media_type.split("/")[0] if isinstance(media_type, str) else None
        url = getattr(item, "url", None)
        data = getattr(item, "data", None)
        if isinstance(url, str):
            parts.append(
                {
                    "type": semconv.PART_URI,
                    "modality": modality,
                    "mime_type": media_type,
                    "uri": url,
                }
            )
        elif isinstance(data, (bytes, bytearray)):
            parts.append(
                {
                    "type": semconv.PART_BLOB,
                    "modality": modality,
                    "mime_type": media_type,
                    "content": base64.b64encode(bytes(data)).decode("ascii"),
                }
            )
        elif isinstance(getattr(item, "content", None), str):
            parts.append({"type": semconv.PART_TEXT, "content": item.content})
        else:
            parts.append({"type": kind if isinstance(kind, str) else "unknown"})
    return parts


def _retry_text(part: Any) -> Any:
    text = getattr(part, "model_response", None)
    if callable(text):
        try:
            return text()
        except Exception:
            pass
    return getattr(part, "content", None)


def _request_parts(part: Any) -> tuple[str, dict[str, Any]] | None:
    """(role, part) for one part of a ``ModelRequest``; ``None`` for bookkeeping parts."""
    kind = getattr(part, "part_kind", None)
    if kind == "system-prompt":
        return "system", {"type": semconv.PART_TEXT, "content": getattr(part, "content", None)}
    if kind == "user-prompt":
        return "user", {"type": "_user", "parts": _user_parts(getattr(part, "content", ""))}
    if kind in ("tool-return", "builtin-tool-return"):
        return "tool", {
            "type": semconv.PART_TOOL_CALL_RESPONSE,
            "id": getattr(part, "tool_call_id", None),
            "response": getattr(part, "content", None),
        }
    if kind in ("retry-prompt", "retry-feedback"):
        call_id = getattr(part, "tool_call_id", None)
        if getattr(part, "tool_name", None) and call_id:
            return "tool", {
                "type": semconv.PART_TOOL_CALL_RESPONSE,
                "id": call_id,
                "response": _retry_text(part),
            }
        return "user", {"type": semconv.PART_TEXT, "content": _retry_text(part)}
    return None


def _response_part(part: Any) -> dict[str, Any]:
    kind = getattr(part, "part_kind", None)
    if kind == "text":
        return {"type": semconv.PART_TEXT, "content": getattr(part, "content", None)}
    if kind == "thinking":
        return {"type": semconv.PART_REASONING, "content": getattr(part, "content", None)}
    if kind in ("tool-call", "builtin-tool-call"):
        return {
            "type": semconv.PART_TOOL_CALL,
            "id": getattr(part, "tool_call_id", None),
            "name": getattr(part, "tool_name", None),
            "arguments": tool_arguments(part),
        }
    if kind == "builtin-tool-return":
        return {
            "type": semconv.PART_TOOL_CALL_RESPONSE,
            "id": getattr(part, "tool_call_id", None),
            "response": getattr(part, "content", None),
        }
    if kind == "file":
        return _user_parts([getattr(part, "content", None)])[0]
    return {"type": kind if isinstance(kind, str) else "unknown"}


def output_message(response: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "parts": [_response_part(p) for p in getattr(response, "parts", ())],
        "finish_reason": finish_reason(response),
    }


def input_messages(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """pydantic-ai message history as GenAI input messages; consecutive same-role parts merge."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if getattr(message, "kind", None) == "response":
            out.append({"role": "assistant", "parts": [_response_part(p) for p in message.parts]})
            continue
        for part in getattr(message, "parts", ()):
            mapped = _request_parts(part)
            if mapped is None:
                continue
            role, entry = mapped
            new_parts = entry["parts"] if entry["type"] == "_user" else [entry]
            if out and out[-1]["role"] == role and role != "assistant":
                out[-1]["parts"].extend(new_parts)
            else:
                out.append({"role": role, "parts": list(new_parts)})
    return out


def system_instructions(request_context: Any) -> list[dict[str, Any]] | None:
    """The instructions sent with the request, from its parameters or its last message."""
    params = getattr(request_context, "model_request_parameters", None)
    texts = [
        content
        for part in getattr(params, "instruction_parts", None) or ()
        if isinstance(content := getattr(part, "content", None), str) and content
    ]
    if not texts:
        messages = getattr(request_context, "messages", None) or ()
        last = messages[-1] if messages else None
        instructions = getattr(last, "instructions", None)
        if isinstance(instructions, str) and instructions:
            texts = [instructions]
    return [{"type": semconv.PART_TEXT, "content": t} for t in texts] or None


def tool_definitions(request_context: Any) -> list[dict[str, Any]] | None:
    params = getattr(request_context, "model_request_parameters", None)
    tools = [
        *(getattr(params, "function_tools", None) or ()),
        *(getattr(params, "output_tools", None) or ()),
    ]
    out: list[dict[str, Any]] = []
    for tool in tools:
        entry: dict[str, Any] = {"type": "function", "name": getattr(tool, "name", None)}
        description = getattr(tool, "description", None)
        if description:
            entry["description"] = description
        schema = getattr(tool, "parameters_json_schema", None)
        if schema is not None:
            entry["parameters"] = schema
        out.append(entry)
    return out or None


def prompt_messages(prompt: Any) -> list[dict[str, Any]] | None:
    """The run's user prompt as one input message (for the ``invoke_agent`` span)."""
    if prompt is None:
        return None
    return [{"role": "user", "parts": _user_parts(prompt)}]


def result_messages(output: Any) -> list[dict[str, Any]]:
    """The run's final output as one output message (text, or the structured value as JSON)."""
    text = output if isinstance(output, str) else content_mod.dumps(content_mod.json_safe(output))
    part = {"type": semconv.PART_TEXT, "content": text}
    return [{"role": "assistant", "parts": [part], "finish_reason": semconv.FINISH_STOP}]
