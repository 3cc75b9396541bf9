"""Reading LangChain's run payloads: models, providers, usage, messages, tool results.

Everything here is duck-typed (``getattr`` and mapping lookups), so it works on the
objects LangChain passes to callbacks without importing their classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation._read import str_or_none as _str
from agentotel.telemetry import InferenceInvocation

# LangChain's ``ls_provider`` values -> gen_ai.provider.name.
_PROVIDERS: dict[str, str] = {
    "openai": semconv.PROVIDER_OPENAI,
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "azure_openai": semconv.PROVIDER_AZURE_OPENAI,
    "amazon_bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": semconv.PROVIDER_AWS_BEDROCK,
    "google_genai": semconv.PROVIDER_GCP_GEMINI,
    "google_vertexai": semconv.PROVIDER_GCP_VERTEX_AI,
    "mistralai": semconv.PROVIDER_MISTRAL,
    "groq": semconv.PROVIDER_GROQ,
    "deepseek": semconv.PROVIDER_DEEPSEEK,
    "xai": semconv.PROVIDER_X_AI,
    "cohere": semconv.PROVIDER_COHERE,
    "perplexity": semconv.PROVIDER_PERPLEXITY,
}

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
_ROLES.update({"AIMessageChunk": "assistant", "function": "tool", "developer": "system"})

_FINISH = {
    "stop": semconv.FINISH_STOP,
    "end_turn": semconv.FINISH_STOP,
    "stop_sequence": semconv.FINISH_STOP,
    "length": semconv.FINISH_LENGTH,
    "max_tokens": semconv.FINISH_LENGTH,
    "tool_calls": semconv.FINISH_TOOL_CALL,
    "tool_use": semconv.FINISH_TOOL_CALL,
    "function_call": semconv.FINISH_TOOL_CALL,
    "content_filter": semconv.FINISH_CONTENT_FILTER,
}

UNKNOWN_PROVIDER = "langchain"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def provider(metadata: Mapping[str, Any] | None, params: Mapping[str, Any]) -> str:
    """The provider of a LangChain model run, from ``ls_provider`` (or ``_type``) metadata."""
    raw = _str(field(metadata, "ls_provider")) or _str(params.get("_type"))
    if raw is None:
        return UNKNOWN_PROVIDER
    key = raw.lower()
    if key in _PROVIDERS:
        return _PROVIDERS[key]
    for prefix, name in _PROVIDERS.items():
        if key.startswith(prefix):
            return name
    return key


def request_model(metadata: Mapping[str, Any] | None, params: Mapping[str, Any]) -> str | None:
    for value in (
        params.get("model"),
        params.get("model_name"),
        params.get("model_id"),
        field(metadata, "ls_model_name"),
    ):
        if _str(value):
            return str(value)
    return None


def request_attributes(
    metadata: Mapping[str, Any] | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Request parameters known when the model run starts."""
    attrs: dict[str, Any] = {}
    pairs = (
        (semconv.GEN_AI_REQUEST_TEMPERATURE, ("temperature",), "ls_temperature"),
        (
            semconv.GEN_AI_REQUEST_MAX_TOKENS,
            ("max_tokens", "max_completion_tokens"),
            "ls_max_tokens",
        ),
        (semconv.GEN_AI_REQUEST_TOP_P, ("top_p",), None),
        (semconv.GEN_AI_REQUEST_TOP_K, ("top_k",), None),
        (semconv.GEN_AI_REQUEST_SEED, ("seed",), None),
        (semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY, ("frequency_penalty",), None),
        (semconv.GEN_AI_REQUEST_PRESENCE_PENALTY, ("presence_penalty",), None),
    )
    for attr, keys, ls_key in pairs:
        value: Any = None
        for key in keys:
            value = _num(params.get(key))
            if value is not None:
                break
        if value is None and ls_key is not None:
            value = _num(field(metadata, ls_key))
        if value is not None:
            attrs[attr] = value
    stop = params.get("stop") or field(metadata, "ls_stop")
    if isinstance(stop, str):
        stop = [stop]
    if isinstance(stop, (list, tuple)) and stop and all(isinstance(s, str) for s in stop):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(stop)
    n = _int(params.get("n"))
    if n is not None and n != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = n
    if params.get("stream") is True or params.get("streaming") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


