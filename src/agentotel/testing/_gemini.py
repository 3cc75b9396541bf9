"""Gemini REST wire format (Gemini API and Vertex AI): generateContent, streamGenerateContent
(``alt=sse``), embedContent, batchEmbedContents, predict, and Google's error shape.

The model is named in the path (``/v1beta/models/{model}:generateContent`` on the Gemini
API, ``/v1beta1/[projects/P/locations/L/]publishers/google/models/{model}:generateContent``
on Vertex AI), so both endpoint shapes are answered alike.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

from ._common import (
    DEFAULT_MODEL,
    _strings,
    arguments_dict,
    arguments_text,
    json_response,
    split_text,
    tokens_for_chars,
)
from ._context import Context, Event, broken_body, stream_response
from ._types import Response

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The scripted finish reasons in OpenAI's or Anthropic's words, in Gemini's.
_FINISH = {
    "stop": "STOP",
    "end_turn": "STOP",
    "tool_calls": "STOP",
    "tool_use": "STOP",
    "length": "MAX_TOKENS",
    "max_tokens": "MAX_TOKENS",
    "content_filter": "SAFETY",
}


def model_from_path(path: str) -> str:
    """``gemini-2.5-flash`` from ``/v1beta/models/gemini-2.5-flash:generateContent``."""
    name = path.rpartition(":")[0] if ":" in path.rpartition("/")[2] else path
    return name.rpartition("models/")[2] or DEFAULT_MODEL


def error_payload(status: int, message: str | None = None) -> dict[str, Any]:
    state = _STATUS.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
    return {
        "error": {"code": status, "message": message or f"{state} (scripted).", "status": state}
    }


def error_response(ctx: Context) -> Response:
    reply = ctx.reply
    payload = reply.error_body if reply.error_body is not None else error_payload(reply.status)
    headers = {"retry-after": "1"} if reply.status in (429, 503) else {}
    return json_response(reply.status, payload, reply, headers)


def _model(ctx: Context) -> str:
    return ctx.reply.model or model_from_path(ctx.path)


def _input_chars(body: dict[str, Any]) -> int:
    return sum(_strings(body.get(name)) for name in ("contents", "systemInstruction", "tools"))


def _usage(ctx: Context) -> dict[str, Any]:
    """``promptTokenCount`` includes the cached tokens; ``candidatesTokenCount`` excludes
    the thinking tokens (``thoughtsTokenCount``), as Gemini reports them."""
    reply = ctx.reply
    prompt = reply.input_tokens
    if prompt is None:
        prompt = tokens_for_chars(_input_chars(ctx.body)) + reply.cached_input_tokens
    output = reply.output_tokens
    if output is None:
        chars = len(reply.text or "")
        for call in reply.tool_calls:
            chars += len(call.name) + len(arguments_text(call))
        output = tokens_for_chars(chars)
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output + reply.reasoning_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if reply.cached_input_tokens:
        usage["cachedContentTokenCount"] = reply.cached_input_tokens
    if reply.reasoning_tokens:
        usage["thoughtsTokenCount"] = reply.reasoning_tokens
    return usage


def _finish(ctx: Context) -> str:
    reason = ctx.reply.finish_reason
    if reason is None:
        return "STOP"
    return _FINISH.get(reason, reason.upper())


def _parts(ctx: Context) -> list[dict[str, Any]]:
    reply = ctx.reply
    parts: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        parts.append({"text": reply.reasoning, "thought": True})
    if reply.text or not reply.tool_calls:
        parts.append({"text": reply.text or ""})
    for call in reply.tool_calls:
        function_call: dict[str, Any] = {"name": call.name, "args": arguments_dict(call)}
        if call.id:
            function_call["id"] = call.id
        parts.append({"functionCall": function_call})
    return parts


def _candidate_count(body: dict[str, Any]) -> int:
    config = body.get("generationConfig")
    count = config.get("candidateCount") if isinstance(config, dict) else None
    return count if isinstance(count, int) and count > 0 else 1


def _payload(
    ctx: Context, response_id: str, parts: list[dict[str, Any]], finish: str | None
) -> dict[str, Any]:
    candidates = []
    for index in range(_candidate_count(ctx.body)):
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": index}
        if finish is not None:
            candidate["finishReason"] = finish
        candidates.append(candidate)
    return {"candidates": candidates, "modelVersion": _model(ctx), "responseId": response_id}


def generate_content(ctx: Context) -> Response:
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    payload = _payload(ctx, ctx.new_id("resp_"), _parts(ctx), _finish(ctx))
    payload["usageMetadata"] = _usage(ctx)
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json; charset=UTF-8", **reply.headers},
            body=broken_body(payload, reply),
            delay=reply.delay,
        )
    return json_response(200, payload, reply)


def stream_generate_content(ctx: Context) -> Response:
    """Server-sent events, one ``GenerateContentResponse`` each; the last one carries the
    finish reason and the usage, as the service sends them."""
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    response_id = ctx.new_id("resp_")
    pieces: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        pieces += [{"text": t, "thought": True} for t in split_text(reply.reasoning, reply.chunks)]
    pieces += [{"text": t} for t in split_text(reply.text or "", reply.chunks)]
    pieces += [p for p in _parts(ctx) if "functionCall" in p]
    if not pieces:
        pieces = [{"text": ""}]
    events: list[Event] = []
    for number, piece in enumerate(pieces):
        last = number == len(pieces) - 1
        payload = _payload(ctx, response_id, [piece], _finish(ctx) if last else None)
        usage = _usage(ctx)
        if not last:
            usage = {"promptTokenCount": usage["promptTokenCount"]}
        payload["usageMetadata"] = usage
        events.append((None, payload))
    error = reply.error_body
    error_event: Event = (None, error if error is None or "error" in error else {"error": error})
    return stream_response(ctx, events, done=False, error_event=error_event)


def _vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-ish vector for a text."""
    digest = hashlib.sha256(text.encode()).digest()
    values = []
    for i in range(dimensions):
        (number,) = struct.unpack_from(">H", digest, (2 * i) % 31)
        values.append(round(number / 65535 - 0.5, 6))
    return values


