"""OpenAI wire format: chat completions, responses, embeddings, legacy completions, errors."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

from ._common import (
    arguments_text,
    estimate_input_tokens,
    estimate_output_tokens,
    json_response,
    normalise_finish,
    split_arguments,
    split_text,
    tokens_for_chars,
)
from ._context import Context, Event, broken_body, stream_response
from ._types import Reply, Response

SYSTEM_FINGERPRINT = "fp_scripted"
SERVICE_TIER = "default"

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request (scripted).", "invalid_request_error", None),
    401: ("Incorrect API key provided (scripted).", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model (scripted).", "invalid_request_error", None),
    404: ("The model does not exist (scripted).", "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached for requests (scripted).", "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request (scripted).",
        "server_error",
        None,
    ),
    503: ("The engine is currently overloaded (scripted).", "server_error", None),
}


def error_payload(status: int) -> dict[str, Any]:
    message, kind, code = _ERRORS.get(
        status,
        ("Scripted error.", "server_error" if status >= 500 else "invalid_request_error", None),
    )
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _headers(ctx: Context) -> dict[str, str]:
    return {"x-request-id": ctx.new_id("req_"), "openai-processing-ms": "1"}


def error_response(ctx: Context) -> Response:
    reply = ctx.reply
    payload = reply.error_body if reply.error_body is not None else error_payload(reply.status)
    headers = _headers(ctx)
    if reply.status in (429, 503):
        headers["retry-after"] = "1"
    return json_response(reply.status, payload, reply, headers)


def _finish(ctx: Context) -> str:
    reply = ctx.reply
    return normalise_finish(reply.finish_reason, tool_calls=bool(reply.tool_calls), api="openai")


def _tool_ids(ctx: Context, prefix: str) -> list[str]:
    return [call.id or ctx.new_id(prefix) for call in ctx.reply.tool_calls]


def _token_counts(ctx: Context) -> tuple[int, int]:
    reply = ctx.reply
    prompt = reply.input_tokens
    if prompt is None:
        prompt = estimate_input_tokens(ctx.body) + reply.cached_input_tokens
    completion = reply.output_tokens
    if completion is None:
        completion = estimate_output_tokens(reply)
    return prompt, completion


def _chat_usage(ctx: Context) -> dict[str, Any]:
    reply = ctx.reply
    prompt, completion = _token_counts(ctx)
    prompt_details: dict[str, int] = {"cached_tokens": reply.cached_input_tokens, "audio_tokens": 0}
    if reply.cache_creation_input_tokens:
        prompt_details["cache_write_tokens"] = reply.cache_creation_input_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


# --- chat completions ---------------------------------------------------------------------


def chat(ctx: Context) -> Response:
    if ctx.reply.status >= 400:
        return error_response(ctx)
    completion_id = ctx.new_id("chatcmpl-")
    call_ids = _tool_ids(ctx, "call_")
    if ctx.stream:
        return _chat_stream(ctx, completion_id, call_ids)
    reply = ctx.reply
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text if reply.text is not None or reply.tool_calls else "",
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments_text(call)},
            }
            for call, call_id in zip(reply.tool_calls, call_ids)
        ]
    payload: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": ctx.created,
        "model": ctx.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(ctx)}
        ],
        "service_tier": SERVICE_TIER,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if reply.include_usage:
        payload["usage"] = _chat_usage(ctx)
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json", **_headers(ctx), **reply.headers},
            body=broken_body(payload, reply),
            delay=reply.delay,
        )
    return json_response(200, payload, reply, _headers(ctx))


def _chat_stream(ctx: Context, completion_id: str, call_ids: list[str]) -> Response:
    reply = ctx.reply
    options = ctx.body.get("stream_options")
    usage = bool(isinstance(options, dict) and options.get("include_usage")) and reply.include_usage

    def chunk(delta: dict[str, Any], finish: str | None = None) -> Event:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "service_tier": SERVICE_TIER,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if usage:
            payload["usage"] = None
        return (None, payload)

    text = reply.text if reply.text is not None or reply.tool_calls else ""
    first: dict[str, Any] = {"role": "assistant", "content": "" if text is not None else None}
    first["refusal"] = None
    events = [chunk(first)]
    events += [chunk({"content": piece}) for piece in split_text(text or "", reply.chunks)]
    for index, (call, call_id) in enumerate(zip(reply.tool_calls, call_ids)):
        start = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [start]}))
        for piece in split_arguments(arguments_text(call), reply.chunks):
            delta = {"index": index, "function": {"arguments": piece}}
            events.append(chunk({"tool_calls": [delta]}))
    events.append(chunk({}, _finish(ctx)))
    if usage:
        last = dict(chunk({})[1])
        last["choices"] = []
        last["usage"] = _chat_usage(ctx)
        events.append((None, last))
    error_event: Event = (None, reply.error_body)
    return stream_response(ctx, events, done=True, error_event=error_event, headers=_headers(ctx))


# --- legacy completions ---------------------------------------------------------------------


def completions(ctx: Context) -> Response:
    if ctx.reply.status >= 400:
        return error_response(ctx)
    reply = ctx.reply
    completion_id = ctx.new_id("cmpl-")
    finish = normalise_finish(reply.finish_reason, tool_calls=False, api="openai")
    prompt, completion = _token_counts(ctx)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    usage["total_tokens"] = prompt + completion

    def payload(text: str, finish_reason: str | None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "text_completion",
            "created": ctx.created,
            "model": ctx.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}
            ],
        }

    if ctx.stream:
        events: list[Event] = [
            (None, payload(piece, None)) for piece in split_text(reply.text or "", reply.chunks)
        ]
        events.append((None, payload("", finish)))
        options = ctx.body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage") and reply.include_usage:
            last = payload("", None)
            last["choices"] = []
            last["usage"] = usage
            events.append((None, last))
        error_event: Event = (None, reply.error_body)
        return stream_response(ctx, events, done=True, error_event=error_event)
    body = payload(reply.text or "", finish)
    if reply.include_usage:
        body["usage"] = usage
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json", **reply.headers},
            body=broken_body(body, reply),
            delay=reply.delay,
        )
    return json_response(200, body, reply, _headers(ctx))


# --- embeddings -----------------------------------------------------------------------------


def _inputs(value: Any) -> list[str]:
    """The request's inputs as strings, one per returned vector."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(v, int) for v in value):
            return [" ".join(str(v) for v in value)]
        return [v if isinstance(v, str) else " ".join(str(t) for t in v) for v in value]
    return [""]


def vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-free vector derived from the text, in [-1, 1)."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for i in range(0, len(digest), 2):
            values.append(int.from_bytes(digest[i : i + 2], "big") / 32768.0 - 1.0)
        counter += 1
    return [round(v, 6) for v in values[:dimensions]]


def embeddings(ctx: Context) -> Response:
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    requested = ctx.body.get("dimensions")
    dims = requested if isinstance(requested, int) and requested > 0 else reply.embedding_dimensions
    base64_format = ctx.body.get("encoding_format") == "base64"
    inputs = _inputs(ctx.body.get("input"))
    data: list[dict[str, Any]] = []
    for index, text in enumerate(inputs):
        floats = vector(text, dims)
        encoded: Any = floats
        if base64_format:
            encoded = base64.b64encode(struct.pack(f"<{dims}f", *floats)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt = reply.input_tokens
    if prompt is None:
        prompt = tokens_for_chars(sum(len(t) for t in inputs))
    payload: dict[str, Any] = {"object": "list", "data": data, "model": ctx.model}
    payload["usage"] = {"prompt_tokens": prompt, "total_tokens": prompt}
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json", **reply.headers},
            body=broken_body(payload, reply),
            delay=reply.delay,
        )
    return json_response(200, payload, reply, _headers(ctx))


# --- responses ------------------------------------------------------------------------------


def _responses_usage(ctx: Context) -> dict[str, Any]:
    reply = ctx.reply
    prompt, completion = _token_counts(ctx)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": reply.cached_input_tokens,
            "cache_write_tokens": reply.cache_creation_input_tokens,
        },
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        "total_tokens": prompt + completion,
    }


def _response_object(
    ctx: Context, response_id: str, output: list[dict[str, Any]], status: str
) -> dict[str, Any]:
    body = ctx.body
    reply = ctx.reply
    incomplete = status == "incomplete"
    obj: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": ctx.created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": ctx.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": SERVICE_TIER,
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }
    if status in ("completed", "incomplete"):
        obj["completed_at"] = ctx.created
        if reply.include_usage:
            obj["usage"] = _responses_usage(ctx)
    return obj


