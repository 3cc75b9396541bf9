"""``agentotel mcp`` through the real MCP client, over stdio, in a subprocess."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.store.fixtures import build_store

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402


def _payload(result: Any) -> Any:
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def test_mcp_server_serves_the_query_tools(tmp_path: Path) -> None:
    info = build_store(tmp_path / "t.db")
    env = {k: v for k, v in os.environ.items() if k != "AGENTOTEL_STORE"}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agentotel.cli", "mcp", "--store", str(tmp_path / "t.db")],
        env=env,
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {
            "list_traces", "show_trace", "find_spans", "trace_stats", "export_trace", "run_sql",
            "schema", "evaluate", "compare",
        }  # fmt: skip
        assert "tool_name" in (tools["run_sql"].description or "")
        assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
        schema = tools["find_spans"].input_schema
        assert schema["properties"]["min_duration"]["description"].startswith("at least")
        assert "error" in json.dumps(schema["properties"]["status"])

        listed = _payload(await client.call_tool("list_traces", {"status": "error"}))
        assert [t["trace_id"] for t in listed["traces"]] == [info["ids"][-1]]

        shown = _payload(await client.call_tool("show_trace", {"trace_id": "last"}))
        assert shown["trace"]["trace_id"] == info["ids"][-1]
        assert len(shown["lines"]) == 8
        full = _payload(
            await client.call_tool("show_trace", {"trace_id": "last", "format": "full"})
        )
        assert len(full["spans"]) == 8

        found = _payload(
            await client.call_tool(
                "find_spans", {"operation": "execute_tool", "status": "error", "limit": 2}
            )
        )
        assert len(found["spans"]) == 2 and found["spans"][0]["error_type"] == "ValueError"

        stats = _payload(await client.call_tool("trace_stats", {"by": "model"}))
        assert {g["key"] for g in stats["groups"]} == {"gpt-4o-mini", "gpt-4.1"}

        exported = _payload(await client.call_tool("export_trace", {"trace_id": info["ids"][0]}))
        assert exported["resourceSpans"]

        rows = _payload(await client.call_tool("run_sql", {"sql": "SELECT count(*) FROM spans"}))
        assert rows["rows"] == [[4 * 4 + 8]]

        missing = await client.call_tool("show_trace", {"trace_id": "ffffffff"})
        assert missing.is_error
        assert "no trace" in missing.content[0].text
        denied = await client.call_tool("run_sql", {"sql": "DELETE FROM spans"})
        assert denied.is_error
        bad = await client.call_tool("trace_stats", {"by": "color"})
        assert bad.is_error
