"""Duck-typed reading of library payloads, shared by the instrumentors.

Responses are read with these instead of attribute access so that older and
newer SDK releases, compatible servers and malformed payloads give fewer
attributes instead of errors. They run on every call: keep them cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def given(value: Any) -> bool:
    """False for ``None`` and the Stainless SDKs' ``omit`` / ``NOT_GIVEN`` sentinels."""
    return value is not None and type(value).__name__ not in ("Omit", "NotGiven")


def field(obj: Any, name: str) -> Any:
    """Read ``name`` from a pydantic model, a dict, or anything else; ``None`` if absent."""
    if obj is None:
        return None
    if type(obj) is dict:
        return obj.get(name)
    value = getattr(obj, name, None)
    # ABC checks are slow; only non-dict mappings reach this one.
    if value is None and isinstance(obj, Mapping):
        return obj.get(name)
    return value


def reusable(value: Any) -> bool:
    """True for a list, tuple or other re-iterable sequence (not a string).

    Content is read only from these: iterating a generator or other one-shot
    iterable the caller passed would consume it before the library sends it.
    """
    if type(value) is list or type(value) is tuple:
        return True
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def int_or_none(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def str_or_none(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None
