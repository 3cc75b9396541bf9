"""Wrappers around the pydantic-ai models that call SDKs agentotel also instruments.

While agentotel's ``chat`` span for a request is open, these mark the model's own SDK
calls (see :mod:`.scope`) for exactly as long as the model sends them: the whole of
``request``, and entering and leaving ``request_stream``, but not the time in between,
when the stream belongs to the user's loop. Imports no pydantic-ai module: each is
patched when the application imports it, since importing it loads a provider SDK.
"""

from __future__ import annotations

from typing import Any

import wrapt

from agentotel.instrumentation.pydantic_ai import scope

# Module -> the model classes in it whose requests go through an instrumented SDK.
# Subclasses (OpenRouter, Ollama, Cerebras ...) inherit the wrapped methods.
MODEL_CLASSES: dict[str, tuple[str, ...]] = {
    "pydantic_ai.models.openai": ("OpenAIChatModel", "OpenAIResponsesModel"),
    "pydantic_ai.models.anthropic": ("AnthropicModel",),
    "pydantic_ai.models.google": ("GoogleModel",),
}


async def request_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Model.request``: the SDK calls made while it runs are the request's own."""
    if not scope.in_request():
        return await wrapped(*args, **kwargs)
    token = scope.claim_sdk_call()
    try:
        return await wrapped(*args, **kwargs)
    finally:
        scope.release_sdk_call(token)


def request_stream_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Model.request_stream``: its context manager, claiming SDK calls on enter and exit only."""
    manager = wrapped(*args, **kwargs)
    if not (hasattr(manager, "__aenter__") and hasattr(manager, "__aexit__")):
        return manager
    return _ClaimingStream(manager)


class _ClaimingStream(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """The model's stream context manager; SDK calls made entering or leaving it are claimed,
    none made by the code that iterates the stream in between."""

    def __init__(self, manager: Any) -> None:
        super().__init__(manager)
        self._self_claim = False

    async def __aenter__(self) -> Any:
        # Decided once, on enter: the request marker is still current then.
        self._self_claim = scope.in_request()
        if not self._self_claim:
            return await self.__wrapped__.__aenter__()
        token = scope.claim_sdk_call()
        try:
            return await self.__wrapped__.__aenter__()
        finally:
            scope.release_sdk_call(token)

    async def __aexit__(self, *exc_info: Any) -> Any:
        if not self._self_claim:
            return await self.__wrapped__.__aexit__(*exc_info)
        token = scope.claim_sdk_call()
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            scope.release_sdk_call(token)


def patches(module_name: str) -> list[tuple[str, str, Any]]:
    """(module, "Class.method", wrapper) for the model classes of ``module_name``."""
    out: list[tuple[str, str, Any]] = []
    for cls in MODEL_CLASSES.get(module_name, ()):
        out.append((module_name, f"{cls}.request", request_wrapper))
        out.append((module_name, f"{cls}.request_stream", request_stream_wrapper))
    return out
