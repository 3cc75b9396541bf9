"""Helpers shared by the OpenAI and Anthropic renderers: token estimates, chunking, SSE."""

from __future__ import annotations

import json
import re
from typing import Any

from ._types import Reply, Response, ToolCall

DEFAULT_MODEL = "scripted-model"

# Fields of a request whose text counts towards the estimated input tokens.
_INPUT_FIELDS = ("messages", "input", "prompt", "system", "instructions", "tools")

_WORD = re.compile(r"\S+\s*|\s+")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def json_response(
    status: int, payload: Any, reply: Reply, extra_headers: dict[str, str] | None = None
) -> Response:
    headers = {"content-type": "application/json", **(extra_headers or {}), **reply.headers}
    return Response(status=status, headers=headers, body=dumps(payload), delay=reply.delay)


def sse_response(
    events: list[bytes], reply: Reply, extra_headers: dict[str, str] | None = None
) -> Response:
    headers = {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        **(extra_headers or {}),
        **reply.headers,
    }
    return Response(
        status=200,
        headers=headers,
        stream=iter(events),
        delay=reply.delay,
        chunk_delay=reply.chunk_delay,
    )


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event; ``data`` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {payload}\n\n".encode()


def _strings(value: Any) -> int:
    """Total length of the string values inside a JSON value (keys excluded)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_strings(v) for v in value.values())
    if isinstance(value, list):
        return sum(_strings(v) for v in value)
    return 0


def tokens_for_chars(chars: int) -> int:
    """A deterministic stand-in for a tokenizer: about four characters a token, at least one."""
    return max(1, (chars + 3) // 4)


def estimate_input_tokens(body: dict[str, Any]) -> int:
    return tokens_for_chars(sum(_strings(body.get(name)) for name in _INPUT_FIELDS))


def arguments_text(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps(call.arguments)


def arguments_dict(call: ToolCall) -> dict[str, Any]:
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        parsed = json.loads(call.arguments)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def estimate_output_tokens(reply: Reply) -> int:
    """Visible output (text and tool calls) plus the scripted reasoning tokens."""
    chars = len(reply.text or "")
    for call in reply.tool_calls:
        chars += len(call.name) + len(arguments_text(call))
    return tokens_for_chars(chars) + reply.reasoning_tokens


def split_text(text: str, chunks: int | None) -> list[str]:
    """Split text into stream pieces: ``chunks`` near-equal parts, or word by word."""
    if not text:
        return []
    if chunks is None:
        return _WORD.findall(text)
    return _split_even(text, chunks)


def split_arguments(text: str, chunks: int | None) -> list[str]:
    """Split tool-call arguments into pieces so that clients must reassemble them."""
    if not text:
        return []
    if chunks is None:
        chunks = max(2, -(-len(text) // 10))
    return _split_even(text, chunks)


def _split_even(text: str, parts: int) -> list[str]:
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    pieces: list[str] = []
    start = 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def normalise_finish(reason: str | None, *, tool_calls: bool, api: str) -> str:
    """The finish reason in the vocabulary of ``api`` (``openai`` or ``anthropic``)."""
    if reason is None:
        if api == "anthropic":
            return "tool_use" if tool_calls else "end_turn"
        return "tool_calls" if tool_calls else "stop"
    if api == "anthropic":
        return {"length": "max_tokens", "stop": "end_turn", "tool_calls": "tool_use"}.get(
            reason, reason
        )
    return {"max_tokens": "length", "end_turn": "stop", "tool_use": "tool_calls"}.get(
        reason, reason
    )


def malformed_mode(reply: Reply) -> str | None:
    """``"json"`` for a syntactically broken body, ``"fields"`` for missing fields."""
    if reply.malformed is False:
        return None
    if reply.malformed is True:
        return "json"
    return str(reply.malformed)
