"""Read GenAI facts out of ``bedrock-runtime`` requests and responses (no spans built here).

Converse speaks one schema for every model. InvokeModel bodies are the model family's
own: Anthropic Messages (read with the anthropic extractors), Amazon Nova (the Converse
schema again), Amazon Titan text and embeddings, Meta Llama. Everything is read from
plain dicts with ``dict.get``, so unknown families and malformed bodies give fewer
attributes, never errors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from agentotel import semconv
from agentotel.instrumentation._read import int_or_none as _int
from agentotel.instrumentation._read import str_or_none as _str
from agentotel.instrumentation.anthropic import extract as anthropic

ANTHROPIC, NOVA, TITAN_TEXT, TITAN_EMBED, LLAMA, UNKNOWN = (
    "anthropic",
    "nova",
    "titan_text",
    "titan_embed",
    "llama",
    "unknown",
)

# Every family's stop reason -> the conventions' finish_reason for output messages.
_FINISH = {
    "end_turn": semconv.FINISH_STOP,
    "stop_sequence": semconv.FINISH_STOP,
    "stop": semconv.FINISH_STOP,
    "FINISH": semconv.FINISH_STOP,
    "STOP_CRITERIA_MET": semconv.FINISH_STOP,
    "max_tokens": semconv.FINISH_LENGTH,
    "length": semconv.FINISH_LENGTH,
    "LENGTH": semconv.FINISH_LENGTH,
    "model_context_window_exceeded": semconv.FINISH_LENGTH,
    "tool_use": semconv.FINISH_TOOL_CALL,
    "guardrail_intervened": semconv.FINISH_CONTENT_FILTER,
    "content_filtered": semconv.FINISH_CONTENT_FILTER,
    "CONTENT_FILTERED": semconv.FINISH_CONTENT_FILTER,
    "refusal": semconv.FINISH_CONTENT_FILTER,
    "malformed_model_output": semconv.FINISH_ERROR,
    "malformed_tool_use": semconv.FINISH_ERROR,
}

_IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

_servers: dict[str, tuple[str | None, int | None]] = {}


def finish_reason(raw: Any) -> str:
    """An output message's ``finish_reason`` for a Bedrock (or model family) stop reason."""
    return _FINISH.get(raw, raw) if isinstance(raw, str) else semconv.FINISH_STOP


def server(client: Any) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of the client's endpoint (cached per URL)."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    if not isinstance(url, str):
        return None, None
    found = _servers.get(url)
    if found is None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = (parts.hostname, port)
        if len(_servers) < 64:
            _servers[url] = found
    return found


def family(model_id: str | None, body: Mapping[str, Any] | None) -> str:
    """The InvokeModel body format: from the model id, else from the body's shape.

    Ids may be inference profiles (``us.anthropic.claude-…``) or ARNs, whose last part
    names the model for foundation models and nothing useful for application profiles.
    """
    mid = (model_id or "").rpartition("/")[2].lower()
    if "anthropic." in mid:
        return ANTHROPIC
    if "amazon.nova" in mid:
        return NOVA
    if "amazon.titan-embed" in mid:
        return TITAN_EMBED
    if "amazon.titan-text" in mid or "amazon.titan-tg" in mid:
        return TITAN_TEXT
    if "meta.llama" in mid:
        return LLAMA
    if body is None:
        return UNKNOWN
    if "anthropic_version" in body:
        return ANTHROPIC
    if "textGenerationConfig" in body:
        return TITAN_TEXT
    if "inputText" in body:
        return TITAN_EMBED
    if "messages" in body:
        return NOVA
    if "max_gen_len" in body:
        return LLAMA
    return UNKNOWN


def operation_of(kind: str) -> str:
    if kind in (TITAN_TEXT, LLAMA):
        return semconv.OP_TEXT_COMPLETION
    if kind == TITAN_EMBED:
        return semconv.OP_EMBEDDINGS
    return semconv.OP_CHAT