def _response_items(ctx: Context) -> list[dict[str, Any]]:
    """The completed output items: reasoning, then the message, then function calls."""
    reply = ctx.reply
    items: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        items.append(
            {
                "id": ctx.new_id("rs_"),
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": reply.reasoning}],
            }
        )
    if reply.text is not None or not reply.tool_calls:
        items.append(
            {
                "id": ctx.new_id("msg_"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {
                        "type": "output_text",
                        "text": reply.text or "",
                        "annotations": [],
                        "logprobs": [],
                    }
                ],
            }
        )
    for call, call_id in zip(reply.tool_calls, _tool_ids(ctx, "call_")):
        items.append(
            {
                "id": ctx.new_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "arguments": arguments_text(call),
                "call_id": call_id,
                "name": call.name,
            }
        )
    return items


def responses(ctx: Context) -> Response:
    reply = ctx.reply
    if reply.status >= 400:
        return error_response(ctx)
    response_id = ctx.new_id("resp_")
    items = _response_items(ctx)
    finish = normalise_finish(reply.finish_reason, tool_calls=False, api="openai")
    status = "incomplete" if finish == "length" else "completed"
    if ctx.stream:
        return _responses_stream(ctx, response_id, items, status)
    payload = _response_object(ctx, response_id, items, status)
    if reply.malformed:
        return Response(
            status=200,
            headers={"content-type": "application/json", **reply.headers},
            body=broken_body(payload, reply),
            delay=reply.delay,
        )
    return json_response(200, payload, reply, _headers(ctx))


def _responses_stream(
    ctx: Context, response_id: str, items: list[dict[str, Any]], status: str
) -> Response:
    reply = ctx.reply
    events: list[Event] = []

    def emit(kind: str, **fields: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **fields}))

    emit("response.created", response=_response_object(ctx, response_id, [], "in_progress"))
    emit("response.in_progress", response=_response_object(ctx, response_id, [], "in_progress"))
    for index, item in enumerate(items):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "reasoning":
            text = item["summary"][0]["text"]
            emit("response.output_item.added", output_index=index, item={**item, "summary": []})
            part = {"type": "summary_text", "text": ""}
            emit("response.reasoning_summary_part.added", **where, summary_index=0, part=part)
            for piece in split_text(text, reply.chunks):
                emit("response.reasoning_summary_text.delta", **where, summary_index=0, delta=piece)
            emit("response.reasoning_summary_text.done", **where, summary_index=0, text=text)
            part = {"type": "summary_text", "text": text}
            emit("response.reasoning_summary_part.done", **where, summary_index=0, part=part)
        elif item["type"] == "message":
            content = item["content"][0]
            added = {**item, "status": "in_progress", "content": []}
            emit("response.output_item.added", output_index=index, item=added)
            part = {**content, "text": ""}
            emit("response.content_part.added", **where, content_index=0, part=part)
            for piece in split_text(content["text"], reply.chunks):
                emit(
                    "response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[]
                )
            emit(
                "response.output_text.done",
                **where,
                content_index=0,
                text=content["text"],
                logprobs=[],
            )
            emit("response.content_part.done", **where, content_index=0, part=content)
        else:
            added = {**item, "status": "in_progress", "arguments": ""}
            emit("response.output_item.added", output_index=index, item=added)
            for piece in split_arguments(item["arguments"], reply.chunks):
                emit("response.function_call_arguments.delta", **where, delta=piece)
            emit(
                "response.function_call_arguments.done",
                **where,
                name=item["name"],
                arguments=item["arguments"],
            )
        emit("response.output_item.done", output_index=index, item=item)
    final = "response.completed" if status == "completed" else "response.incomplete"
    emit(final, response=_response_object(ctx, response_id, items, status))
    error_event: Event = ("error", _stream_error(reply))
    return stream_response(ctx, events, done=False, error_event=error_event, headers=_headers(ctx))


def _stream_error(reply: Reply) -> Any:
    """The Responses API's in-stream ``error`` event built from a scripted error body."""
    body: dict[str, Any] = reply.error_body or {}
    nested = body.get("error")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else body
    return {
        "type": "error",
        "code": inner.get("code") or inner.get("type"),
        "message": inner.get("message") or "Scripted stream error.",
        "param": inner.get("param"),
        "sequence_number": 0,
    }