def finish_reason(raw: Any) -> str:
    return _FINISH.get(raw, raw) if isinstance(raw, str) and raw else semconv.FINISH_STOP


def _raw_finish(generation: Any) -> str | None:
    info = field(generation, "generation_info")
    message = field(generation, "message")
    meta = field(message, "response_metadata")
    for source, key in (
        (info, "finish_reason"),
        (meta, "finish_reason"),
        (meta, "stop_reason"),
        (info, "stop_reason"),
    ):
        value = _str(field(source, key))
        if value:
            return value
    return None


def _usage(inv: InferenceInvocation | None, usage: Any) -> tuple[int | None, int | None]:
    """Copy LangChain's ``usage_metadata`` (input totals include cached tokens) onto ``inv``."""
    input_tokens = _int(field(usage, "input_tokens"))
    output_tokens = _int(field(usage, "output_tokens"))
    if inv is not None:
        inv.input_tokens = input_tokens
        inv.output_tokens = output_tokens
        details = field(usage, "input_token_details")
        inv.cache_read_input_tokens = _int(field(details, "cache_read"))
        inv.cache_creation_input_tokens = _int(field(details, "cache_creation"))
        inv.reasoning_output_tokens = _int(field(field(usage, "output_token_details"), "reasoning"))
    return input_tokens, output_tokens


def _llm_output_usage(llm_output: Any) -> Any:
    usage = field(llm_output, "token_usage") or field(llm_output, "usage")
    if usage is None:
        return None
    prompt = _int(field(usage, "prompt_tokens"))
    if prompt is None:
        prompt = _int(field(usage, "input_tokens"))
    completion = _int(field(usage, "completion_tokens"))
    if completion is None:
        completion = _int(field(usage, "output_tokens"))
    if prompt is None and completion is None:
        return None
    return {"input_tokens": prompt, "output_tokens": completion}


def llm_result(inv: InferenceInvocation | None, result: Any) -> tuple[int | None, int | None]:
    """Fill ``inv`` from an ``LLMResult``; return (input, output) tokens for the agent roll-up."""
    generations = [g for batch in (field(result, "generations") or ()) for g in batch]
    usage: Any = None
    reasons: list[str] = []
    call_ids: list[str] = []
    response_model: str | None = None
    response_id: str | None = None
    for generation in generations:
        message = field(generation, "message")
        if usage is None:
            usage = field(message, "usage_metadata")
        meta = field(message, "response_metadata")
        response_model = response_model or _str(field(meta, "model_name"))
        response_model = response_model or _str(field(meta, "model"))
        response_id = response_id or _str(field(meta, "id"))
        reason = _raw_finish(generation)
        if reason:
            reasons.append(reason)
        for call in field(message, "tool_calls") or ():
            call_id = _str(field(call, "id"))
            if call_id:
                call_ids.append(call_id)
    if usage is None:
        usage = _llm_output_usage(field(result, "llm_output"))
    if inv is not None:
        llm_output = field(result, "llm_output")
        inv.response_model = response_model or _str(field(llm_output, "model_name"))
        inv.response_id = response_id
        if reasons:
            inv.finish_reasons = reasons
        if call_ids:
            inv.tool_call_ids = call_ids
        if inv.capture_content:
            inv.output_messages = [output_message(g) for g in generations]
    return _usage(inv, usage)