def decode_body(body: Any) -> dict[str, Any] | None:
    """An InvokeModel request body as a dict; ``None`` for streams (never consumed) or non-JSON."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if not isinstance(body, str):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _number(attrs: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        attrs[name] = value


def _stops(attrs: dict[str, Any], value: Any) -> None:
    if isinstance(value, (list, tuple)) and value and all(isinstance(s, str) for s in value):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)


def _max_tokens(attrs: dict[str, Any], *values: Any) -> None:
    for value in values:
        number = _int(value)
        if number is not None:
            attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = number
            return


def converse_attributes(params: Mapping[str, Any], stream: bool) -> dict[str, Any]:
    """Span attributes known before a Converse call: inferenceConfig, top_k, guardrail."""
    attrs: dict[str, Any] = {}
    config = params.get("inferenceConfig")
    if type(config) is dict or isinstance(config, Mapping):
        _max_tokens(attrs, config.get("maxTokens"))
        _number(attrs, semconv.GEN_AI_REQUEST_TEMPERATURE, config.get("temperature"))
        _number(attrs, semconv.GEN_AI_REQUEST_TOP_P, config.get("topP"))
        _stops(attrs, config.get("stopSequences"))
    extra = params.get("additionalModelRequestFields")
    if type(extra) is dict or isinstance(extra, Mapping):
        _number(attrs, semconv.GEN_AI_REQUEST_TOP_K, extra.get("top_k", extra.get("topK")))
    _guardrail(attrs, params.get("guardrailConfig"))
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


def _guardrail(attrs: dict[str, Any], config: Any) -> None:
    if type(config) is dict or isinstance(config, Mapping):
        guardrail = _str(config.get("guardrailIdentifier"))
        if guardrail:
            attrs[semconv.AWS_BEDROCK_GUARDRAIL_ID] = guardrail


def invoke_attributes(
    kind: str, body: Mapping[str, Any] | None, params: Mapping[str, Any], stream: bool
) -> dict[str, Any]:
    """Span attributes known before an InvokeModel call, from the family's request body."""
    attrs: dict[str, Any] = {}
    guardrail = _str(params.get("guardrailIdentifier"))
    if guardrail:
        attrs[semconv.AWS_BEDROCK_GUARDRAIL_ID] = guardrail
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if body is None:
        return attrs
    if kind == ANTHROPIC:
        attrs.update(anthropic.request_attributes(body, False))
    elif kind == NOVA:
        config = body.get("inferenceConfig")
        if type(config) is dict or isinstance(config, Mapping):
            _max_tokens(attrs, config.get("max_new_tokens"), config.get("maxTokens"))
            _number(attrs, semconv.GEN_AI_REQUEST_TEMPERATURE, config.get("temperature"))
            _number(attrs, semconv.GEN_AI_REQUEST_TOP_P, config.get("topP", config.get("top_p")))
            _number(attrs, semconv.GEN_AI_REQUEST_TOP_K, config.get("topK", config.get("top_k")))
            _stops(attrs, config.get("stopSequences"))
    elif kind == TITAN_TEXT:
        config = body.get("textGenerationConfig")
        if type(config) is dict or isinstance(config, Mapping):
            _max_tokens(attrs, config.get("maxTokenCount"))
            _number(attrs, semconv.GEN_AI_REQUEST_TEMPERATURE, config.get("temperature"))
            _number(attrs, semconv.GEN_AI_REQUEST_TOP_P, config.get("topP"))
            _stops(attrs, config.get("stopSequences"))
    elif kind == LLAMA:
        _max_tokens(attrs, body.get("max_gen_len"))
        _number(attrs, semconv.GEN_AI_REQUEST_TEMPERATURE, body.get("temperature"))
        _number(attrs, semconv.GEN_AI_REQUEST_TOP_P, body.get("top_p"))
    return attrs


# Content ----------------------------------------------------------------------