def _dimensions(ctx: Context, config: Any) -> int:
    wanted = config.get("outputDimensionality") if isinstance(config, dict) else None
    return wanted if isinstance(wanted, int) and wanted > 0 else ctx.reply.embedding_dimensions


def _content_text(content: Any) -> str:
    return json.dumps(content, sort_keys=True)


def embed(ctx: Context) -> Response:
    """``batchEmbedContents`` (Gemini API, Vertex), ``embedContent`` and ``predict`` (Vertex)."""
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    body = ctx.body
    path = ctx.path
    if path.endswith(":batchEmbedContents"):
        requests = body.get("requests") or [{"content": c} for c in body.get("contents") or []]
        embeddings = [
            {"values": _vector(_content_text(r.get("content")), _dimensions(ctx, r))}
            for r in requests
            if isinstance(r, dict)
        ]
        return json_response(200, {"embeddings": embeddings}, reply)
    if path.endswith(":embedContent"):
        content = body.get("content")
        config = body.get("embedContentConfig") or body
        tokens = reply.input_tokens or tokens_for_chars(_strings(content))
        payload = {
            "embedding": {"values": _vector(_content_text(content), _dimensions(ctx, config))},
            "usageMetadata": {"promptTokenCount": tokens, "totalTokenCount": tokens},
        }
        return json_response(200, payload, reply)
    instances = body.get("instances") or []
    parameters = body.get("parameters")
    predictions = []
    for instance in instances:
        text = _content_text(instance)
        stats = {"token_count": tokens_for_chars(_strings(instance)), "truncated": False}
        values = _vector(text, _dimensions(ctx, parameters))
        predictions.append({"embeddings": {"values": values, "statistics": stats}})
    chars = sum(_strings(i) for i in instances)
    payload = {"predictions": predictions, "metadata": {"billableCharacterCount": chars}}
    return json_response(200, payload, reply)


ROUTES = (
    (":streamGenerateContent", "gemini.stream_generate_content", stream_generate_content),
    (":generateContent", "gemini.generate_content", generate_content),
    (":batchEmbedContents", "gemini.embed_content", embed),
    (":embedContent", "gemini.embed_content", embed),
    (":predict", "gemini.embed_content", embed),
)
"""(path suffix, api, renderer) for the scripted model's router."""
