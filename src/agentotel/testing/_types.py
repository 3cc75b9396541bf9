"""Data types of the scripted model: what a test scripts and what the core hands back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass
class ToolCall:
    """One tool call the scripted model makes.

    ``arguments`` is a dict (sent as JSON) or a string sent verbatim, which lets a test
    send arguments that are not valid JSON. ``id`` defaults to ``call_<n>`` (OpenAI) or
    ``toolu_<n>`` (Anthropic).
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass
class Reply:
    """One scripted model turn, rendered in the wire format of whichever API is called.

    Token counts left as ``None`` are estimated deterministically from the request and the
    reply. ``input_tokens`` and ``output_tokens`` are sent as the API's own fields
    (OpenAI ``prompt_tokens`` includes cached tokens; Anthropic ``input_tokens`` does not).
    A ``status`` of 400 or more sends an error in the API's error shape (``error_body``
    replaces the default one). ``error_body`` with status 200 on a streaming call starts
    the stream and then sends the error inside it, the way the APIs report mid-stream
    failures. ``malformed`` sends a broken body: ``True`` or ``"json"`` for invalid JSON,
    ``"fields"`` for valid JSON missing the required fields.
    """

    text: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    reasoning_tokens: int = 0
    reasoning: str | None = None
    model: str | None = None
    status: int = 200
    error_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    include_usage: bool = True
    malformed: bool | str = False
    embedding_dimensions: int = 8


@dataclass
class Response:
    """What :meth:`ScriptedModel.handle` returns: an HTTP response for any transport to send.

    Exactly one of ``body`` and ``stream`` carries the payload; ``stream`` yields complete
    server-sent events. ``delay`` is the wait before the response starts and
    ``chunk_delay`` the wait between streamed events; transports honour both.
    """

    status: int
    headers: dict[str, str]
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    @property
    def is_stream(self) -> bool:
        return self.stream is not None

    def json(self) -> Any:
        """The parsed body of a non-streaming response (handy in tests of the core)."""
        return json.loads(self.body)


class _RequestFields(NamedTuple):
    api: str
    path: str
    body: dict[str, Any]


class RecordedRequest(_RequestFields):
    """One request the model received; unpacks as ``(api, path, body)``.

    ``api`` is one of ``openai.chat``, ``openai.responses``, ``openai.embeddings``,
    ``openai.completions``, ``anthropic.messages``, ``anthropic.count_tokens`` or
    ``unknown``; ``path`` excludes the query string, which is in ``query``; ``headers``
    has lower-case names.
    """

    headers: dict[str, str]
    query: str

    @classmethod
    def create(
        cls, api: str, path: str, body: dict[str, Any], headers: dict[str, str], query: str
    ) -> RecordedRequest:
        record = cls(api, path, body)
        record.headers = headers
        record.query = query
        return record
