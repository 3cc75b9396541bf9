"""httpx2 glue for the in-process transport; imported only when mock_transport() is called."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator

import httpx2

from ._model import ScriptedModel
from ._types import Response

Handler = (
    Callable[[httpx2.Request], httpx2.Response]
    | Callable[[httpx2.Request], Coroutine[None, None, httpx2.Response]]
)


class _EventStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A streamed body that sync and async clients can both read, paced by chunk_delay."""

    def __init__(self, response: Response) -> None:
        assert response.stream is not None
        self._chunks = response.stream
        self._pause = response.chunk_delay

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self._chunks):
            if index and self._pause > 0:
                time.sleep(self._pause)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index, chunk in enumerate(self._chunks):
            if index and self._pause > 0:
                await asyncio.sleep(self._pause)
            yield chunk


class ScriptedTransport(httpx2.MockTransport):
    """An ``httpx2.MockTransport`` answered by a :class:`ScriptedModel` (see ``.model``)."""

    def __init__(self, model: ScriptedModel, handler: Handler) -> None:
        super().__init__(handler)
        self.model = model


def _to_httpx(request: httpx2.Request, response: Response) -> httpx2.Response:
    if response.stream is None:
        return httpx2.Response(
            response.status, headers=response.headers, content=response.body, request=request
        )
    return httpx2.Response(
        response.status,
        headers={**response.headers, "transfer-encoding": "chunked"},
        stream=_EventStream(response),
        request=request,
    )


def _answer(model: ScriptedModel, request: httpx2.Request) -> Response:
    path = request.url.raw_path.decode("ascii", "replace")
    return model.handle(request.method, path, dict(request.headers), request.content)


def build(model: ScriptedModel, *, async_: bool) -> ScriptedTransport:
    def handle(request: httpx2.Request) -> httpx2.Response:
        response = _answer(model, request)
        if response.delay > 0:
            time.sleep(response.delay)
        return _to_httpx(request, response)

    async def handle_async(request: httpx2.Request) -> httpx2.Response:
        response = _answer(model, request)
        if response.delay > 0:
            await asyncio.sleep(response.delay)
        return _to_httpx(request, response)

    return ScriptedTransport(model, handle_async if async_ else handle)