def part(block: Any) -> dict[str, Any] | None:
    """One Converse content block as a message part; ``None`` for markers (cachePoint)."""
    if not (type(block) is dict or isinstance(block, Mapping)):
        return None
    if "text" in block:
        return {"type": semconv.PART_TEXT, "content": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"] or {}
        return {
            "type": semconv.PART_TOOL_CALL,
            "id": use.get("toolUseId"),
            "name": use.get("name"),
            "arguments": use.get("input"),
        }
    if "toolResult" in block:
        result = block["toolResult"] or {}
        return {
            "type": semconv.PART_TOOL_CALL_RESPONSE,
            "id": result.get("toolUseId"),
            "response": _tool_result(result.get("content")),
        }
    if "reasoningContent" in block:
        reasoning = block["reasoningContent"] or {}
        text = (reasoning.get("reasoningText") or {}).get("text")
        return {"type": semconv.PART_REASONING, "content": text}
    if "image" in block:
        return _media("image", block["image"])
    if "guardContent" in block:
        text = ((block["guardContent"] or {}).get("text") or {}).get("text")
        return {"type": semconv.PART_TEXT, "content": text}
    if "cachePoint" in block:
        return None
    kind = next(iter(block), "unknown")
    return {"type": kind}


def _tool_result(content: Any) -> Any:
    if not isinstance(content, (list, tuple)):
        return content
    values = [
        b.get("text", b.get("json")) for b in content if (type(b) is dict or isinstance(b, Mapping))
    ]
    if len(values) == 1:
        return values[0]
    return values


def _media(modality: str, media: Any) -> dict[str, Any]:
    media = media if (type(media) is dict or isinstance(media, Mapping)) else {}
    source = media.get("source") or {}
    location = (
        source.get("s3Location") if (type(source) is dict or isinstance(source, Mapping)) else None
    )
    if (type(location) is dict or isinstance(location, Mapping)) and location.get("uri"):
        return {"type": semconv.PART_URI, "modality": modality, "uri": location["uri"]}
    raw = source.get("bytes") if (type(source) is dict or isinstance(source, Mapping)) else None
    fmt = media.get("format")
    out: dict[str, Any] = {"type": semconv.PART_BLOB, "modality": modality}
    if isinstance(fmt, str):
        out["mime_type"] = _IMAGE_TYPES.get(fmt, f"{modality}/{fmt}")
    if isinstance(raw, (bytes, bytearray)):
        out["content"] = base64.b64encode(bytes(raw)).decode()
    elif isinstance(raw, str):
        out["content"] = raw
    return out


def parts(blocks: Any) -> list[dict[str, Any]]:
    if not isinstance(blocks, (list, tuple)):
        return []
    return [p for p in map(part, blocks) if p is not None]


def input_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, (list, tuple)):
        return []
    return [
        {"role": m.get("role") or "user", "parts": parts(m.get("content"))}
        for m in messages
        if (type(m) is dict or isinstance(m, Mapping))
    ]


def system_instructions(system: Any) -> list[dict[str, Any]] | None:
    found = parts(system)
    return found or None


def tool_definitions(tool_config: Any) -> list[dict[str, Any]] | None:
    """``toolConfig.tools[].toolSpec`` as the conventions' function definitions."""
    tools = (
        tool_config.get("tools")
        if (type(tool_config) is dict or isinstance(tool_config, Mapping))
        else None
    )
    if not isinstance(tools, (list, tuple)):
        return None
    out: list[dict[str, Any]] = []
    for tool in tools:
        spec = tool.get("toolSpec") if (type(tool) is dict or isinstance(tool, Mapping)) else None
        if not (type(spec) is dict or isinstance(spec, Mapping)):
            continue
        entry: dict[str, Any] = {"type": "function", "name": spec.get("name")}
        if spec.get("description"):
            entry["description"] = spec["description"]
        schema = spec.get("inputSchema")
        if (type(schema) is dict or isinstance(schema, Mapping)) and "json" in schema:
            entry["parameters"] = schema["json"]
        out.append(entry)
    return out or None


def converse_content(inv: Any, params: Mapping[str, Any]) -> None:
    """Request content of a Converse call (or a Nova body): only when content is captured."""
    inv.input_messages = input_messages(params.get("messages"))
    inv.system_instructions = system_instructions(params.get("system"))
    inv.tool_definitions = tool_definitions(params.get("toolConfig"))


def invoke_content(inv: Any, kind: str, body: Mapping[str, Any]) -> None:
    """Request content of an InvokeModel body, by family."""
    if kind == ANTHROPIC:
        inv.input_messages = anthropic.input_messages(body.get("messages"))
        inv.system_instructions = anthropic.system_instructions(body.get("system"))
        inv.tool_definitions = anthropic.tool_definitions(body.get("tools"))
    elif kind == NOVA:
        converse_content(inv, body)
    elif kind in (TITAN_TEXT, LLAMA):
        text = body.get("prompt", body.get("inputText"))
        if isinstance(text, str):
            inv.input_messages = [
                {"role": "user", "parts": [{"type": semconv.PART_TEXT, "content": text}]}
            ]


# Responses --------------------------------------------------------------------


