"""``agentotel mcp``: the query operations as MCP tools over stdio, read-only.

A coding agent connected to this server can list traces, open one, find spans,
aggregate stats and run read-only SQL, getting the same JSON as ``--json``.
The store is opened per call, so traces recorded while the server runs show up.
Needs the ``mcp`` package (2.x), imported only when the server starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from agentotel import query
from agentotel.store.errors import StoreError

try:
    from pydantic import Field as _Field

    def _d(text: str) -> Any:
        return _Field(description=text)

except ImportError:  # pragma: no cover - mcp brings pydantic

    def _d(text: str) -> Any:
        return text


INSTRUCTIONS = """\
Read-only access to agentotel's local trace store: what an AI agent application did at runtime.
Start with list_traces (newest first), then show_trace on an id (a unique prefix or "last" works).
find_spans filters spans (operation: chat, execute_tool, invoke_agent, ...; status: error;
min_duration like "500ms"; where: ["attribute=value"]). trace_stats aggregates latency
percentiles, error rates, tokens and cost by operation, model, tool or agent. Times are ISO-8601
UTC, durations are milliseconds, ids are lowercase hex."""


Status = Literal["error", "ok"]
Sort = Literal["start", "duration"]
GroupBy = Literal["operation", "model", "tool", "agent", "provider", "service", "run", "name"]


class Tools:
    """The tool implementations, bound to one store path."""

    def __init__(self, path: str | Path | None, error: type[Exception] = ValueError) -> None:
        self.path = path
        self.error = error

    @contextlib.contextmanager
    def _open(self) -> Iterator[query.Query]:
        """The store, read-only; expected failures become the tool error the client sees."""
        try:
            with query.open(self.path) as q:
                yield q
        except (StoreError, LookupError, ValueError) as exc:
            message = str(exc.args[0]) if isinstance(exc, LookupError) and exc.args else str(exc)
            raise self.error(message) from None

    def list_traces(
        self,
        since: Annotated[
            str | None, _d("only traces newer than this: a duration ago (1h) or a time")
        ] = None,
        run: Annotated[str | None, _d("only this run id ('last' for the latest run)")] = None,
        service: Annotated[str | None, _d("only this service.name")] = None,
        status: Annotated[
            Status | None, _d("'error' for traces with errors, 'ok' for the rest")
        ] = None,
        limit: Annotated[int, _d("at most this many traces")] = 20,
    ) -> dict[str, Any]:
        """List recent traces, newest first: root span, duration, LLM and tool calls, tokens, cost, errors."""
        with self._open() as q:
            found = q.traces(since=since, run=run, service=service, status=status, limit=limit)
            return {"traces": [t.to_dict() for t in found]}

    def show_trace(
        self,
        trace_id: Annotated[str, _d("a trace id, a unique prefix of one, or 'last'")],
    ) -> dict[str, Any]:
        """One trace: its summary and every span in tree order with attributes, events and content."""
        with self._open() as q:
            return q.trace(trace_id).to_dict()

    def find_spans(
        self,
        operation: Annotated[
            str | None, _d("chat, execute_tool, invoke_agent, embeddings, ...")
        ] = None,
        model: Annotated[str | None, _d("request or response model")] = None,
        tool: Annotated[str | None, _d("tool name")] = None,
        agent: Annotated[str | None, _d("agent name")] = None,
        status: Annotated[Status | None, _d("'error' or 'ok'")] = None,
        min_duration: Annotated[str | None, _d("at least this long, e.g. '500ms' or '2s'")] = None,
        trace_id: Annotated[str | None, _d("only spans of this trace")] = None,
        where: Annotated[
            list[str] | None, _d("attribute conditions like 'gen_ai.request.model=gpt-4o'")
        ] = None,
        since: Annotated[str | None, _d("newer than a duration ago (1h) or a time")] = None,
        run: Annotated[str | None, _d("only this run id ('last' for the latest run)")] = None,
        limit: Annotated[int, _d("at most this many spans")] = 50,
        full: Annotated[bool, _d("include attributes and events")] = False,
        sort: Annotated[Sort, _d("'start' (newest first) or 'duration' (longest first)")] = "start",
    ) -> dict[str, Any]:
        """Find spans matching every given filter, newest first."""
        with self._open() as q:
            spans = q.spans(
                operation=operation,
                model=model,
                tool=tool,
                agent=agent,
                status=status,
                min_duration=min_duration,
                trace=trace_id,
                where=where,
                since=since,
                run=run,
                limit=limit,
                full=full,
                sort=sort,
            )
            return {"spans": [s.to_dict(full=full) for s in spans]}

    def trace_stats(
        self,
        by: Annotated[GroupBy, _d("what to group spans by")] = "operation",
        since: Annotated[str | None, _d("newer than a duration ago (1h) or a time")] = None,
        run: Annotated[str | None, _d("only this run id ('last' for the latest run)")] = None,
        service: Annotated[str | None, _d("only this service.name")] = None,
        operation: Annotated[str | None, _d("only this operation")] = None,
        limit: Annotated[int, _d("at most this many groups")] = 50,
    ) -> dict[str, Any]:
        """Count, error rate, p50/p95/p99 latency (ms), tokens and cost per group."""
        with self._open() as q:
            groups = q.stats(
                by=by, since=since, run=run, service=service, operation=operation, limit=limit
            )
            return {"by": by, "groups": [g.to_dict() for g in groups]}

    def export_trace(
        self,
        trace_id: Annotated[str, _d("a trace id, a unique prefix of one, or 'last'")],
    ) -> dict[str, Any]:
        """One trace as OTLP JSON (an ExportTraceServiceRequest)."""
        with self._open() as q:
            return q.export_otlp(trace_id)

    def run_sql(
        self,
        sql: Annotated[
            str, _d("one read-only SELECT over tables spans, span_data, traces, resources")
        ],
        limit: Annotated[int, _d("at most this many rows")] = 200,
    ) -> dict[str, Any]:
        """Run one read-only SQL statement on the store (it is opened read-only)."""
        with self._open() as q:
            return q.sql(sql, limit=limit).to_dict()


TOOL_NAMES = ("list_traces", "show_trace", "find_spans", "trace_stats", "export_trace", "run_sql")


def build_server(path: str | Path | None) -> Any:
    """An ``MCPServer`` exposing :class:`Tools` (requires mcp 2.x)."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as exc:
        from agentotel.cli.errors import CliError

        raise CliError(
            f"agentotel mcp needs the mcp package 2.x (pip install 'agentotel[mcp]'): {exc}"
        ) from None
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from agentotel.version import __version__

    server = MCPServer(
        name="agentotel",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    tools = Tools(path, ToolError)
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    for name in TOOL_NAMES:
        server.add_tool(getattr(tools, name), name=name, annotations=read_only)
    return server


def serve(path: str | Path | None) -> int:
    """Run the server on stdin/stdout until the client disconnects."""
    server = build_server(path)
    server.run("stdio")
    return 0
