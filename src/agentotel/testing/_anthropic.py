"""Anthropic wire format: messages (plain and streamed), count_tokens and errors."""

from __future__ import annotations

import base64
from typing import Any

from ._common import (
    arguments_dict,
    arguments_text,
    estimate_input_tokens,
    estimate_output_tokens,
    json_response,
    normalise_finish,
    split_arguments,
    split_text,
)
from ._context import Context, Event, broken_body, stream_response
from ._types import Response

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (scripted)."),
    401: ("authentication_error", "invalid x-api-key (scripted)"),
    403: ("permission_error", "Your API key does not have permission (scripted)."),
    404: ("not_found_error", "The requested resource was not found (scripted)."),
    413: ("request_too_large", "Request exceeds the maximum allowed size (scripted)."),
    429: ("rate_limit_error", "Rate limited (scripted)."),
    500: ("api_error", "Internal server error (scripted)."),
    529: ("overloaded_error", "Overloaded (scripted)."),
}


def error_payload(status: int, request_id: str) -> dict[str, Any]:
    kind, message = _ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", "Scripted error.")
    )
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}


def error_response(ctx: Context) -> Response:
    reply = ctx.reply
    request_id = ctx.new_id("req_")
    payload = reply.error_body if reply.error_body is not None else error_payload(reply.status, "")
    if reply.error_body is None:
        payload["request_id"] = request_id
    headers = {"request-id": request_id}
    if reply.status in (429, 529, 503):
        headers["retry-after"] = "1"
    return json_response(reply.status, payload, reply, headers)


def _usage(ctx: Context) -> dict[str, Any]:
    reply = ctx.reply
    input_tokens = reply.input_tokens
    if input_tokens is None:
        input_tokens = estimate_input_tokens(ctx.body)
    output_tokens = reply.output_tokens
    if output_tokens is None:
        output_tokens = estimate_output_tokens(reply)
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": reply.cache_creation_input_tokens,
        "cache_read_input_tokens": reply.cached_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": reply.cache_creation_input_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }
    if reply.reasoning_tokens:
        usage["output_tokens_details"] = {"thinking_tokens": reply.reasoning_tokens}
    return usage


def _signature(text: str) -> str:
    return base64.b64encode(f"scripted-signature:{len(text)}".encode()).decode()


def _blocks(ctx: Context) -> list[dict[str, Any]]:
    """The completed content blocks: thinking, then text, then tool_use."""
    reply = ctx.reply
    blocks: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        signature = _signature(reply.reasoning)
        blocks.append({"type": "thinking", "thinking": reply.reasoning, "signature": signature})
    if reply.text or not reply.tool_calls:
        blocks.append({"type": "text", "text": reply.text or "", "citations": None})
    for call in reply.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id or ctx.new_id("toolu_"),
                "name": call.name,
                "input": arguments_dict(call),
            }
        )
    return blocks


def _stop_reason(ctx: Context) -> str:
    reply = ctx.reply
    return normalise_finish(reply.finish_reason, tool_calls=bool(reply.tool_calls), api="anthropic")


def _message(ctx: Context, message_id: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": blocks,
        "stop_reason": _stop_reason(ctx),
        "stop_sequence": None,
        "usage": _usage(ctx),
    }


def messages(ctx: Context) -> Response:
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    message_id = ctx.new_id("msg_")
    blocks = _blocks(ctx)
    headers = {"request-id": ctx.new_id("req_")}
    if ctx.stream:
        return _stream(ctx, message_id, blocks, headers)
    payload = _message(ctx, message_id, blocks)
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json", **headers, **reply.headers},
            body=broken_body(payload, reply),
            delay=reply.delay,
        )
    return json_response(200, payload, reply, headers)


def _block_events(ctx: Context, index: int, block: dict[str, Any], raw: str) -> list[Event]:
    """The start / delta / stop events of one block; ``raw`` is a tool call's argument text."""
    chunks = ctx.reply.chunks
    kind = block["type"]
    events: list[Event] = []

    def delta(payload: dict[str, Any]) -> None:
        body = {"type": "content_block_delta", "index": index, "delta": payload}
        events.append(("content_block_delta", body))

    if kind == "thinking":
        start = {**block, "thinking": "", "signature": ""}
        events.append(("content_block_start", _start(index, start)))
        for piece in split_text(block["thinking"], chunks):
            delta({"type": "thinking_delta", "thinking": piece})
        delta({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        events.append(("content_block_start", _start(index, {**block, "text": ""})))
        for piece in split_text(block["text"], chunks):
            delta({"type": "text_delta", "text": piece})
    else:
        events.append(("content_block_start", _start(index, {**block, "input": {}})))
        delta({"type": "input_json_delta", "partial_json": ""})
        for piece in split_arguments(raw, chunks):
            delta({"type": "input_json_delta", "partial_json": piece})
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _stream(
    ctx: Context, message_id: str, blocks: list[dict[str, Any]], headers: dict[str, str]
) -> Response:
    usage = _usage(ctx)
    start = _message(ctx, message_id, [])
    start["stop_reason"] = None
    start["usage"] = {**usage, "output_tokens": 1}
    start["usage"].pop("output_tokens_details", None)
    events: list[Event] = [("message_start", {"type": "message_start", "message": start})]
    events.append(("ping", {"type": "ping"}))
    raw_arguments = iter([arguments_text(call) for call in ctx.reply.tool_calls])
    for index, block in enumerate(blocks):
        raw = next(raw_arguments) if block["type"] == "tool_use" else ""
        events += _block_events(ctx, index, block, raw)
    delta_usage = {
        key: usage[key]
        for key in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
            "output_tokens_details",
        )
        if key in usage
    }
    delta = {"stop_reason": _stop_reason(ctx), "stop_sequence": None}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": delta_usage})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    error_event: Event = ("error", ctx.reply.error_body)
    return stream_response(ctx, events, done=False, error_event=error_event, headers=headers)


def count_tokens(ctx: Context) -> Response:
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    tokens = reply.input_tokens
    if tokens is None:
        tokens = estimate_input_tokens(ctx.body)
    return json_response(200, {"input_tokens": tokens}, reply, {"request-id": ctx.new_id("req_")})