def usage(inv: Any, data: Any) -> None:
    """Converse/Nova usage. ``inputTokens`` excludes the cache reads and writes; the
    conventions' input total includes them."""
    if not (type(data) is dict or isinstance(data, Mapping)):
        return
    read = _int(data.get("cacheReadInputTokens", data.get("cacheReadInputTokenCount")))
    written = _int(data.get("cacheWriteInputTokens", data.get("cacheWriteInputTokenCount")))
    uncached = _int(data.get("inputTokens"))
    if uncached is not None:
        inv.input_tokens = uncached + (read or 0) + (written or 0)
    inv.output_tokens = _int(data.get("outputTokens"))
    inv.cache_read_input_tokens = read
    inv.cache_creation_input_tokens = written


def output_message(blocks: Any, stop: Any, inv: Any) -> None:
    """Tool call ids always; the output message only when content is captured."""
    ids = [
        use.get("toolUseId")
        for block in (blocks if isinstance(blocks, (list, tuple)) else ())
        if (type(block) is dict or isinstance(block, Mapping))
        and isinstance(use := block.get("toolUse"), Mapping)
    ]
    ids = [i for i in ids if isinstance(i, str)]
    if ids:
        inv.tool_call_ids = ids
    if inv.capture_content:
        inv.output_messages = [
            {"role": "assistant", "parts": parts(blocks), "finish_reason": finish_reason(stop)}
        ]


def converse_response(inv: Any, response: Mapping[str, Any]) -> None:
    """Fill an invocation from a Converse response (or a Nova InvokeModel body)."""
    stop = response.get("stopReason")
    if isinstance(stop, str):
        inv.finish_reasons = [finish_reason(stop)]
    usage(inv, response.get("usage"))
    message = (response.get("output") or {}).get("message") or {}
    output_message(message.get("content"), stop, inv)


def request_id(response: Any) -> str | None:
    meta = (
        response.get("ResponseMetadata")
        if (type(response) is dict or isinstance(response, Mapping))
        else None
    )
    return (
        _str(meta.get("RequestId")) if (type(meta) is dict or isinstance(meta, Mapping)) else None
    )


def header_tokens(inv: Any, response: Mapping[str, Any]) -> None:
    """InvokeModel's token counts from its response headers, when the body gave none."""
    meta = response.get("ResponseMetadata")
    headers = meta.get("HTTPHeaders") if (type(meta) is dict or isinstance(meta, Mapping)) else None
    if not (type(headers) is dict or isinstance(headers, Mapping)):
        return
    if inv.input_tokens is None:
        inv.input_tokens = _int_text(headers.get("x-amzn-bedrock-input-token-count"))
    if inv.output_tokens is None and inv.operation != semconv.OP_EMBEDDINGS:
        inv.output_tokens = _int_text(headers.get("x-amzn-bedrock-output-token-count"))


def _int_text(value: Any) -> int | None:
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


def text_output(inv: Any, text: Any, stop: Any) -> None:
    if isinstance(stop, str):
        inv.finish_reasons = [finish_reason(stop)]
    if inv.capture_content and isinstance(text, str):
        inv.output_messages = [
            {
                "role": "assistant",
                "parts": [{"type": semconv.PART_TEXT, "content": text}],
                "finish_reason": finish_reason(stop),
            }
        ]


def invoke_response(inv: Any, kind: str, body: Mapping[str, Any]) -> None:
    """Fill an invocation from a decoded InvokeModel response body, by family."""
    if kind == ANTHROPIC:
        anthropic.message_response(inv, body)
    elif kind == NOVA:
        converse_response(inv, body)
    elif kind == TITAN_TEXT:
        inv.input_tokens = _int(body.get("inputTextTokenCount"))
        results = body.get("results")
        first = results[0] if isinstance(results, list) and results else {}
        if type(first) is dict or isinstance(first, Mapping):
            inv.output_tokens = _int(first.get("tokenCount"))
            text_output(inv, first.get("outputText"), first.get("completionReason"))
    elif kind == LLAMA:
        inv.input_tokens = _int(body.get("prompt_token_count"))
        inv.output_tokens = _int(body.get("generation_token_count"))
        text_output(inv, body.get("generation"), body.get("stop_reason"))
    elif kind == TITAN_EMBED:
        inv.input_tokens = _int(body.get("inputTextTokenCount"))
        vector = body.get("embedding")
        if isinstance(vector, list):
            inv.dimension_count = len(vector)
