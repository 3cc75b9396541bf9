"""The bundled price table."""

from __future__ import annotations

import pytest

from agentotel import pricing


def test_lookup_resolves_snapshots_and_prefixes() -> None:
    assert pricing.lookup("gpt-4o-mini-2024-07-18") is pricing.PRICES["gpt-4o-mini"]
    assert pricing.lookup("gpt-4o-2024-08-06") is pricing.PRICES["gpt-4o"]
    assert pricing.lookup("claude-sonnet-4-5-20250929") is pricing.PRICES["claude-sonnet-4-5"]
    assert pricing.lookup("openai/gpt-4.1") is pricing.PRICES["gpt-4.1"]
    assert pricing.lookup("GPT-4.1-MINI") is pricing.PRICES["gpt-4.1-mini"]
    assert pricing.lookup("gpt-4oish") is None
    assert pricing.lookup("my-local-model") is None
    assert pricing.lookup(None) is None


def test_cost_counts_cache_tokens_inside_the_input_total() -> None:
    # gpt-4o: 2.50 in, 10.00 out, 1.25 cached, per million.
    assert pricing.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.50)
    assert pricing.cost("gpt-4o", 0, 1_000_000) == pytest.approx(10.00)
    assert pricing.cost("gpt-4o", 1_000_000, 0, cache_read=1_000_000) == pytest.approx(1.25)
    # claude-sonnet-4-5: 3 in, 15 out, 0.30 cache read, 3.75 cache write.
    value = pricing.cost("claude-sonnet-4-5", 1000, 100, cache_read=200, cache_creation=300)
    assert value == pytest.approx((500 * 3 + 200 * 0.30 + 300 * 3.75 + 100 * 15) / 1e6)
    assert pricing.cost("unknown", 10, 10) is None


def test_table_is_dated() -> None:
    assert pricing.PRICES_AS_OF.count("-") == 2
    assert len(pricing.PRICES) >= 12
