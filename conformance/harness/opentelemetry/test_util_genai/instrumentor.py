"""``instrument(...)``: a context manager that instruments under a content mode, then undoes it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

_MISSING: Any = object()


@contextmanager
def instrument(
    instrumentor: Any,
    *,
    tracer_provider: Any,
    logger_provider: Any,
    meter_provider: Any,
    content_capture: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    completion_hook: Any = _MISSING,
    **extra: Any,
) -> Iterator[Any]:
    """Set the content-capture variable (and ``extra_env``), instrument, yield, restore.

    Keyword arguments the helper does not know (``emit_event``...) and
    ``completion_hook`` when given are passed on to ``instrument()``; an
    instrumentor that has no use for them ignores them.
    """
    env: dict[str, str] = dict(extra_env or {})
    if content_capture is not None:
        env[CONTENT_ENV] = content_capture
    saved = {name: os.environ.get(name) for name in env}
    kwargs: dict[str, Any] = dict(extra)
    if completion_hook is not _MISSING:
        kwargs["completion_hook"] = completion_hook
    os.environ.update(env)
    try:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            meter_provider=meter_provider,
            **kwargs,
        )
        try:
            yield instrumentor
        finally:
            instrumentor.uninstrument()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
