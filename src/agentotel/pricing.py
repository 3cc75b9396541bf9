"""A small, dated table of public list prices, for estimating what traced calls cost.

Prices are USD per million tokens as the providers list them for standard
(non-batch, shortest-context) use, checked on :data:`PRICES_AS_OF`. They go
stale: :func:`pricer` prefers the ``genai-prices`` package's maintained database
when it is installed (pydantic-ai depends on it) and uses this table as the
fallback; user prices (``[prices]`` in agentotel.toml, or your own ``prices``
callable to :mod:`agentotel.query`) override both. Treat costs as estimates.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentotel import semconv

PRICES_AS_OF = "2026-11-23"


@dataclass(frozen=True)
class Price:
    """USD per million tokens. ``cache_read``/``cache_write`` default to the input price."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


PRICES: dict[str, Price] = {
    # OpenAI: cached input is billed at cache_read; there is no separate write charge.
    "gpt-5": Price(1.25, 10.00, 0.125),
    "gpt-5-mini": Price(0.25, 2.00, 0.025),
    "gpt-5-nano": Price(0.05, 0.40, 0.005),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "o3": Price(2.00, 8.00, 0.50),
    "o4-mini": Price(1.10, 4.40, 0.275),
    "text-embedding-3-small": Price(0.02, 0.0),
    "text-embedding-3-large": Price(0.13, 0.0),
    # Anthropic: cache_write is the 5-minute cache write price.
    "claude-opus-4-5": Price(5.00, 25.00, 0.50, 6.25),
    "claude-opus-4-1": Price(15.00, 75.00, 1.50, 18.75),
    "claude-opus-4": Price(15.00, 75.00, 1.50, 18.75),
    "claude-sonnet-4-5": Price(3.00, 15.00, 0.30, 3.75),
    "claude-sonnet-4": Price(3.00, 15.00, 0.30, 3.75),
    "claude-3-7-sonnet": Price(3.00, 15.00, 0.30, 3.75),
    "claude-haiku-4-5": Price(1.00, 5.00, 0.10, 1.25),
    "claude-3-5-haiku": Price(0.80, 4.00, 0.08, 1.00),
    # Google Gemini (prompts up to 200k tokens).
    "gemini-2.5-pro": Price(1.25, 10.00, 0.125),
    "gemini-2.5-flash": Price(0.30, 2.50, 0.03),
}

_PREFIXES = sorted(PRICES, key=len, reverse=True)


def lookup(model: str | None) -> Price | None:
    """The price of ``model``: an exact name, else the longest known prefix of it.

    Dated snapshots (``gpt-4o-mini-2024-07-18``, ``claude-sonnet-4-5-20250929``)
    and provider prefixes (``openai/gpt-4o``) resolve to their family.
    """
    if not model:
        return None
    name = model.strip().lower()
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    found = PRICES.get(name)
    if found is not None:
        return found
    for prefix in _PREFIXES:
        if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in ("-", "@", ":", ""):
            return PRICES[prefix]
    return None


def recorded(attributes: Mapping[str, Any]) -> float | None:
    """The USD cost a client library computed for one call (``agentotel.usage.cost``,
    e.g. LiteLLM's ``response_cost``), or None: preferred to an estimate from this table."""
    value = attributes.get(semconv.AGENTOTEL_USAGE_COST)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def cost(
    model: str | None,
    input: int,
    output: int,
    cache_read: int = 0,
    cache_creation: int = 0,
) -> float | None:
    """Estimated USD for one call, or None for a model not in the table.

    ``input`` is the total input tokens as the GenAI conventions count them,
    with the cache-read and cache-creation tokens included in it.
    """
    price = lookup(model)
    if price is None:
        return None
    return _total(price, input, output, cache_read, cache_creation)


USER = "user"
GENAI_PRICES = "genai-prices"
BUNDLED = "bundled"
"""Where a cost's price came from (``cost_source`` in JSON): the user's own prices, the
``genai-prices`` package's database, or this module's table."""


