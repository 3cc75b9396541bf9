"""LiteLLM's ``CustomStreamWrapper`` observed until it ends.

Its chunks are OpenAI chat-completion chunks, read by the openai accumulator. The async
wrapper's ``close()`` is synchronous and ``aclose()`` is the coroutine, which the
generic async proxy does not assume, so both are forwarded as they are.
"""

from __future__ import annotations

from typing import Any

from agentotel.telemetry.stream import AsyncStreamProxy, _finish


class AsyncChatStream(AsyncStreamProxy):
    """The stream of ``acompletion(stream=True)``."""

    def close(self) -> Any:  # type: ignore[override]
        try:
            return self.__wrapped__.close()
        finally:
            _finish(self._self_inv, self._self_acc, None, "closed")

    async def aclose(self) -> None:
        try:
            await self.__wrapped__.aclose()
        finally:
            _finish(self._self_inv, self._self_acc, None, "closed")
