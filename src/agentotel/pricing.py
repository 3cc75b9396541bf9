"""A small, dated table of public list prices, for estimating what traced calls cost.

Prices are USD per million tokens as the providers list them for standard
(non-batch, shortest-context) use, checked on :data:`PRICES_AS_OF`. They go
stale: treat costs as estimates, and pass your own ``prices`` callable to
:mod:`agentotel.query` when you have negotiated rates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def pricer(
    overrides: Mapping[str, Price] | None = None,
) -> Callable[[str | None, int, int, int, int], float | None]:
    """A :func:`cost`-like function that looks in ``overrides`` before the bundled table.

    Override names match like bundled ones (exact, then longest prefix), so a user's
    ``"my-finetune"`` also prices ``"my-finetune-2026-01"``; an override with the name of
    a bundled model replaces its price.
    """
    table = {k.strip().lower(): v for k, v in (overrides or {}).items()}
    prefixes = sorted(table, key=len, reverse=True)

    def find(model: str | None) -> Price | None:
        if not model:
            return None
        name = model.strip().lower()
        if "/" in name:
            name = name.rsplit("/", 1)[1]
        found = table.get(name)
        if found is not None:
            return found
        for prefix in prefixes:
            if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in ("-", "@", ":"):
                return table[prefix]
        return lookup(model)

    def priced(
        model: str | None, input: int, output: int, cache_read: int = 0, cache_creation: int = 0
    ) -> float | None:
        price = find(model)
        if price is None:
            return None
        return _total(price, input, output, cache_read, cache_creation)

    return priced


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
