"""Proxies that observe a streamed response and end its invocation exactly once.

The proxy forwards everything to the library's stream object. It ends the
invocation when the stream is exhausted, raises, is closed, leaves its
``with`` block, or is garbage-collected unconsumed, whichever comes first.
An exception the caller's own code raises inside the ``with`` block fails the
span and, should closing the stream fail too, is the one the caller sees. It
never holds the span as the current context across iterations, so there is no
context to detach in a different task or thread.
"""

from __future__ import annotations

from typing import Any, Protocol

import wrapt

from agentotel import _safety, semconv
from agentotel.telemetry.invocation import InferenceInvocation
from agentotel.telemetry.wrap import abandon


class Accumulator(Protocol):
    """Library-specific: sees each chunk, then fills the invocation at the end."""

    def feed(self, chunk: Any) -> None: ...

    def finish(self, inv: InferenceInvocation) -> None: ...


def _finish(
    inv: InferenceInvocation, acc: Accumulator, error: BaseException | None, how: str
) -> None:
    if inv.ended:
        return
    try:
        acc.finish(inv)
        if how != "exhausted":
            inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, how)
        if error is None:
            inv.stop()
        else:
            inv.fail(error)
    except Exception as exc:
        # The span still ends (strict mode re-raises after that).
        abandon(inv, error)
        _safety.report("stream.finish", exc)


def _caller_error(exc: Any) -> bool:
    """An error raised by the caller's code in the ``with`` block (not a cancellation)."""
    return isinstance(exc, Exception)


def _exit(inv: InferenceInvocation, acc: Accumulator, exc: Any) -> None:
    """End on leaving the ``with`` block: an error the caller's code raised there ended the
    operation, so the span records it (``error.type``), as the official instrumentations do.
    An error from the stream itself already ended the span in ``__next__``."""
    if _caller_error(exc):
        _finish(inv, acc, exc, "error")
    else:
        _finish(inv, acc, None, "closed")


def _feed(inv: InferenceInvocation, acc: Accumulator, chunk: Any) -> None:
    try:
        inv.chunk()
        acc.feed(chunk)
    except Exception as exc:
        _safety.report("stream.chunk", exc)


def _stopped(proxy: Any, exc: BaseException) -> None:
    """The stream raised: exhausted (``StopIteration``/``StopAsyncIteration``) or failed."""
    if isinstance(exc, (StopIteration, StopAsyncIteration)):
        _finish(proxy._self_inv, proxy._self_acc, None, "exhausted")
    else:
        _finish(proxy._self_inv, proxy._self_acc, exc, "error")


def _abandoned(proxy: Any) -> None:
    inv = getattr(proxy, "_self_inv", None)
    if inv is not None and not inv.ended:
        _finish(inv, proxy._self_acc, None, "abandoned")


def end_stream(proxy: Any, error: BaseException | None, how: str) -> None:
    """End a proxied stream's invocation from outside the proxy, if it has not ended.

    For a library whose own stream manager sees the caller's error, or closes the
    response, without going through the proxy (``how``: ``"error"``, ``"closed"``).
    """
    inv = getattr(proxy, "_self_inv", None)
    if isinstance(inv, InferenceInvocation) and not inv.ended:
        _finish(inv, proxy._self_acc, error, how)


def exit_manager(manager: Any, exc: Any) -> None:
    """A library's stream manager (``with client.….stream(...) as s``) is exiting.

    Some managers close the HTTP response directly rather than the stream agentotel
    proxied, so the proxied stream (the managed stream's ``_raw_stream``) ends here: with
    the caller's exception (``error.type``) if one is leaving the block, else as closed.
    Never raises.
    """
    try:
        managed = None
        for name, value in vars(manager).items():
            if name.endswith("__stream"):
                managed = value
        raw = getattr(managed, "_raw_stream", None)
        if isinstance(raw, (StreamProxy, AsyncStreamProxy)):
            failed = _caller_error(exc)
            end_stream(raw, exc if failed else None, "error" if failed else "closed")
    except Exception as fault:
        _safety.report("stream.exit_manager", fault)


class StreamProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """Wraps a synchronous stream (an iterator with ``close`` and context-manager support)."""

    def __init__(self, wrapped: Any, inv: InferenceInvocation, acc: Accumulator) -> None:
        super().__init__(wrapped)
        self._self_inv = inv
        self._self_acc = acc

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except BaseException as exc:
            _stopped(self, exc)
            raise
        _feed(self._self_inv, self._self_acc, chunk)
        return chunk

    def __enter__(self) -> StreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            result = self.__wrapped__.__exit__(exc_type, exc, tb)
        except BaseException as close_error:
            if not _caller_error(exc):
                _finish(self._self_inv, self._self_acc, close_error, "error")
                raise
            _finish(self._self_inv, self._self_acc, exc, "error")
            return False  # the caller's own exception wins over a failure to close
        _exit(self._self_inv, self._self_acc, exc)
        return result

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        except BaseException as exc:
            _finish(self._self_inv, self._self_acc, exc, "error")
            raise
        _finish(self._self_inv, self._self_acc, None, "closed")

    def __del__(self) -> None:
        _abandoned(self)


class AsyncStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """Wraps an asynchronous stream (an async iterator with ``close``/async context support)."""

    def __init__(self, wrapped: Any, inv: InferenceInvocation, acc: Accumulator) -> None:
        super().__init__(wrapped)
        self._self_inv = inv
        self._self_acc = acc

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except BaseException as exc:
            _stopped(self, exc)
            raise
        _feed(self._self_inv, self._self_acc, chunk)
        return chunk

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            result = await self.__wrapped__.__aexit__(exc_type, exc, tb)
        except BaseException as close_error:
            if not _caller_error(exc):
                _finish(self._self_inv, self._self_acc, close_error, "error")
                raise
            _finish(self._self_inv, self._self_acc, exc, "error")
            return False  # the caller's own exception wins over a failure to close
        _exit(self._self_inv, self._self_acc, exc)
        return result

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        except BaseException as exc:
            _finish(self._self_inv, self._self_acc, exc, "error")
            raise
        _finish(self._self_inv, self._self_acc, None, "closed")

    async def aclose(self) -> None:
        await self.close()

    def __del__(self) -> None:
        _abandoned(self)


class BodyObserver(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """An HTTP response's byte stream, observed (``isinstance`` checks still hold).

    ``watch`` sees each part (``seen``), the body closing (``closed``: read to the end
    or closed unread) and the stream dropped unclosed (``abandoned``). For raw responses
    the application reads itself, so the span ends with the body, however it is read."""

    def __init__(self, wrapped: Any, watch: Any) -> None:
        super().__init__(wrapped)
        self._self_watch = watch

    def __iter__(self) -> Any:
        watch = self._self_watch
        for part in self.__wrapped__:
            watch.seen(part)
            yield part

    async def __aiter__(self) -> Any:
        watch = self._self_watch
        async for part in self.__wrapped__:
            watch.seen(part)
            yield part

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_watch.closed()

    async def aclose(self) -> None:
        try:
            await self.__wrapped__.aclose()
        finally:
            self._self_watch.closed()

    def __del__(self) -> None:
        watch = getattr(self, "_self_watch", None)
        if watch is not None:
            watch.abandoned()
