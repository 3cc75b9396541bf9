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


# Whether a (non-dict) type is a Mapping, decided once per type: ABC checks are slow.
_mapping_types: dict[type, bool] = {}


def field(obj: Any, name: str) -> Any:
    """Read ``name`` from a pydantic model, a dict, or anything else; ``None`` if absent."""
    if obj is None:
        return None
    kind = type(obj)
    if kind is dict:
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None and _is_mapping(kind, obj):
        return obj.get(name)
    return value


class _View:
    """Attribute access to a mapping's items, so one reader serves models and dicts alike."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = items

    def __getattr__(self, name: str) -> Any:
        return readable(self._items.get(name))

    def __iter__(self) -> Any:  # a mapping iterates as its keys, like the original
        return iter(self._items)


def _is_mapping(kind: type, obj: Any) -> bool:
    is_mapping = _mapping_types.get(kind)
    if is_mapping is None:
        if len(_mapping_types) >= 1024:
            _mapping_types.clear()
        is_mapping = _mapping_types[kind] = isinstance(obj, Mapping)
    return is_mapping


def readable(value: Any) -> Any:
    """``value`` ready to be read with ``getattr(value, name, None)`` at any depth.

    Models and other objects are returned as they are (the common case costs one
    type check); a mapping becomes a view whose items read as attributes, and a
    list holding mappings a list of such views.
    """
    kind = type(value)
    if kind is list:
        if value and type(value[0]) is dict:
            return [readable(item) for item in value]
        return value
    if kind is dict or (
        value is not None and kind is not str and kind is not tuple and _is_mapping(kind, value)
    ):
        return _View(value)
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
