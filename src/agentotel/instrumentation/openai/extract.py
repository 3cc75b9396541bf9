"""Read GenAI facts out of openai requests and responses (no spans built here).

Everything here is duck-typed: responses are read with ``getattr`` so older and
newer SDK releases, compatible servers and malformed payloads degrade to fewer
attributes instead of errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field, given, read_into, reusable
from agentotel.instrumentation._read import int_or_none as _int
from agentotel.instrumentation._read import str_or_none as _str

_HOST_PROVIDERS = {
    "api.openai.com": semconv.PROVIDER_OPENAI,
    "api.groq.com": semconv.PROVIDER_GROQ,
    "api.deepseek.com": semconv.PROVIDER_DEEPSEEK,
    "api.x.ai": semconv.PROVIDER_X_AI,
    "api.mistral.ai": semconv.PROVIDER_MISTRAL,
    "api.perplexity.ai": semconv.PROVIDER_PERPLEXITY,
    "generativelanguage.googleapis.com": semconv.PROVIDER_GCP_GEMINI,
}

_FINISH = {
    "stop": semconv.FINISH_STOP,
    "end_turn": semconv.FINISH_STOP,
    "length": semconv.FINISH_LENGTH,
    "max_tokens": semconv.FINISH_LENGTH,
    "max_output_tokens": semconv.FINISH_LENGTH,
    "content_filter": semconv.FINISH_CONTENT_FILTER,
    "tool_calls": semconv.FINISH_TOOL_CALL,
    "function_call": semconv.FINISH_TOOL_CALL,
}


def finish_reason(raw: Any) -> str:
    return _FINISH.get(raw, raw) if isinstance(raw, str) else semconv.FINISH_STOP


_Server = tuple[str | None, int | None, str]
# Keyed by the client's base URL object (kept alive here, so its id cannot be reused):
# the URL is parsed once per client rather than on every call.
_servers: dict[int, tuple[Any, type, _Server]] = {}
_MAX_SERVERS = 256


def _base_url(client: Any) -> Any:
    # Recent SDKs compute the ``base_url`` property with an import on every read; the URL
    # object itself sits in the instance dict (its name varies by release).
    state = getattr(client, "__dict__", None)
    if state is not None:
        url = state.get("_configured_base_url") or state.get("_base_url")
        if url is not None:
            return url
    return getattr(client, "base_url", None)


def server_and_provider(instance: Any) -> _Server:
    """(server.address, server.port, gen_ai.provider.name) for the client behind a resource."""
    client = getattr(instance, "_client", None)
    url = _base_url(client)
    cached = _servers.get(id(url))
    if cached is not None and cached[0] is url and cached[1] is type(client):
        return cached[2]
    result = _server_and_provider(client, url)
    if len(_servers) >= _MAX_SERVERS:
        _servers.clear()
    _servers[id(url)] = (url, type(client), result)
    return result


def _server_and_provider(client: Any, url: Any) -> _Server:
    host = getattr(url, "host", None)
    port = getattr(url, "port", None)
    if not isinstance(host, str) or not host:
        return None, None, semconv.PROVIDER_OPENAI
    if not isinstance(port, int):
        scheme = getattr(url, "scheme", "https")
        port = 443 if scheme == "https" else 80
    if type(client).__name__.startswith(("AzureOpenAI", "AsyncAzureOpenAI")) or host.endswith(
        ".openai.azure.com"
    ):
        provider = semconv.PROVIDER_AZURE_OPENAI
    else:
        provider = _HOST_PROVIDERS.get(host, semconv.PROVIDER_OPENAI)
    return host, port, provider


# -- request attributes -------------------------------------------------------

_CHAT_PARAMS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
)


_NUMBER, _MAX_TOKENS, _STOP, _N, _STREAM, _TIER, _FORMAT = range(7)
_CHAT_KEYS: dict[str, tuple[int, str]] = {
    **{key: (_NUMBER, name) for key, name in _CHAT_PARAMS},
    "max_completion_tokens": (_MAX_TOKENS, semconv.GEN_AI_REQUEST_MAX_TOKENS),
    "max_tokens": (_MAX_TOKENS, semconv.GEN_AI_REQUEST_MAX_TOKENS),
    "stop": (_STOP, semconv.GEN_AI_REQUEST_STOP_SEQUENCES),
    "n": (_N, semconv.GEN_AI_REQUEST_CHOICE_COUNT),
    "stream": (_STREAM, semconv.GEN_AI_REQUEST_STREAM),
    "service_tier": (_TIER, semconv.OPENAI_REQUEST_SERVICE_TIER),
    "response_format": (_FORMAT, semconv.GEN_AI_OUTPUT_TYPE),
}


def chat_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Request attributes of a chat completion, from the keyword arguments that are given."""
    attrs: dict[str, Any] = {}
    keys = _CHAT_KEYS
    extra = kwargs.get("extra_body")
    if isinstance(extra, Mapping) and extra:
        # The SDK merges extra_body over the named parameters: what it sends is what counts.
        kwargs = {**kwargs, **extra}
    for key, value in kwargs.items():
        entry = keys.get(key)
        if entry is None:
            continue
        kind, name = entry
        if kind == _NUMBER:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[name] = value
        elif kind == _MAX_TOKENS:
            # max_completion_tokens wins over the older max_tokens, whatever the order.
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (key == "max_completion_tokens" or name not in attrs)
            ):
                attrs[name] = value
        elif kind == _STOP:
            if isinstance(value, str):
                attrs[name] = (value,)
            elif isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
                attrs[name] = tuple(value)
        elif kind == _N:
            if isinstance(value, int) and value != 1:
                attrs[name] = value
        elif kind == _STREAM:
            if value is True:
                attrs[name] = True
        elif kind == _TIER:
            if isinstance(value, str):
                attrs[name] = value
        else:
            output_type = _output_type(value)
            if output_type:
                attrs[name] = output_type
    return attrs


