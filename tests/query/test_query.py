"""The Python query API over a small store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentotel import query
from agentotel.store import StoreMissing
from agentotel.store import sqlite as sqlite_mod
from tests.store.fixtures import build_store


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Any]:
    info = build_store(tmp_path / "t.db")
    info["path"] = tmp_path / "t.db"
    return info


@pytest.fixture
def q(store: dict[str, Any]) -> Iterator[query.Query]:
    with query.open(store["path"]) as opened:
        yield opened


def test_traces_newest_first_with_totals(q: query.Query, store: dict[str, Any]) -> None:
    found = q.traces()
    assert [t.trace_id for t in found] == store["ids"][::-1]
    newest = found[0]
    assert newest.root_name == "invoke_agent weather"
    assert (newest.span_count, newest.llm_calls, newest.tool_calls, newest.error_count) == (
        8,
        4,
        3,
        3,
    )
    assert (newest.input_tokens, newest.output_tokens) == (500, 60)
    assert newest.cost_usd is not None and newest.cost_usd > 0
    d = newest.to_dict()
    assert d["trace_id"] == store["ids"][-1]
    assert d["start"].endswith("Z") and "T" in d["start"]
    assert d["duration_ms"] == pytest.approx(1 + 3 * 122 + 101, abs=0.01)
    assert d["run_id"] == "run-b" and d["vcs_revision"].startswith("c0ffee")


def test_trace_filters(q: query.Query, store: dict[str, Any]) -> None:
    ids = store["ids"]
    assert [t.trace_id for t in q.traces(since="25m")] == [ids[4], ids[3]]
    assert [t.trace_id for t in q.traces(until="35m")] == [ids[1], ids[0]]
    assert [t.trace_id for t in q.traces(run="run-a")] == [ids[2], ids[1], ids[0]]
    assert [t.trace_id for t in q.traces(run="last")] == [ids[4], ids[3]]
    assert [t.trace_id for t in q.traces(service="other")] == [ids[1]]
    assert [t.trace_id for t in q.traces(status="error")] == [ids[4]]
    assert len(q.traces(status="ok")) == 4
    assert len(q.traces(limit=2)) == 2
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=25)
    assert len(q.traces(since=since)) == 2
    assert len(q.traces(since=since.isoformat().replace("+00:00", "Z"))) == 2
    with pytest.raises(ValueError):
        q.traces(status="weird")
    with pytest.raises(ValueError):
        q.traces(since="yesterday-ish")


def test_trace_by_id_prefix_or_last(q: query.Query, store: dict[str, Any]) -> None:
    full = store["ids"][2]
    assert q.trace(full).summary.trace_id == full
    assert q.trace(full[:4]).summary.trace_id == full
    assert q.trace(full.upper()).summary.trace_id == full
    assert q.trace("last").summary.trace_id == store["ids"][-1]
    with pytest.raises(query.AmbiguousTraceId):
        q.trace("000")
    with pytest.raises(query.TraceNotFound):
        q.trace("ffff")
    with pytest.raises(query.TraceNotFound):
        q.trace("not-hex")


def test_trace_spans_in_tree_order(q: query.Query) -> None:
    trace = q.trace("last")
    assert [(s.depth, s.name) for s in trace.spans] == [
        (0, "invoke_agent weather"),
        (1, "chat gpt-4o-mini"),
        (1, "execute_tool get_weather"),
        (1, "chat gpt-4o-mini"),
        (1, "execute_tool get_weather"),
        (1, "chat gpt-4o-mini"),
        (1, "execute_tool get_weather"),
        (1, "chat gpt-4o-mini"),
    ]
    chat = trace.spans[1]
    assert chat.cost_usd is not None and chat.cost_usd > 0
    data = trace.to_dict()
    assert data["trace"]["trace_id"] == trace.summary.trace_id
    assert data["resource"]["agentotel.run.id"] == "run-b"
    tool = data["spans"][2]
    assert tool["status"] == "error" and tool["error_type"] == "ValueError"
    assert tool["events"][0]["name"] == "exception"
    assert tool["attributes"]["gen_ai.tool.call.arguments"] == '{"city": "Paris"}'


def test_span_filters(q: query.Query, store: dict[str, Any]) -> None:
    assert len(q.spans(operation="execute_tool")) == 7
    assert len(q.spans(operation="execute_tool", status="error")) == 3
    assert len(q.spans(tool="get_weather", run="run-b")) == 4
    assert {s.request_model for s in q.spans(model="gpt-4.1")} == {"gpt-4.1"}
    assert len(q.spans(model="gpt-4o-mini-2024-07-18")) == 8  # response model matches too
    assert len(q.spans(agent="weather")) == 5
    assert len(q.spans(min_duration="100ms")) == 5 + 12
    assert len(q.spans(min_duration=150)) == 5
    assert len(q.spans(trace=store["ids"][0])) == 4
    assert len(q.spans(name="chat gpt-4.1")) == 4
    assert len(q.spans(limit=3)) == 3
    newest = q.spans(limit=1)[0]
    assert newest.trace_id == store["ids"][-1]
    assert newest.attributes == {}
    assert q.spans(limit=1, full=True)[0].attributes


def test_where_conditions(q: query.Query) -> None:
    assert len(q.spans(where=["gen_ai.request.model=gpt-4.1"])) == 4
    assert len(q.spans(where=["gen_ai.usage.input_tokens>=200"])) == 5
    assert (
        len(q.spans(where=["gen_ai.usage.input_tokens<200", "gen_ai.request.model!=gpt-4.1"])) == 5
    )
    assert len(q.spans(where=["gen_ai.tool.call.id=call_5_2"])) == 1
    assert len(q.spans(where=["status=error"])) == 3
    with pytest.raises(ValueError, match="no stored span has attribute"):
        q.spans(where=["no.such.attribute=1"])
    with pytest.raises(ValueError):
        q.spans(where=["=x"])
    with pytest.raises(ValueError):
        q.spans(where=["just-a-word"])
    with pytest.raises(ValueError):
        q.spans(where=['a"b=1'])


def test_parse_where() -> None:
    c = query.parse_where("a.b>=10")
    assert (c.key, c.op, c.value) == ("a.b", ">=", "10")
    c = query.parse_where("x!=y=z")
    assert (c.key, c.op, c.value) == ("x", "!=", "y=z")


def test_stats_exact_percentiles(q: query.Query) -> None:
    by_op = {g.key: g for g in q.stats()}
    assert set(by_op) == {"chat", "execute_tool", "invoke_agent"}
    chat = by_op["chat"]
    assert (chat.count, chat.error_count, chat.input_tokens, chat.output_tokens) == (
        12,
        0,
        1700,
        220,
    )
    assert chat.exact and chat.p50_ns == chat.p99_ns == 100_000_000
    tool = by_op["execute_tool"]
    assert tool.error_rate == pytest.approx(3 / 7, abs=1e-4)
    assert tool.cost_usd is None
    assert chat.cost_usd is not None
    agents = q.stats(by="agent")
    assert [(g.key, g.count) for g in agents] == [("weather", 5)]
    assert sorted(agents[0].to_dict()) == sorted(
        ["key", "count", "error_count", "error_rate", "p50_ms", "p95_ms", "p99_ms",
         "percentiles_exact", "input_tokens", "output_tokens", "cache_read_tokens",
         "cache_creation_tokens", "cost_usd", "cost_source", "percentiles_of", "trace_count", "total_ms",
         "by_operation"]
    )  # fmt: skip
    models = {g.key: g.count for g in q.stats(by="model")}
    assert models == {"gpt-4o-mini": 8, "gpt-4.1": 4}
    assert {g.key for g in q.stats(by="run", since="25m")} == {"run-b"}
    with pytest.raises(ValueError):
        q.stats(by="color")


def test_stats_from_rollups_match_the_spans(
    q: query.Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = {g.key: g.to_dict() for g in q.stats(by="model")}
    monkeypatch.setattr(sqlite_mod, "EXACT_PERCENTILE_LIMIT", 0)
    rolled = {g.key: g.to_dict() for g in q.stats(by="model")}
    assert rolled.keys() == exact.keys()
    for key, row in rolled.items():
        assert row["percentiles_exact"] is False
        for field in ("count", "error_count", "input_tokens", "output_tokens", "cost_usd"):
            assert row[field] == exact[key][field]
        assert row["p50_ms"] == pytest.approx(exact[key]["p50_ms"], rel=0.03)
    windowed = {g.key: g.count for g in q.stats(by="operation", since="25m")}
    one_run = {g.key: (g.count, g.error_count) for g in q.stats(by="tool", run="run-b")}
    monkeypatch.setattr(sqlite_mod, "EXACT_PERCENTILE_LIMIT", 10**9)
    assert windowed == {g.key: g.count for g in q.stats(by="operation", since="25m")}
    assert one_run == {g.key: (g.count, g.error_count) for g in q.stats(by="tool", run="run-b")}
    assert one_run == {"get_weather": (4, 3)}


def test_custom_and_absent_prices(store: dict[str, Any]) -> None:
    calls: list[tuple[Any, ...]] = []

    def flat(model: str | None, i: int, o: int, cr: int, cc: int) -> float:
        calls.append((model, i, o, cr, cc))
        return 1.0

    with query.open(store["path"], prices=flat) as q:
        newest = q.traces(limit=1)[0]
        assert newest.cost_usd == 1.0  # one model in that trace
        assert calls[-1][0] == "gpt-4o-mini"
    with query.open(store["path"], prices=None) as q:
        assert q.traces(limit=1)[0].cost_usd is None
        assert all(g.cost_usd is None for g in q.stats())


def test_export_otlp(q: query.Query, store: dict[str, Any]) -> None:
    data = q.export_otlp(store["ids"][0][:4])
    spans = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(spans) == 4
    with pytest.raises(query.TraceNotFound):
        q.export_otlp("ffff")


def test_sql(q: query.Query) -> None:
    result = q.sql("SELECT name, count(*) AS n FROM spans GROUP BY name ORDER BY n DESC", limit=2)
    assert result.columns == ["name", "n"]
    assert result.to_dict()["rows"][0] == ["chat gpt-4o-mini", 8]
    assert len(result.rows) == 2


def test_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing):
        query.open(tmp_path / "nothing.db")


def test_parse_time_forms() -> None:
    now = 1_700_000_000 * 10**9
    assert query.parse_time("1h", now_ns=now) == now - 3600 * 10**9
    assert query.parse_time(1_700_000_000.5) == 1_700_000_000_500_000_000
    assert query.parse_time("2023-11-14T22:13:20Z") == now
    assert query.parse_time("2023-11-14T23:13:20+01:00") == now
    assert query.parse_time(None) is None


def test_spans_sorted_by_duration(q: query.Query, store: dict[str, Any]) -> None:
    longest = q.spans(sort="duration", limit=2)
    assert [s.operation for s in longest] == ["invoke_agent", "invoke_agent"]
    assert longest[0].trace_id == store["ids"][-1]  # the looping trace took longest
    slowest_tool = q.spans(operation="execute_tool", sort="duration", limit=1)[0]
    assert slowest_tool.duration_ns == 20_000_000
    with pytest.raises(ValueError):
        q.spans(sort="name")
