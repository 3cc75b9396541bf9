"""Filters that cannot match say so (exit 2 or 1, one line naming close keys or ids)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.test_cli import main, one_line_error


def _spans(capsys: pytest.CaptureFixture[str], store: str, *args: str) -> list[dict[str, Any]]:
    done = main(capsys, "spans", "--store", store, "--json", "--run", "r1", *args)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["spans"])


def test_unknown_where_key_names_the_closest(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "spans", "--store", store, "--where", "gen_ai.operation.nme=chat")
    assert done.returncode == 2
    line = one_line_error(done)
    assert "no stored span has attribute 'gen_ai.operation.nme'" in line
    assert "closest keys: gen_ai.operation.name" in line
    stats = main(capsys, "stats", "--store", store, "--where", "span.id=1")
    assert stats.returncode == 2 and "closest keys" in one_line_error(stats)


def test_unsupported_operator(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    for expr, op in (("gen_ai.tool.name==x", "=="), ("a=~b", "=~"), ("a<>b", "<>")):
        done = main(capsys, "spans", "--store", failing_store["store"], "--where", expr)
        assert done.returncode == 2
        assert f"unsupported operator '{op}'" in one_line_error(done)


def test_where_operators(capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]) -> None:
    store = failing_store["store"]
    every = _spans(capsys, store)
    not_agent = _spans(capsys, store, "--where", "operation!=invoke_agent")
    assert not_agent and all(s["operation"] != "invoke_agent" for s in not_agent)
    assert len(not_agent) == len(every) - 3
    tools = _spans(capsys, store, "--where", "gen_ai.tool.name~order")
    assert tools and {s["tool_name"] for s in tools} == {"lookup_order"}
    big = _spans(capsys, store, "--where", "gen_ai.usage.input_tokens>0")
    assert big and all(s["input_tokens"] > 0 for s in big)
    none = _spans(capsys, store, "--where", "gen_ai.usage.input_tokens<0")
    assert none == []
    failed = _spans(capsys, store, "--where", "error_type=OrderMissing")
    assert [s["operation"] for s in failed] == ["invoke_agent"]


def test_unknown_run_trace_and_commit(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    for command in ("traces", "spans", "stats"):
        done = main(capsys, command, "--store", store, "--run", "r2")
        assert done.returncode == 1
        assert "no run 'r2' in the store (closest: r1, r0)" in one_line_error(done)
    trace = main(capsys, "spans", "--store", store, "--trace", "abcdef")
    assert trace.returncode == 1 and "(recent: " in one_line_error(trace)
    commit = main(capsys, "eval", "--store", store, "--commit", "deadbeef", "--no-record")
    assert commit.returncode == 1
    assert "no traces at commit 'deadbeef'" in one_line_error(commit)


def test_run_previous_everywhere(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "traces", "--store", store, "--run", "previous", "--json")
    assert {t["run_id"] for t in json.loads(done.stdout)["traces"]} == {"r0"}
    spans = main(capsys, "spans", "--store", store, "--run", "previous", "--json")
    assert {s["run_id"] for s in json.loads(spans.stdout)["spans"]} == {"r0"}
    stats = main(capsys, "stats", "--store", store, "--run", "previous", "--by", "run", "--json")
    assert [g["key"] for g in json.loads(stats.stdout)["groups"]] == ["r0"]
    last = main(capsys, "traces", "--store", store, "--run", "last", "--json")
    assert {t["run_id"] for t in json.loads(last.stdout)["traces"]} == {"r1"}