def _output_type(fmt: Any) -> str | None:
    if not given(fmt):
        return None
    if isinstance(fmt, type):  # a pydantic model passed to .parse()
        return semconv.OUTPUT_TYPE_JSON
    kind = field(fmt, "type")
    if kind in ("json_schema", "json_object"):
        return semconv.OUTPUT_TYPE_JSON
    if kind == "text":
        return semconv.OUTPUT_TYPE_TEXT
    return None


def responses_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {semconv.OPENAI_API_TYPE: semconv.OPENAI_API_TYPE_RESPONSES}
    extra = kwargs.get("extra_body")
    if isinstance(extra, Mapping) and extra:
        kwargs = {**kwargs, **extra}
    for key, name in _CHAT_PARAMS[:2]:
        value = kwargs.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[name] = value
    max_tokens = kwargs.get("max_output_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    if kwargs.get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    tier = kwargs.get("service_tier")
    if isinstance(tier, str):
        attrs[semconv.OPENAI_REQUEST_SERVICE_TIER] = tier
    conversation = kwargs.get("conversation")
    conv_id = conversation if isinstance(conversation, str) else field(conversation, "id")
    if isinstance(conv_id, str):
        attrs[semconv.GEN_AI_CONVERSATION_ID] = conv_id
    text = kwargs.get("text")
    fmt = field(text, "format") if given(text) else None
    if kwargs.get("text_format") is not None and given(kwargs.get("text_format")):
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = semconv.OUTPUT_TYPE_JSON
    elif fmt is not None:
        output_type = _output_type(fmt)
        if output_type:
            attrs[semconv.GEN_AI_OUTPUT_TYPE] = output_type
    return attrs


def embeddings_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    fmt = kwargs.get("encoding_format")
    if isinstance(fmt, str):
        attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = (fmt,)
    dims = kwargs.get("dimensions")
    if isinstance(dims, int) and not isinstance(dims, bool):
        attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    return attrs


# -- responses ----------------------------------------------------------------


def chat_response(inv: Any, response: Any) -> None:
    """Fill an invocation from a ``ChatCompletion``.

    Plain attribute access is the fast path for the SDK's models; anything else (a
    dict, a model without one of the fields, a malformed payload) is read again
    leniently, where what is missing reads as ``None``.
    """
    read_into(_chat_response, inv, response)


def _chat_response(inv: Any, response: Any) -> None:
    value = response.id
    if isinstance(value, str) and value:
        inv.response_id = value
    value = response.model
    if isinstance(value, str) and value:
        inv.response_model = value
    choices = response.choices or ()
    reasons: list[str] = []
    call_ids: list[str] | None = None
    for choice in choices:
        reason = choice.finish_reason
        reasons.append(reason if isinstance(reason, str) else "")
        message = choice.message
        calls = message.tool_calls if message is not None else None
        if calls:
            for call in calls:
                call_id = call.id
                if isinstance(call_id, str):
                    if call_ids is None:
                        call_ids = []
                    call_ids.append(call_id)
    if any(reasons):
        inv.finish_reasons = reasons
    if call_ids:
        inv.tool_call_ids = call_ids
    usage = response.usage
    if usage is not None:
        _usage_chat(inv, usage)
    response_details(inv, response.system_fingerprint, response.service_tier)
    if inv.capture_content:
        inv.output_messages = [chat_output_message(choice) for choice in choices]


def response_details(inv: Any, fingerprint: Any, tier: Any) -> None:
    """The OpenAI response attributes the conventions put on the span and on the metrics."""
    if isinstance(fingerprint, str) and fingerprint:
        inv.attributes[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
        inv.metric_attributes[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    if isinstance(tier, str) and tier:
        inv.attributes[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
        inv.metric_attributes[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier


def usage_chat(inv: Any, usage: Any) -> None:
    """Token counts from a chat ``CompletionUsage`` (a model, a dict, or ``None``)."""
    if usage is None:
        return
    read_into(_usage_chat, inv, usage)


def _usage_chat(inv: Any, usage: Any) -> None:
    # type() is int: a count, never a bool or a float.
    value = usage.prompt_tokens
    inv.input_tokens = value if type(value) is int else None
    value = usage.completion_tokens
    inv.output_tokens = value if type(value) is int else None
    details = usage.prompt_tokens_details
    if details is not None:
        value = details.cached_tokens
        if type(value) is int and value > 0:
            inv.cache_read_input_tokens = value
        # Not fields of every SDK release's model: read leniently.
        value = getattr(details, "cache_write_tokens", None)
        if type(value) is int and value > 0:
            inv.cache_creation_input_tokens = value
        _audio(inv, inv.names.audio_input_tokens, getattr(details, "audio_tokens", None))
    details = usage.completion_tokens_details
    if details is not None:
        value = details.reasoning_tokens
        if type(value) is int and value > 0:
            inv.reasoning_output_tokens = value
        _audio(inv, inv.names.audio_output_tokens, getattr(details, "audio_tokens", None))


def _audio(inv: Any, name: str | None, value: Any) -> None:
    """Audio token counts exist under experimental names alone (``None`` when not opted in)."""
    if name is not None and type(value) is int and value > 0:
        inv.set(name, value)


def usage_responses(inv: Any, usage: Any) -> None:
    if usage is None:
        return
    inv.input_tokens = _int(field(usage, "input_tokens"))
    inv.output_tokens = _int(field(usage, "output_tokens"))
    cached = _int(field(field(usage, "input_tokens_details"), "cached_tokens"))
    if cached:
        inv.cache_read_input_tokens = cached
    reasoning = _int(field(field(usage, "output_tokens_details"), "reasoning_tokens"))
    if reasoning:
        inv.reasoning_output_tokens = reasoning


# Output items that hand control back to the application to run a tool (server-side
# tools such as web_search_call run inside the API and do not end the turn).
_CLIENT_TOOL_CALLS = frozenset(
    {
        "function_call",
        "custom_tool_call",
        "computer_call",
        "local_shell_call",
        "shell_call",
        "apply_patch_call",
    }
)


def compacted(inv: Any, items: Any) -> None:
    """Mark the conversation compacted when ``items`` holds a ``compaction`` item.

    ``gen_ai.conversation.compacted`` is an experimental name: recorded under the opt-in only.
    """
    name = inv.names.conversation_compacted
    if name is None or not isinstance(items, (list, tuple)):
        return
    if any(field(item, "type") == "compaction" for item in items):
        inv.set(name, True)


def responses_response(inv: Any, response: Any) -> None:
    """Fill an invocation from a Responses API ``Response``."""
    inv.response_id = _str(field(response, "id"))
    inv.response_model = _str(field(response, "model"))
    output = field(response, "output") or ()
    call_ids = [
        cid
        for item in output
        if field(item, "type") == "function_call" and isinstance(cid := field(item, "call_id"), str)
    ]
    if call_ids:
        inv.tool_call_ids = call_ids
    compacted(inv, output)
    has_calls = bool(call_ids) or any(field(item, "type") in _CLIENT_TOOL_CALLS for item in output)
    reason = responses_finish_reason(response, has_calls)
    inv.finish_reasons = [reason]
    usage_responses(inv, field(response, "usage"))
    inv.set(semconv.OPENAI_RESPONSE_SERVICE_TIER, _str(field(response, "service_tier")))
    conversation = field(response, "conversation")
    inv.set(semconv.GEN_AI_CONVERSATION_ID, _str(field(conversation, "id")))
    if inv.capture_content:
        inv.output_messages = [responses_output_message(output, reason)]


def fetched_response(inv: Any, response: Any) -> None:
    """Fill a ``fetch_response`` invocation from the stored ``Response`` it fetched.

    No inference happens and no tokens are consumed by the fetch, so the stored usage is
    not recorded; a stored generation that failed is its status, not an error of the fetch.
    """
    inv.response_id = _str(field(response, "id")) or inv.response_id
    inv.response_model = _str(field(response, "model"))
    output = field(response, "output") or ()
    has_calls = any(field(item, "type") in _CLIENT_TOOL_CALLS for item in output) or any(
        field(item, "type") == "function_call" for item in output
    )
    reason = responses_finish_reason(response, has_calls)
    inv.finish_reasons = [reason]
    inv.set(semconv.GEN_AI_RESPONSE_STATUS, _str(field(response, "status")))
    inv.set(semconv.OPENAI_RESPONSE_SERVICE_TIER, _str(field(response, "service_tier")))
    if inv.capture_content:
        inv.output_messages = [responses_output_message(output, reason)]
        inv.system_instructions = responses_input(
            {"instructions": field(response, "instructions")}
        )[1]


def responses_finish_reason(response: Any, has_calls: bool) -> str:
    status = field(response, "status")
    if status == "incomplete":
        reason = field(field(response, "incomplete_details"), "reason")
        return finish_reason(reason) if isinstance(reason, str) else semconv.FINISH_LENGTH
    if status == "failed":
        return semconv.FINISH_ERROR
    return semconv.FINISH_TOOL_CALL if has_calls else semconv.FINISH_STOP


def embeddings_response(inv: Any, response: Any) -> None:
    inv.response_model = _str(field(response, "model"))
    usage = field(response, "usage")
    inv.input_tokens = _int(field(usage, "prompt_tokens"))
    data = field(response, "data") or ()
    if data:
        vector = field(data[0], "embedding")
        if isinstance(vector, list):
            inv.dimension_count = len(vector)


# -- content (only when capture is on) ---------------------------------------


def _parse_args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or not given(content):
        return []
    if isinstance(content, str):
        return [{"type": semconv.PART_TEXT, "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, (list, tuple)) else [content]:
        kind = field(part, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": semconv.PART_TEXT, "content": field(part, "text")})
        elif kind == "refusal":
            parts.append({"type": semconv.PART_TEXT, "content": field(part, "refusal")})
        elif kind in ("image_url", "input_image"):
            url = field(part, "image_url")
            url = field(url, "url") if not isinstance(url, str) else url
            parts.append(_uri_or_blob("image", url))
        elif kind == "input_audio":
            audio = field(part, "input_audio")
            parts.append(
                {
                    "type": semconv.PART_BLOB,
                    "modality": "audio",
                    "mime_type": f"audio/{field(audio, 'format') or 'wav'}",
                    "content": field(audio, "data"),
                }
            )
        elif kind in ("file", "input_file"):
            file = field(part, "file") or part
            file_id = field(file, "file_id")
            if file_id:
                parts.append({"type": semconv.PART_FILE, "modality": "file", "file_id": file_id})
            else:
                parts.append({"type": "file", "content": field(file, "file_data")})
        elif isinstance(part, str):
            parts.append({"type": semconv.PART_TEXT, "content": part})
        else:
            parts.append({"type": kind or "unknown"})
    return parts


def _uri_or_blob(modality: str, url: Any) -> dict[str, Any]:
    if isinstance(url, str) and url.startswith("data:"):
        head, _, data = url.partition(",")
        mime = head[5:].split(";")[0] or None
        return {"type": semconv.PART_BLOB, "modality": modality, "mime_type": mime, "content": data}
    return {"type": semconv.PART_URI, "modality": modality, "uri": url}


def _role(role: Any) -> str:
    if role == "developer":
        return "system"
    return role if isinstance(role, str) else "user"


def chat_input_messages(messages: Any) -> list[dict[str, Any]] | None:
    if not reusable(messages):
        return None
    out: list[dict[str, Any]] = []
    for message in messages:
        role = _role(field(message, "role"))
        parts = _content_parts(field(message, "content"))
        if role == "tool":
            parts = [
                {
                    "type": semconv.PART_TOOL_CALL_RESPONSE,
                    "id": field(message, "tool_call_id"),
                    "response": field(message, "content"),
                }
            ]
        for call in field(message, "tool_calls") or ():
            fn = field(call, "function")
            parts.append(
                {
                    "type": semconv.PART_TOOL_CALL,
                    "id": field(call, "id"),
                    "name": field(fn, "name"),
                    "arguments": _parse_args(field(fn, "arguments")),
                }
            )
        entry: dict[str, Any] = {"role": role, "parts": parts}
        name = field(message, "name")
        if isinstance(name, str):
            entry["name"] = name
        out.append(entry)
    return out


def chat_output_message(choice: Any) -> dict[str, Any]:
    message = field(choice, "message")
    parts = _content_parts(field(message, "content"))
    refusal = field(message, "refusal")
    if isinstance(refusal, str):
        parts.append({"type": semconv.PART_TEXT, "content": refusal})
    for call in field(message, "tool_calls") or ():
        fn = field(call, "function")
        parts.append(
            {
                "type": semconv.PART_TOOL_CALL,
                "id": field(call, "id"),
                "name": field(fn, "name"),
                "arguments": _parse_args(field(fn, "arguments")),
            }
        )
    return {
        "role": "assistant",
        "parts": parts,
        "finish_reason": finish_reason(field(choice, "finish_reason")),
    }


def tool_definitions(tools: Any) -> list[dict[str, Any]] | None:
    if not reusable(tools) or not tools:
        return None
    out: list[dict[str, Any]] = []
    for tool in tools:
        kind = field(tool, "type") or "function"
        fn = field(tool, "function")
        source = fn if fn is not None else tool
        entry: dict[str, Any] = {"type": kind, "name": field(source, "name")}
        description = field(source, "description")
        if description:
            entry["description"] = description
        parameters = field(source, "parameters")
        if parameters is not None:
            entry["parameters"] = parameters
        out.append(entry)
    return out


def responses_input(
    kwargs: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(input messages, system instructions) for a Responses API request."""
    instructions = kwargs.get("instructions")
    system = (
        [{"type": semconv.PART_TEXT, "content": instructions}]
        if isinstance(instructions, str)
        else None
    )
    raw = kwargs.get("input")
    if isinstance(raw, str):
        return [{"role": "user", "parts": [{"type": semconv.PART_TEXT, "content": raw}]}], system
    messages: list[dict[str, Any]] = []
    if raw is None or not reusable(raw):
        return messages, system
    for item in raw:
        kind = field(item, "type")
        if kind == "function_call":
            messages.append(
                {
                    "role": "assistant",
                    "parts": [
                        {
                            "type": semconv.PART_TOOL_CALL,
                            "id": field(item, "call_id"),
                            "name": field(item, "name"),
                            "arguments": _parse_args(field(item, "arguments")),
                        }
                    ],
                }
            )
        elif kind == "function_call_output":
            messages.append(
                {
                    "role": "tool",
                    "parts": [
                        {
                            "type": semconv.PART_TOOL_CALL_RESPONSE,
                            "id": field(item, "call_id"),
                            "response": field(item, "output"),
                        }
                    ],
                }
            )
        elif kind == "reasoning":
            messages.append({"role": "assistant", "parts": _reasoning_parts(item)})
        elif kind in (None, "message"):
            messages.append(
                {
                    "role": _role(field(item, "role")),
                    "parts": _content_parts(field(item, "content")),
                }
            )
        else:
            messages.append({"role": "user", "parts": [{"type": kind}]})
    return messages, system


def _reasoning_parts(item: Any) -> list[dict[str, Any]]:
    parts = []
    for summary in field(item, "summary") or ():
        text = field(summary, "text")
        if isinstance(text, str):
            parts.append({"type": semconv.PART_REASONING, "content": text})
    return parts


def responses_output_message(output: Any, reason: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for item in output:
        kind = field(item, "type")
        if kind == "message":
            parts.extend(_content_parts(field(item, "content")))
        elif kind == "function_call":
            parts.append(
                {
                    "type": semconv.PART_TOOL_CALL,
                    "id": field(item, "call_id"),
                    "name": field(item, "name"),
                    "arguments": _parse_args(field(item, "arguments")),
                }
            )
        elif kind == "reasoning":
            parts.extend(_reasoning_parts(item))
        elif isinstance(kind, str):
            parts.append({"type": kind})
    return {"role": "assistant", "parts": parts, "finish_reason": reason}
