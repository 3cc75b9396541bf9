"""Credentials scrubbed from error text before it goes into a span.

Error messages often repeat what the request carried: a 401 that quotes the API key, a
connection error that prints a URL with a password, a header dump. Whatever looks like a
credential in the formats of the supported providers (OpenAI, Anthropic, Google, AWS),
a bearer token, an ``Authorization``/API-key header or a basic-auth URL is replaced by
``[REDACTED]`` in status descriptions, exception events and error attributes.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from opentelemetry.trace import Status

from agentotel import semconv

MARK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Header-like "name: value" pairs first, so the whole value goes, whatever its format.
    (
        re.compile(
            r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
            r"(?:(?:bearer|basic|token|digest)\s+)?[^\s\"',;}]+"
        ),
        rf"\1{MARK}",
    ),
    (
        re.compile(
            r"(?i)(\b(?:x-api-key|x-goog-api-key|api[-_]?key|access[-_]?token|secret[-_]?key)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}&]+"
        ),
        rf"\1{MARK}",
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MARK}"),
    # OpenAI (sk-..., sk-proj-...) and Anthropic (sk-ant-...) keys.
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), MARK),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"), MARK),
    # AWS access key ids (long-term and temporary).
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MARK),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{MARK}@"),
)

# Cheap pre-check: text with none of these cannot match any pattern.
_HINTS = re.compile(r"(?i)sk-|AIza|AKIA|ASIA|bearer|authorization|key|token|://")


def scrub(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[REDACTED]``."""
    if not text or _HINTS.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def exception_attributes(exc: BaseException) -> dict[str, str]:
    """The exception event's message and stack trace, scrubbed (they override the SDK's)."""
    stacktrace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        semconv.EXCEPTION_MESSAGE: scrub(str(exc)),
        semconv.EXCEPTION_STACKTRACE: scrub(stacktrace),
    }


def scrubbed_status(status: Any, description: str | None) -> tuple[Any, str | None]:
    """``Span.set_status`` arguments with the description scrubbed (for spans a library writes)."""
    if isinstance(status, Status):
        if status.description:
            status = Status(status.status_code, scrub(status.description))
        return status, description
    return status, scrub(description) if description else description


def scrubbed_exception_args(
    exc: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """``Span.record_exception`` positional arguments after the exception, scrubbed."""
    attributes = args[0] if args else kwargs.pop("attributes", None)
    merged = exception_attributes(exc)
    if attributes:
        merged.update({k: scrub(v) if isinstance(v, str) else v for k, v in attributes.items()})
    rest = args[1:] if args else ()
    timestamp = kwargs.pop("timestamp", None)
    escaped = kwargs.pop("escaped", False)
    if rest:
        return (merged, *rest)
    return (merged, timestamp, escaped)
