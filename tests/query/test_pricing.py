"""Prices: the bundled table, genai-prices, user overrides, and where each cost came from."""

from __future__ import annotations

from pathlib import Path

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


def test_pricer_prefers_user_then_genai_prices_then_the_table() -> None:
    pytest.importorskip("genai_prices")
    priced = pricing.pricer({"my-finetune": pricing.Price(1.0, 2.0), "gpt-4o": pricing.Price(9, 9)})
    assert priced.source("my-finetune-2026") == pricing.USER
    assert priced("my-finetune", 1_000_000, 0) == pytest.approx(1.0)
    assert priced.source("gpt-4o") == pricing.USER
    assert priced.source("claude-sonnet-4-5-20250929") == pricing.GENAI_PRICES
    # genai-prices and the table agree on a stable price.
    assert priced("gpt-4.1-mini", 1000, 100, 200) == pytest.approx(
        pricing.cost("gpt-4.1-mini", 1000, 100, 200)
    )
    assert priced.source("no-such-model") is None and priced("no-such-model", 1, 1) is None
    table_only = pricing.pricer(genai_prices=False)
    assert table_only.source("gpt-4o-mini") == pricing.BUNDLED


def test_every_cost_states_its_source(tmp_path: Path) -> None:
    from agentotel import query
    from tests.store.fixtures import build_store

    build_store(tmp_path / "t.db")
    with query.open(tmp_path / "t.db") as q:
        rows = [t.to_dict() for t in q.traces()]
        rows += [g.to_dict() for g in q.stats(by="model")]
        rows += [s.to_dict() for s in q.spans(operation="chat")]
    priced = [r for r in rows if r["cost_usd"] is not None]
    assert priced and all(r["cost_source"] for r in priced)
    assert all(r["cost_source"] is None for r in rows if r["cost_usd"] is None)


def test_genai_prices_rates_are_cached_on_disk(tmp_path: Path) -> None:
    """A second process prices a known model without importing genai-prices (slow to load)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("genai_prices")
    code = (
        "import sys; from agentotel import pricing; p = pricing.pricer(); "
        "print(p.source('gpt-4o-mini'), p('gpt-4o-mini', 1000, 100), "
        "'genai_prices' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.stdout.split() == ["genai-prices", "0.00021", "True"], first.stderr
    assert second.stdout.split() == ["genai-prices", "0.00021", "False"], second.stderr
    assert list((tmp_path / "agentotel").glob("genai-prices-*.json"))
