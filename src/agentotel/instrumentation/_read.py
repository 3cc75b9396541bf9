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


# Whether a type is a Mapping, decided once per type: ABC checks are slow.
mapping_types: dict[type, bool] = {}


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


class Lenient:
    """Attribute reading that never fails: a missing attribute (or mapping key) reads as None.

    Extractors read responses with plain attribute access (``response.usage.prompt_tokens``),
    which is the fast path for the SDKs' models; when a payload is not what they
    expect (a dict, an older model without a field, something malformed), they read
    it again through ``Lenient(payload)``, where the same code degrades to ``None``s.
    """

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        obj = self._obj
        if _is_mapping(type(obj), obj):
            return lenient(obj.get(name))
        return lenient(getattr(obj, name, None))

    def __iter__(self) -> Any:
        obj = self._obj
        if isinstance(obj, (list, tuple)):
            # Items are read as objects: a None (or a number) in a list reads as empty.
            return iter([Lenient(item) if item is None else lenient(item) for item in obj])
        return iter(())

    def __bool__(self) -> bool:
        return bool(self._obj)


_PLAIN = (str, int, float, bool, bytes, type(None))


def read_into(reader: Any, inv: Any, payload: Any) -> None:
    """Run ``reader(inv, payload)``; if the payload is not shaped as expected, read it again
    through :class:`Lenient`, and if even that fails, keep what was read."""
    try:
        reader(inv, payload)
    except (AttributeError, TypeError):
        if isinstance(payload, Lenient):
            return
        try:
            reader(inv, Lenient(payload))
        except (AttributeError, TypeError):  # not shaped like the expected payload at all
            pass


def lenient(value: Any) -> Any:
    """``value`` itself when it is a plain value, else a :class:`Lenient` view of it."""
    return value if isinstance(value, _PLAIN) else Lenient(value)


def _is_mapping(kind: type, obj: Any) -> bool:
    is_mapping = mapping_types.get(kind)
    if is_mapping is None:
        if len(mapping_types) >= 1024:
            mapping_types.clear()
        is_mapping = mapping_types[kind] = isinstance(obj, Mapping)
    return is_mapping


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
