"""Settings from arguments and ``OTEL_*`` / ``AGENTOTEL_*`` variables, read once."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from agentotel import semconv

_log = logging.getLogger("agentotel")

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_CONTENT_LENGTH_ENV = "AGENTOTEL_MAX_CONTENT_LENGTH"
DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
STRICT_ENV = "AGENTOTEL_STRICT"

DEFAULT_MAX_CONTENT_LENGTH = 16384

Redactor = Callable[[str, Any], Any]
"""A content hook: called as ``redact(attribute_name, value)`` before a value is recorded.

``value`` is the JSON-ready structure (a list of messages, parts or tool
definitions, or a tool argument/result). Return the value to record, or
``None`` to drop the attribute.
"""


class ContentMode(enum.Enum):
    """Where message content goes, per ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self in (ContentMode.SPAN_ONLY, ContentMode.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentMode.EVENT_ONLY, ContentMode.SPAN_AND_EVENT)

    @property
    def enabled(self) -> bool:
        return self is not ContentMode.NO_CONTENT


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def parse_content_mode(raw: str | bool | ContentMode | None) -> ContentMode:
    """Accept the boolean form of older libraries and the four modes of the newer ones."""
    if raw is None:
        return ContentMode.NO_CONTENT
    if isinstance(raw, ContentMode):
        return raw
    if isinstance(raw, bool):
        return ContentMode.SPAN_ONLY if raw else ContentMode.NO_CONTENT
    value = raw.strip()
    if value.lower() in _TRUE:
        return ContentMode.SPAN_ONLY
    if value.lower() in _FALSE:
        return ContentMode.NO_CONTENT
    try:
        return ContentMode[value.upper()]
    except KeyError:
        _log.warning("agentotel: ignoring %s=%r (not a known mode)", CAPTURE_CONTENT_ENV, raw)
        return ContentMode.NO_CONTENT


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        _log.warning("agentotel: ignoring %s=%r (not an integer)", name, raw)
        return default


def _csv(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    return frozenset(p.strip() for p in raw.split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the telemetry layer needs to know, fixed when instrumentation starts."""

    content: ContentMode = ContentMode.NO_CONTENT
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    redact: Redactor | None = None
    latest_experimental: bool = False
    metrics: bool = True
    disabled: frozenset[str] = field(default_factory=frozenset)

    @property
    def names(self) -> semconv.Names:
        return semconv.names(self.latest_experimental)

    def with_overrides(self, **overrides: Any) -> Settings:
        known = {k: v for k, v in overrides.items() if v is not None}
        if "content" in known:
            known["content"] = parse_content_mode(known["content"])
        return replace(self, **known)


def from_env(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit keyword overrides."""
    env = os.environ if env is None else env
    settings = Settings(
        content=parse_content_mode(env.get(CAPTURE_CONTENT_ENV)),
        max_content_length=_int_env(env, MAX_CONTENT_LENGTH_ENV, DEFAULT_MAX_CONTENT_LENGTH),
        latest_experimental=semconv.latest_experimental_enabled(env.get(semconv.OPT_IN_ENV, "")),
        disabled=_csv(env.get(DISABLED_ENV)),
    )
    return settings.with_overrides(**overrides)
