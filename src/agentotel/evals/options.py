"""Typed reading of option tables, so every bad value is reported with its full key."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from agentotel.evals.errors import ConfigError
from agentotel.store.settings import parse_duration


def suggest(name: str, known: list[str] | tuple[str, ...] | set[str]) -> str:
    close = get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


class Options:
    """A table of options at ``path``; each getter checks one key, ``done()`` rejects the rest."""

    def __init__(self, table: Mapping[str, Any], path: str, source: str | None = None) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(path, f"expected a table, got {_describe(table)}", source)
        self.table = dict(table)
        self.path = path
        self.source = source
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> ConfigError:
        """An error at ``name``; for a missing required key, at the unread key beside it,
        which is most likely its misspelling (``budget`` for ``budgets``)."""
        if name not in self.table and message.startswith("required"):
            unread = [k for k in self.table if k not in self._seen]
            close = [k for k in unread if suggest(k, [name])]
            if close or len(unread) == 1:
                typo = (close or unread)[0]
                hint = f"did you mean {name}?" if close else f"{name} is {message}"
                return ConfigError(self.key(typo), f"unknown option ({hint})", self.source)
        return ConfigError(self.key(name), message, self.source)

    def has(self, name: str) -> bool:
        return name in self.table

    def raw(self, name: str) -> Any:
        self._seen.add(name)
        return self.table.get(name)

    def number(
        self,
        name: str,
        default: float | None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
    ) -> Any:
        value = self.raw(name)
        if value is None:
            return default
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected {kind}, got {_describe(value)}")
        if integer and not isinstance(value, int):
            raise self.error(name, f"expected {kind}, got {_describe(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"must be at most {maximum}, got {value}")
        return int(value) if integer else float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_describe(value)}")
        return value

    def string(self, name: str, default: str | None, choices: tuple[str, ...] = ()) -> Any:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {_describe(value)}")
        if choices and value not in choices:
            raise self.error(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def strings(self, name: str, default: list[str] | None) -> Any:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, f"expected a list of strings, got {_describe(value)}")
        return list(value)

    def duration_ms(self, name: str, default: float | None) -> Any:
        """A duration: a number of milliseconds or a string like ``"500ms"``, ``"2s"``."""
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            raise self.error(name, f"expected a duration, got {_describe(value)}")
        if isinstance(value, (int, float)):
            if value < 0:
                raise self.error(name, f"must not be negative, got {value}")
            return float(value)
        if isinstance(value, str):
            try:
                return parse_duration(value, default_unit="ms") * 1000.0
            except ValueError as exc:
                raise self.error(name, str(exc)) from None
        raise self.error(name, f"expected a duration like 500ms or 2s, got {_describe(value)}")

    def done(self, extra: set[str] | None = None) -> None:
        """Reject keys nobody read: a typo must not silently leave a default in force."""
        allowed = self._seen | (extra or set())
        for name in self.table:
            if name not in allowed:
                raise self.error(name, f"unknown option{suggest(name, allowed)}")
