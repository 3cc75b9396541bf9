"""The transport-independent scripted model: route a request, pick a reply, render it."""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from . import _anthropic, _gemini, _openai
from ._common import json_response
from ._context import Context
from ._types import RecordedRequest, Reply, Response

ScriptItem: TypeAlias = Reply | str
ScriptFunction: TypeAlias = Callable[[dict[str, Any], str], Reply | str]
Script: TypeAlias = Iterable[ScriptItem] | ScriptFunction | None

# Path suffixes, longest first, so that base URLs with or without /v1 (or a proxy prefix) work.
_ROUTES: tuple[tuple[str, str, Callable[[Context], Response]], ...] = (
    ("/messages/count_tokens", "anthropic.count_tokens", _anthropic.count_tokens),
    ("/chat/completions", "openai.chat", _openai.chat),
    ("/messages", "anthropic.messages", _anthropic.messages),
    ("/responses", "openai.responses", _openai.responses),
    ("/embeddings", "openai.embeddings", _openai.embeddings),
    ("/completions", "openai.completions", _openai.completions),
    *_gemini.ROUTES,
)

# Calls that describe a request rather than answer it take no reply from a list script.
_NON_CONSUMING = frozenset({"anthropic.count_tokens"})

EXHAUSTED_TEXT = "ok"


class ScriptedModel:
    """A fake model API that answers OpenAI and Anthropic requests from a script.

    ``script`` is a list of :class:`Reply` (or plain strings, short for ``Reply(text=...)``)
    consumed in order, one per call; once it runs out every call gets the text ``"ok"``.
    It may instead be a callable ``(request_json, api) -> Reply`` asked for every call.
    ``anthropic.count_tokens`` calls never consume list entries. Thread-safe.
    """

    def __init__(self, script: Script = None) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._callable: Callable[[dict[str, Any], str], Reply | str] | None = None
        self._queue: deque[ScriptItem] = deque()
        if callable(script):
            self._callable = script
        elif script is not None:
            self._queue.extend(script)
        self.requests: list[RecordedRequest] = []

    def add(self, *replies: ScriptItem) -> None:
        """Append replies to a list script."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        """How many scripted replies have not been used yet."""
        return len(self._queue)

    def new_id(self, prefix: str) -> str:
        """A fresh id such as ``call_3``; unique within this model."""
        return f"{prefix}{next(self._ids)}"

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer one HTTP request. ``path`` may carry a query string."""
        path, _, query = path.partition("?")
        route = _route(path)
        api = route[1] if route else "unknown"
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = None
        record_body = parsed if isinstance(parsed, dict) else {}
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest.create(api, path, record_body, lowered, query))
        if route is None or method.upper() != "POST":
            return _client_error(api, 404, f"No scripted endpoint for {method} {path}.")
        if not isinstance(parsed, dict):
            return _client_error(api, 400, "The request body is not a JSON object.")
        reply = self._next_reply(parsed, api)
        return route[2](Context(body=parsed, reply=reply, new_id=self.new_id, path=path))

    def _next_reply(self, body: dict[str, Any], api: str) -> Reply:
        if self._callable is not None:
            item: Reply | str = self._callable(body, api)
        elif api in _NON_CONSUMING:
            item = Reply()
        else:
            with self._lock:
                item = self._queue.popleft() if self._queue else Reply(text=EXHAUSTED_TEXT)
        return Reply(text=item) if isinstance(item, str) else item


def _route(path: str) -> tuple[str, str, Callable[[Context], Response]] | None:
    trimmed = path.rstrip("/")
    for suffix, api, render in _ROUTES:
        if trimmed.endswith(suffix):
            return suffix, api, render
    return None


def _client_error(api: str, status: int, message: str) -> Response:
    if api.startswith("gemini"):
        return json_response(status, _gemini.error_payload(status, message), Reply())
    if api.startswith("anthropic"):
        kind = "not_found_error" if status == 404 else "invalid_request_error"
        payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        payload = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    return json_response(status, payload, Reply())


def internal_error(message: str) -> Response:
    """A 500 in OpenAI's error shape, which the Anthropic SDK also reads as an API error."""
    payload = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    return json_response(500, payload, Reply())
