"""Amazon Bedrock runtime wire format: Converse, ConverseStream, InvokeModel(WithResponseStream).

:class:`ScriptedBedrock` answers ``bedrock-runtime`` requests from the same script of
:class:`Reply` objects as :class:`ScriptedModel`; :class:`ScriptedBedrockServer` serves it
over HTTP for boto3 (``endpoint_url=server.endpoint_url`` with any credentials). Streams
are real AWS event-stream frames. ``InvokeModel`` bodies follow the model family the
request is written for: Anthropic Messages, Amazon Nova, Amazon Titan text and
embeddings, Meta Llama.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from . import _anthropic, _eventstream
from ._common import (
    arguments_dict,
    arguments_text,
    dumps,
    estimate_input_tokens,
    estimate_output_tokens,
    json_response,
    split_arguments,
    split_text,
    tokens_for_chars,
)
from ._context import Context
from ._model import Script, ScriptedModel
from ._server import ScriptedModelServer
from ._types import RecordedRequest, Reply, Response

_ACTIONS = {
    "converse": "bedrock.converse",
    "converse-stream": "bedrock.converse_stream",
    "invoke": "bedrock.invoke",
    "invoke-with-response-stream": "bedrock.invoke_stream",
}

_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}

_STOP = {
    "length": "max_tokens",
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
}

_STREAM_HEADERS = {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-bedrock-content-type": "application/json",
}


class ScriptedBedrock(ScriptedModel):
    """A fake ``bedrock-runtime`` that answers from a script (see :class:`ScriptedModel`).

    Recorded requests have ``api`` ``bedrock.converse``, ``bedrock.converse_stream``,
    ``bedrock.invoke`` or ``bedrock.invoke_stream``; the model id is in the path.
    """

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        path, _, query = path.partition("?")
        parts = path.strip("/").split("/")
        api = _ACTIONS.get(parts[-1], "unknown") if len(parts) == 3 else "unknown"
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = None
        record = parsed if isinstance(parsed, dict) else {}
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest.create(api, path, record, lowered, query))
        if api == "unknown" or parts[0] != "model" or method.upper() != "POST":
            return _error(404, {"message": f"No scripted endpoint for {method} {path}."})
        if not isinstance(parsed, dict):
            return _error(400, {"message": "The request body is not a JSON object."})
        model_id = unquote(parts[1])
        reply = self._next_reply(parsed, api)
        ctx = Context(body={**parsed, "model": model_id}, reply=reply, new_id=self.new_id)
        if reply.status >= 400:
            return _error(reply.status, reply.error_body, reply)
        if api == "bedrock.converse":
            return _converse(ctx)
        if api == "bedrock.converse_stream":
            return _stream(ctx, [(name, dumps(data)) for name, data in _converse_events(ctx)])
        return _invoke(ctx, model_id, stream=api == "bedrock.invoke_stream")


class ScriptedBedrockServer(ScriptedModelServer):
    """Serves a :class:`ScriptedBedrock` over HTTP on 127.0.0.1.

    ``boto3.client("bedrock-runtime", endpoint_url=server.endpoint_url,
    region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")``.
    """

    def __init__(
        self, script: Script | ScriptedBedrock = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        model = script if isinstance(script, ScriptedBedrock) else ScriptedBedrock(script)
        super().__init__(model, host=host, port=port)

    @property
    def endpoint_url(self) -> str:
        """The ``endpoint_url`` for a boto3 ``bedrock-runtime`` client."""
        return self.url


def _error(status: int, payload: dict[str, Any] | None, reply: Reply | None = None) -> Response:
    kind = _ERRORS.get(
        status, "InternalServerException" if status >= 500 else "ValidationException"
    )
    body = payload if payload is not None else {"message": f"{kind} (scripted)."}
    headers = {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    return json_response(status, body, reply or Reply(), headers)


def _usage(ctx: Context) -> dict[str, int]:
    reply = ctx.reply
    inputs = reply.input_tokens
    if inputs is None:
        inputs = estimate_input_tokens(ctx.body)
    outputs = reply.output_tokens
    if outputs is None:
        outputs = estimate_output_tokens(reply)
    cached, written = reply.cached_input_tokens, reply.cache_creation_input_tokens
    usage = {"inputTokens": inputs, "outputTokens": outputs}
    usage["totalTokens"] = inputs + outputs + cached + written
    if cached:
        usage["cacheReadInputTokens"] = cached
    if written:
        usage["cacheWriteInputTokens"] = written
    return usage


def _stop_reason(reply: Reply) -> str:
    if reply.finish_reason is None:
        return "tool_use" if reply.tool_calls else "end_turn"
    return _STOP.get(reply.finish_reason, reply.finish_reason)


def _content(ctx: Context) -> list[dict[str, Any]]:
    reply = ctx.reply
    blocks: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        blocks.append({"reasoningContent": {"reasoningText": {"text": reply.reasoning}}})
    if reply.text or not reply.tool_calls:
        blocks.append({"text": reply.text or ""})
    for call in reply.tool_calls:
        call.id = call.id or ctx.new_id("tooluse_")
        blocks.append(
            {"toolUse": {"toolUseId": call.id, "name": call.name, "input": arguments_dict(call)}}
        )
    return blocks


def _converse_body(ctx: Context) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": _content(ctx)}},
        "stopReason": _stop_reason(ctx.reply),
        "usage": _usage(ctx),
        "metrics": {"latencyMs": 12},
    }


def _converse(ctx: Context) -> Response:
    payload = _converse_body(ctx)
    if ctx.reply.malformed:
        return Response(200, {"content-type": "application/json"}, b'{"output": {"mess')
    return json_response(200, payload, ctx.reply, {"x-amzn-requestid": ctx.new_id("req-")})


def _converse_events(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """ConverseStream's events (also Nova's InvokeModel stream chunks), in order."""
    reply, chunks = ctx.reply, ctx.reply.chunks
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    index = 0

    def delta(value: dict[str, Any]) -> None:
        events.append(("contentBlockDelta", {"delta": value, "contentBlockIndex": index}))

    def stop() -> None:
        events.append(("contentBlockStop", {"contentBlockIndex": index}))

    if reply.reasoning is not None:
        for piece in split_text(reply.reasoning, chunks):
            delta({"reasoningContent": {"text": piece}})
        delta({"reasoningContent": {"signature": "scripted"}})
        stop()
        index += 1
    if reply.text or not reply.tool_calls:
        for piece in split_text(reply.text or "", chunks):
            delta({"text": piece})
        stop()
        index += 1
    for call in reply.tool_calls:
        call.id = call.id or ctx.new_id("tooluse_")
        start = {"toolUse": {"toolUseId": call.id, "name": call.name}}
        events.append(("contentBlockStart", {"start": start, "contentBlockIndex": index}))
        for piece in split_arguments(arguments_text(call), chunks):
            delta({"toolUse": {"input": piece}})
        stop()
        index += 1
    events.append(("messageStop", {"stopReason": _stop_reason(reply)}))
    events.append(("metadata", {"usage": _usage(ctx), "metrics": {"latencyMs": 12}}))
    return events


def _stream(ctx: Context, events: list[tuple[str, bytes]]) -> Response:
    """Frame the events; a reply with ``error_body`` (status 200) fails half-way through."""
    reply = ctx.reply
    if reply.error_body is not None:
        events = events[: max(1, len(events) // 2)]
    frames = [_eventstream.event(name, payload) for name, payload in events]
    if reply.error_body is not None:
        frames.append(_eventstream.exception("modelStreamErrorException", dumps(reply.error_body)))
    headers = {**_STREAM_HEADERS, "x-amzn-requestid": ctx.new_id("req-"), **reply.headers}
    return Response(
        200, headers, stream=iter(frames), delay=reply.delay, chunk_delay=reply.chunk_delay
    )


# InvokeModel ------------------------------------------------------------------


def _family(model_id: str, body: dict[str, Any]) -> str:
    if "anthropic_version" in body or "anthropic." in model_id:
        return "anthropic"
    if "inputText" in body:
        return "titan_embed" if "embed" in model_id else "titan_text"
    if "messages" in body:
        return "nova"
    return "llama"


def _invoke(ctx: Context, model_id: str, *, stream: bool) -> Response:
    family = _family(model_id, ctx.body)
    reply = ctx.reply
    usage = _usage(ctx)
    if family == "titan_text" or family == "titan_embed":
        usage["inputTokens"] = (
            reply.input_tokens
            if reply.input_tokens is not None
            else tokens_for_chars(len(str(ctx.body.get("inputText", ""))))
        )
    chunks: list[dict[str, Any]]
    if family == "anthropic":
        if stream:
            # A mid-stream error is framed by _stream, not sent as an Anthropic event.
            quiet = dataclasses.replace(reply, error_body=None)
            sse = _anthropic.messages(Context({**ctx.body, "stream": True}, quiet, ctx.new_id))
            chunks = [json.loads(line[6:]) for line in _sse_data(sse)]
            chunks = [c for c in chunks if c.get("type") != "ping"]
        else:
            message = _anthropic.messages(Context(ctx.body, reply, ctx.new_id))
            return _invoke_response(ctx, message.body, usage)
    elif family == "nova":
        if not stream:
            body = _converse_body(ctx)
            body.pop("metrics")
            return _invoke_response(ctx, dumps(body), usage)
        chunks = [{name: data} for name, data in _converse_events(ctx)]
    elif family == "titan_embed":
        dims = ctx.body.get("dimensions") or reply.embedding_dimensions
        vector = [round(0.01 * (i + 1), 4) for i in range(int(dims))]
        body = {"embedding": vector, "inputTextTokenCount": usage["inputTokens"]}
        return _invoke_response(ctx, dumps(body), {**usage, "outputTokens": 0})
    elif family == "titan_text":
        reason = {"end_turn": "FINISH", "max_tokens": "LENGTH"}.get(
            _stop_reason(reply), "CONTENT_FILTERED"
        )
        if not stream:
            result = {"tokenCount": usage["outputTokens"], "outputText": reply.text or ""}
            body = {
                "inputTextTokenCount": usage["inputTokens"],
                "results": [{**result, "completionReason": reason}],
            }
            return _invoke_response(ctx, dumps(body), usage)
        pieces = split_text(reply.text or "", reply.chunks) or [""]
        chunks = [
            {
                "outputText": piece,
                "index": 0,
                "totalOutputTextTokenCount": usage["outputTokens"] if last else None,
                "completionReason": reason if last else None,
                "inputTextTokenCount": usage["inputTokens"] if i == 0 else None,
            }
            for i, piece in enumerate(pieces)
            for last in [i == len(pieces) - 1]
        ]
    else:
        reason = "length" if _stop_reason(reply) == "max_tokens" else "stop"
        if not stream:
            body = {
                "generation": reply.text or "",
                "prompt_token_count": usage["inputTokens"],
                "generation_token_count": usage["outputTokens"],
                "stop_reason": reason,
            }
            return _invoke_response(ctx, dumps(body), usage)
        pieces = split_text(reply.text or "", reply.chunks) or [""]
        chunks = [
            {
                "generation": piece,
                "prompt_token_count": usage["inputTokens"] if i == 0 else None,
                # Cumulative; the last chunk carries the total.
                "generation_token_count": usage["outputTokens"] if i == len(pieces) - 1 else i + 1,
                "stop_reason": reason if i == len(pieces) - 1 else None,
            }
            for i, piece in enumerate(pieces)
        ]
    chunks[-1]["amazon-bedrock-invocationMetrics"] = {
        "inputTokenCount": usage["inputTokens"],
        "outputTokenCount": usage["outputTokens"],
        "invocationLatency": 12,
        "firstByteLatency": 5,
    }
    return _stream(ctx, [("chunk", dumps({"bytes": _b64(c)})) for c in chunks])


def _b64(chunk: dict[str, Any]) -> str:
    return base64.b64encode(dumps(chunk)).decode()


def _sse_data(response: Response) -> list[str]:
    assert response.stream is not None
    lines: list[str] = []
    for event in response.stream:
        lines += [ln for ln in event.decode().splitlines() if ln.startswith("data: ")]
    return lines


def _invoke_response(ctx: Context, body: bytes, usage: dict[str, int]) -> Response:
    reply = ctx.reply
    if reply.malformed:
        body = body[: max(1, len(body) // 2)]
    headers = {
        "content-type": "application/json",
        "x-amzn-requestid": ctx.new_id("req-"),
        "x-amzn-bedrock-input-token-count": str(usage["inputTokens"]),
        "x-amzn-bedrock-output-token-count": str(usage["outputTokens"]),
        "x-amzn-bedrock-invocation-latency": "12",
        **reply.headers,
    }
    return Response(200, headers, body=body, delay=reply.delay)