# -- content ----------------------------------------------------------------


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": semconv.PART_TEXT, "content": content}] if content else []
    parts: list[dict[str, Any]] = []
    for block in content or ():
        if isinstance(block, str):
            parts.append({"type": semconv.PART_TEXT, "content": block})
            continue
        kind = field(block, "type")
        if kind == "text":
            parts.append({"type": semconv.PART_TEXT, "content": field(block, "text")})
        elif kind in ("reasoning", "thinking"):
            text = field(block, "reasoning") or field(block, "thinking")
            parts.append({"type": semconv.PART_REASONING, "content": text})
        elif kind in ("tool_use", "tool_call", "function_call"):
            continue  # also in ``message.tool_calls``, which is what we record
        elif isinstance(block, Mapping):
            parts.append(dict(block))
    return parts


def _tool_call_parts(message: Any) -> list[dict[str, Any]]:
    parts = []
    for call in field(message, "tool_calls") or ():
        part: dict[str, Any] = {
            "type": semconv.PART_TOOL_CALL,
            "name": field(call, "name"),
            "arguments": field(call, "args"),
        }
        call_id = field(call, "id")
        if call_id:
            part["id"] = call_id
        parts.append(part)
    return parts


def role_of(message: Any) -> str:
    kind = field(message, "type")
    if kind == "chat":
        return str(field(message, "role") or "user")
    return _ROLES.get(str(kind), str(kind or "user"))


def input_messages(
    messages: Sequence[Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(input messages, system instructions) in the GenAI content shape."""
    out: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for message in messages:
        role = role_of(message)
        if role == "system":
            system.extend(_content_parts(field(message, "content")))
            continue
        if role == "tool":
            response: dict[str, Any] = {
                "type": semconv.PART_TOOL_CALL_RESPONSE,
                "response": field(message, "content"),
            }
            call_id = field(message, "tool_call_id")
            if call_id:
                response["id"] = call_id
            out.append({"role": role, "parts": [response]})
            continue
        entry: dict[str, Any] = {
            "role": role,
            "parts": _content_parts(field(message, "content")) + _tool_call_parts(message),
        }
        name = _str(field(message, "name"))
        if name:
            entry["name"] = name
        out.append(entry)
    return out, (system or None)


def output_message(generation: Any) -> dict[str, Any]:
    message = field(generation, "message")
    if message is None:
        parts = _content_parts(field(generation, "text"))
    else:
        parts = _content_parts(field(message, "content")) + _tool_call_parts(message)
    return {
        "role": "assistant",
        "parts": parts,
        "finish_reason": finish_reason(_raw_finish(generation)),
    }


def tool_definitions(params: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Tools bound to the model (OpenAI or Anthropic shape) as GenAI tool definitions."""
    tools = params.get("tools")
    if not isinstance(tools, (list, tuple)) or not tools:
        return None
    out = []
    for tool in tools:
        fn = field(tool, "function") or tool
        name = field(fn, "name")
        if not name:
            continue
        entry: dict[str, Any] = {"type": "function", "name": name}
        description = field(fn, "description")
        if description:
            entry["description"] = description
        schema = field(fn, "parameters") or field(fn, "input_schema")
        if schema:
            entry["parameters"] = schema
        out.append(entry)
    return out or None


def tool_result(output: Any) -> Any:
    """The value a tool returned: a ``ToolMessage``'s content, or the output itself."""
    if field(output, "tool_call_id") is not None and hasattr(output, "content"):
        artifact = field(output, "artifact")
        content = field(output, "content")
        return content if artifact is None else {"content": content, "artifact": artifact}
    return output


def tool_status_error(output: Any) -> bool:
    """True for a ``ToolMessage`` that reports a failure (``status='error'``)."""
    return field(output, "tool_call_id") is not None and field(output, "status") == "error"


def serialized_name(serialized: Any) -> str | None:
    name = _str(field(serialized, "name"))
    if name:
        return name
    ident = field(serialized, "id")
    if isinstance(ident, (list, tuple)) and ident and isinstance(ident[-1], str):
        return ident[-1]
    return None