class Pricer:
    """Prices one call: the user's prices first, then ``genai-prices`` when it is installed,
    then the bundled table. Called like :func:`cost`; :meth:`source` says which one priced
    a model.

    Override names match like bundled ones (exact, then longest prefix), so a user's
    ``"my-finetune"`` also prices ``"my-finetune-2026-01"``; an override with the name of
    a known model replaces its price.
    """

    def __init__(
        self, overrides: Mapping[str, Price] | None = None, genai_prices: bool = True
    ) -> None:
        self._table = {k.strip().lower(): v for k, v in (overrides or {}).items()}
        self._prefixes = sorted(self._table, key=len, reverse=True)
        self._genai = _genai_rates if genai_prices else None
        self._found: dict[str | None, tuple[str, Price] | None] = {}

    def _user(self, model: str) -> Price | None:
        name = model.strip().lower()
        if "/" in name:
            name = name.rsplit("/", 1)[1]
        found = self._table.get(name)
        if found is not None:
            return found
        for prefix in self._prefixes:
            if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in ("-", "@", ":"):
                return self._table[prefix]
        return None

    def find(self, model: str | None) -> tuple[str, Price] | None:
        """``(source, price)`` for ``model``, or None when no source knows it."""
        if model in self._found:
            return self._found[model]
        found: tuple[str, Price] | None = None
        if model:
            user = self._user(model)
            rates = None if user is not None or self._genai is None else self._genai(model)
            bundled = lookup(model)
            if user is not None:
                found = (USER, user)
            elif rates is not None:
                found = (GENAI_PRICES, rates)
            elif bundled is not None:
                found = (BUNDLED, bundled)
        self._found[model] = found
        return found

    def source(self, model: str | None) -> str | None:
        found = self.find(model)
        return None if found is None else found[0]

    def __call__(
        self,
        model: str | None,
        input: int,
        output: int,
        cache_read: int = 0,
        cache_creation: int = 0,
    ) -> float | None:
        found = self.find(model)
        if found is None:
            return None
        return _total(found[1], input, output, cache_read, cache_creation)


def pricer(overrides: Mapping[str, Price] | None = None, genai_prices: bool = True) -> Pricer:
    """A :class:`Pricer`: ``overrides``, then ``genai-prices`` (if installed), then the table."""
    return Pricer(overrides, genai_prices)


_GENAI_CACHE: dict[str, Price | None] = {}


def _genai_rates(model: str) -> Price | None:
    """Per-million-token rates of ``model`` from ``genai-prices``, or None (not installed,
    or a model it does not know). Rates are read once per model, at a prompt size below
    any long-context tier, so a cost is arithmetic, not a database search per call.

    Importing ``genai-prices`` takes a few hundred milliseconds, more than a whole
    ``agentotel traces``; so the rates read are kept in a small file per package version
    (``$XDG_CACHE_HOME/agentotel``), and a command only imports it for a model it has not
    priced before.
    """
    if model in _GENAI_CACHE:
        return _GENAI_CACHE[model]
    version = _genai_version()
    if version is None:
        _GENAI_CACHE[model] = None
        return None
    disk = _disk_cache(version)
    if model in disk:
        rates = disk[model]
        _GENAI_CACHE[model] = None if rates is None else Price(*rates)
        return _GENAI_CACHE[model]
    try:
        from genai_prices import Usage, calc_price

        def per_million(**tokens: int) -> float:
            return float(calc_price(Usage(**tokens), model_ref=model).total_price) * 1000

        found: Price | None = Price(
            input=per_million(input_tokens=1000),
            output=per_million(output_tokens=1000),
            cache_read=per_million(input_tokens=1000, cache_read_tokens=1000),
            cache_write=per_million(input_tokens=1000, cache_write_tokens=1000),
        )
    except Exception:  # not importable, an unknown model (LookupError), unreadable data
        found = None
    _GENAI_CACHE[model] = found
    disk[model] = (
        None if found is None else [found.input, found.output, found.cache_read, found.cache_write]
    )
    _save_disk_cache(version, disk)
    return found


_VERSION: list[str | None] = []
_DISK: dict[str, dict[str, Any]] = {}


def _genai_version() -> str | None:
    if not _VERSION:
        try:
            from importlib.metadata import PackageNotFoundError, version

            _VERSION.append(version("genai-prices"))
        except (ImportError, PackageNotFoundError):
            _VERSION.append(None)
    return _VERSION[0]


def _cache_file(version: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentotel" / f"genai-prices-{version}.json"


def _disk_cache(version: str) -> dict[str, Any]:
    if version not in _DISK:
        try:
            loaded = json.loads(_cache_file(version).read_text(encoding="utf-8"))
            _DISK[version] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            _DISK[version] = {}
    return _DISK[version]


def _save_disk_cache(version: str, rates: dict[str, Any]) -> None:
    """Write the cache atomically; a read-only or missing home just means no cache."""
    path = _cache_file(version)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rates), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def _total(price: Price, input: int, output: int, cache_read: int, cache_creation: int) -> float:
    cache_read = max(0, cache_read)
    cache_creation = max(0, cache_creation)
    uncached = max(0, input - cache_read - cache_creation)
    read_price = price.input if price.cache_read is None else price.cache_read
    write_price = price.input if price.cache_write is None else price.cache_write
    total = (
        uncached * price.input
        + cache_read * read_price
        + cache_creation * write_price
        + max(0, output) * price.output
    )
    return total / 1_000_000
