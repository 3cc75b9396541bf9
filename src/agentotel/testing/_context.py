"""The per-request context handed to the API renderers, and the stream assembly they share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._common import DEFAULT_MODEL, dumps, malformed_mode, sse, sse_response
from ._types import Reply, Response

# One SSE event before serialisation: (event name or None, JSON payload or raw string).
Event = tuple[str | None, Any]


@dataclass
class Context:
    """Everything a renderer needs: the parsed request, the reply and an id source."""

    body: dict[str, Any]
    reply: Reply
    new_id: Callable[[str], str]
    path: str = ""
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def model(self) -> str:
        if self.reply.model is not None:
            return self.reply.model
        model = self.body.get("model")
        return model if isinstance(model, str) and model else DEFAULT_MODEL

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def stream_error(self) -> bool:
        """Whether the reply asks for an error inside an otherwise successful stream."""
        return self.reply.error_body is not None and self.reply.status < 400


def broken(payload: Any, mode: str) -> Any:
    """A damaged copy of a payload: truncated JSON text, or the payload minus its fields."""
    if mode == "fields":
        if isinstance(payload, dict):
            return {k: v for k, v in payload.items() if k in ("id", "object", "type")}
        return {}
    text = dumps(payload).decode()
    return text[: max(1, len(text) // 2)]


def broken_body(payload: Any, reply: Reply) -> bytes:
    mode = malformed_mode(reply) or "json"
    damaged = broken(payload, mode)
    return damaged.encode() if isinstance(damaged, str) else dumps(damaged)


def stream_response(
    ctx: Context,
    events: list[Event],
    *,
    done: bool,
    error_event: Event | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise events, applying the reply's malformed / mid-stream error settings.

    ``done`` appends the ``data: [DONE]`` terminator of the OpenAI SSE streams.
    """
    reply = ctx.reply
    mode = malformed_mode(reply)
    if mode is not None:
        # Damage the first event after the opening one that a client does not skip.
        index = next((i for i, (n, _) in enumerate(events) if i and n != "ping"), 0)
        name, payload = events[index]
        events = [*events[:index], (name, broken(payload, mode))]
    elif ctx.stream_error and error_event is not None:
        events = [*events[: max(1, len(events) // 2)], error_event]
        done = False
    chunks = []
    for number, (name, payload) in enumerate(events):
        if isinstance(payload, dict) and "sequence_number" in payload:
            payload = {**payload, "sequence_number": number}
        chunks.append(sse(payload, name))
    if done:
        chunks.append(sse("[DONE]"))
    return sse_response(chunks, reply, headers)
