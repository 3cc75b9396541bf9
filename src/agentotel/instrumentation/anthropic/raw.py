"""Raw responses whose body is still unread (``with_streaming_response``, streamed
``with_raw_response``): the span ends when the body is read, parsed or closed.

The application keeps the SDK's own response object. agentotel watches it from below
and beside: the HTTP body stream is wrapped (:class:`~agentotel.telemetry.stream.BodyObserver`) to
see the bytes go by and the body close, the SDK's ``_parse`` to hand back a parsed event
stream through the usual stream proxy, and the SDK's response and stream context
managers to see an exception the caller's own code raised in the ``with`` block, which
fails the span (``error.type``) before the SDK closes the response. The caller's
exception always wins; nothing here calls ``parse()`` or reads the body itself.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from agentotel import _safety, semconv
from agentotel.instrumentation.anthropic import extract
from agentotel.instrumentation.anthropic.stream import MessageAccumulator
from agentotel.telemetry import InferenceInvocation
from agentotel.telemetry.stream import AsyncStreamProxy, BodyObserver, StreamProxy, end_stream
from agentotel.telemetry.wrap import abandon

# Bodies larger than this are not kept for telemetry (a Message is a few kilobytes).
_MAX_BODY = 4 * 1024 * 1024


class _Watch:
    """One unread raw response: its invocation, and the parsed stream it was handed to."""

    __slots__ = ("chunks", "encoding", "inv", "operation", "size", "stream")

    def __init__(self, inv: InferenceInvocation, operation: str, http: Any) -> None:
        self.inv = inv
        self.operation = operation
        self.stream: Any = None
        headers = http.headers
        json_body = str(headers.get("content-type", "")).startswith("application/json")
        self.encoding = str(headers.get("content-encoding", "")).strip().lower()
        self.chunks: list[bytes] | None = [] if json_body else None
        self.size = 0

    def seen(self, part: Any) -> None:
        chunks = self.chunks
        if chunks is None or not isinstance(part, bytes):
            return
        self.size += len(part)
        if self.size > _MAX_BODY:
            self.chunks = None
        else:
            chunks.append(part)

    def _message(self) -> Any:
        """The body's decoded JSON, or ``None`` (not JSON, unread, or an unknown encoding)."""
        if not self.chunks:
            return None
        data = b"".join(self.chunks)
        self.chunks = None
        if self.encoding == "gzip":
            data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            try:
                data = zlib.decompress(data)
            except zlib.error:
                data = zlib.decompress(data, -zlib.MAX_WBITS)
        elif self.encoding not in ("", "identity"):
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def closed(self) -> None:
        """The body closed (read to the end, or closed unread): end the span, unless a
        parsed stream was handed out, which ends it on its own terms."""
        inv = self.inv
        if inv.ended or self.stream is not None:
            return
        try:
            message = self._message()
            if isinstance(message, dict):
                if self.operation == semconv.OP_CHAT:
                    extract.message_response(inv, message)
                else:
                    extract.count_tokens_response(inv, message)
            inv.stop()
        except Exception as exc:
            abandon(inv)
            _safety.report("anthropic.raw_response", exc)

    def exited(self, exc: Any) -> None:
        """The SDK's ``with`` block around the response ends, before it closes the body."""
        inv = self.inv
        if inv.ended:
            return
        failed = isinstance(exc, Exception)
        if self.stream is not None:
            end_stream(self.stream, exc if failed else None, "error" if failed else "closed")
        elif failed:
            try:
                inv.fail(exc)
            except Exception as fault:
                abandon(inv, exc)
                _safety.report("anthropic.raw_response", fault)

    def parsed(self, result: Any, to: Any) -> Any:
        """``parse()`` gave ``result``: an event stream parsed the default way is observed."""
        if to is not None or self.inv.ended or self.stream is not None:
            return result
        if hasattr(result, "__anext__"):
            self.stream = AsyncStreamProxy(
                result, self.inv, MessageAccumulator(self.inv.capture_content)
            )
        elif hasattr(result, "__next__"):
            self.stream = StreamProxy(
                result, self.inv, MessageAccumulator(self.inv.capture_content)
            )
        else:
            return result
        return self.stream

    def abandoned(self) -> None:
        if not self.inv.ended and self.stream is None:
            self.inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, "abandoned")
            self.closed()


def unread(result: Any) -> Any:
    """The HTTP response of a raw response whose body is still open, else ``None``."""
    http = getattr(result, "http_response", None)
    if http is None or not callable(getattr(result, "parse", None)):
        return None
    if getattr(http, "is_closed", True) is not False or not hasattr(http, "stream"):
        return None
    return http


def watch(http: Any, inv: InferenceInvocation, operation: str) -> None:
    """Observe ``http``'s body so ``inv`` ends when it is read, parsed or closed."""
    http.stream = BodyObserver(http.stream, _Watch(inv, operation, http))


def _watch_of(response: Any) -> _Watch | None:
    body = getattr(getattr(response, "http_response", None), "stream", None)
    found = getattr(body, "_self_watch", None) if isinstance(body, BodyObserver) else None
    return found if isinstance(found, _Watch) else None


def _managed(manager: Any, suffix: str) -> Any:
    """The object an SDK context manager keeps under a name-mangled ``__<suffix>``."""
    for name, value in vars(manager).items():
        if name.endswith(f"__{suffix}"):
            return value
    return None


def _exiting(manager: Any, exc: Any) -> None:
    """An SDK context manager is exiting: tell the response or stream it manages."""
    try:
        response = _managed(manager, "response")
        if response is not None:
            state = _watch_of(response)
            if state is not None:
                state.exited(exc)
            return
        raw = getattr(_managed(manager, "stream"), "_raw_stream", None)
        if isinstance(raw, (StreamProxy, AsyncStreamProxy)) and isinstance(exc, Exception):
            end_stream(raw, exc, "error")
    except Exception as fault:
        _safety.report("anthropic.exit", fault)


def parse_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Wrap ``BaseAPIResponse._parse``: a watched response's event stream gets observed."""
    result = wrapped(*args, **kwargs)
    try:
        state = _watch_of(instance)
        if state is not None:
            return state.parsed(result, kwargs.get("to"))
    except Exception as fault:
        _safety.report("anthropic.parse", fault)
    return result


def exit_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Wrap a response/stream manager's ``__exit__``: record the caller's error first."""
    _exiting(instance, args[1] if len(args) > 1 else kwargs.get("exc"))
    return wrapped(*args, **kwargs)


async def aexit_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """:func:`exit_wrapper` for ``__aexit__``."""
    _exiting(instance, args[1] if len(args) > 1 else kwargs.get("exc"))
    return await wrapped(*args, **kwargs)
