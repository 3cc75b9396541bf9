"""The ``agentotel`` command: inspect the local trace store, run programs instrumented, serve MCP.

Exit codes: 0 success, 1 not found or an unusable store/input, 2 usage error.
Errors are one line on stderr, never a traceback. ``--json`` output follows the
schema documented in docs/agents.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentotel.version import __version__

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A one-line failure with an exit code."""

    def __init__(self, message: str, code: int = EXIT_NOT_FOUND) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        metavar="PATH",
        help="trace store file (default: $AGENTOTEL_STORE or .agentotel/traces.db)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")

    window = argparse.ArgumentParser(add_help=False)
    window.add_argument("--since", metavar="WHEN", help="newer than a duration ago (1h) or a time")
    window.add_argument("--until", metavar="WHEN", help="older than a duration ago or a time")
    window.add_argument("--run", metavar="ID", help="only this run id ('last' for the latest run)")
    window.add_argument("--service", metavar="NAME", help="only this service.name")

    parser = argparse.ArgumentParser(
        prog="agentotel",
        description="Inspect what your agent application did, from the local trace store.",
    )
    parser.add_argument("--version", action="version", version=f"agentotel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("traces", parents=[common, window], help="list recent traces")
    p.add_argument("--status", choices=["error", "ok"], help="only traces with (or without) errors")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N traces (20)")

    p = sub.add_parser("show", parents=[common], help="show one trace as a span tree")
    p.add_argument("trace_id", metavar="TRACE_ID", help="a trace id, a unique prefix, or 'last'")
    p.add_argument("--no-content", action="store_true", help="hide captured message content")

    p = sub.add_parser("spans", parents=[common, window], help="find spans")
    p.add_argument("--operation", metavar="OP", help="chat, execute_tool, invoke_agent, ...")
    p.add_argument("--model", metavar="M", help="request or response model")
    p.add_argument("--tool", metavar="T", help="tool name")
    p.add_argument("--agent", metavar="A", help="agent name")
    p.add_argument("--name", metavar="NAME", help="exact span name")
    p.add_argument("--status", choices=["error", "ok"], help="only spans in (or not in) error")
    p.add_argument("--min-duration", metavar="D", help="at least this long (500ms, 2s)")
    p.add_argument("--trace", metavar="ID", help="only spans of this trace (id or prefix)")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="ATTR=VALUE",
        help="attribute condition (also !=, >, >=, <, <=); repeatable",
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N spans (50)")
    p.add_argument("--full", action="store_true", help="include attributes and events in --json")
    p.add_argument(
        "--sort", choices=["start", "duration"], default="start", help="newest or longest first"
    )

    p = sub.add_parser("stats", parents=[common, window], help="latency, errors, tokens, cost")
    p.add_argument(
        "--by",
        default="operation",
        choices=["operation", "model", "tool", "agent", "provider", "service", "run", "name"],
        help="group by (operation)",
    )
    p.add_argument("--operation", metavar="OP", help="only this operation")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N groups (50)")

    p = sub.add_parser("export", parents=[common], help="export a trace as OTLP JSON")
    p.add_argument("trace_id", metavar="TRACE_ID", help="a trace id, a unique prefix, or 'last'")
    p.add_argument("--format", default="otlp-json", choices=["otlp-json"], help="(otlp-json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    p = sub.add_parser("import", parents=[common], help="import OTLP JSON into the store")
    p.add_argument("file", metavar="FILE", help="OTLP JSON file ('-' for stdin)")

    p = sub.add_parser(
        "run",
        help="run a Python program with agentotel instrumentation",
        usage="agentotel run [--store PATH] [--run-id ID] [--] PROGRAM [ARGS ...]",
    )
    p.add_argument("--store", metavar="PATH", help="record into this store file")
    p.add_argument("--run-id", metavar="ID", help="run id for the program and its subprocesses")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM [ARGS ...]")

    p = sub.add_parser("mcp", help="serve the store read-only to MCP clients (stdio)")
    p.add_argument("--store", metavar="PATH", help="trace store file")

    p = sub.add_parser("sql", parents=[common], help="run one read-only SQL query on the store")
    p.add_argument("query", metavar="SQL", help="one SELECT statement")
    p.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N rows (1000)")

    from agentotel.cli.evals_cmd import add_parsers as add_eval_parsers

    add_eval_parsers(sub, common, window)  # eval, compare
    from agentotel.cli.view_cmd import add_parsers as add_view_parsers

    add_view_parsers(sub, common)
    from agentotel.cli.report_cmd import add_parsers as add_report_parsers
    from agentotel.cli.skills_cmd import add_parsers as add_skills_parsers

    add_report_parsers(sub, common)
    add_skills_parsers(sub)
    return parser


def _store_path(args: argparse.Namespace) -> Path | None:
    return Path(args.store) if getattr(args, "store", None) else None


def _emit(args: argparse.Namespace, data: Any, human: str) -> None:
    from agentotel.cli import render

    if args.json:
        render.dump_json(data)
    else:
        sys.stdout.write(human + "\n")


def _dispatch(args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    if handler is not None:  # subcommands registered by other modules (eval, compare)
        return int(handler(args))
    if args.command == "run":
        from agentotel.cli.run import run

        return run(args.program, store=args.store, run_id=args.run_id)
    if args.command == "mcp":
        from agentotel.cli.mcp_server import serve

        return serve(_store_path(args))
    if args.command == "import":
        return _import(args)

    from agentotel import query
    from agentotel.cli import render

    style = render.Style(sys.stdout)
    with query.open(_store_path(args)) as q:
        if args.command == "traces":
            found = q.traces(
                since=args.since,
                until=args.until,
                run=args.run,
                service=args.service,
                status=args.status,
                limit=args.limit,
            )
            _emit(args, {"traces": [t.to_dict() for t in found]}, render.traces(found, style))
        elif args.command == "show":
            trace = q.trace(args.trace_id)
            _emit(args, trace.to_dict(), render.show(trace, style, content=not args.no_content))
        elif args.command == "spans":
            spans = q.spans(
                operation=args.operation,
                model=args.model,
                tool=args.tool,
                agent=args.agent,
                name=args.name,
                status=args.status,
                min_duration=args.min_duration,
                trace=args.trace,
                where=args.where,
                since=args.since,
                until=args.until,
                run=args.run,
                service=args.service,
                limit=args.limit,
                full=args.full,
                sort=args.sort,
            )
            data = {"spans": [s.to_dict(full=args.full) for s in spans]}
            _emit(args, data, render.spans(spans, style))
        elif args.command == "stats":
            groups = q.stats(
                by=args.by,
                since=args.since,
                until=args.until,
                run=args.run,
                service=args.service,
                operation=args.operation,
                limit=args.limit,
            )
            data = {"by": args.by, "groups": [g.to_dict() for g in groups]}
            _emit(args, data, render.stats(groups, args.by, style))
        elif args.command == "export":
            payload = q.export_otlp(args.trace_id)
            if args.output:
                Path(args.output).write_text(json.dumps(payload) + "\n", encoding="utf-8")
            else:
                render.dump_json(payload)
        elif args.command == "sql":
            result = q.sql(args.query, limit=args.limit)
            _emit(args, result.to_dict(), render.sql(result))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from agentotel import query
    from agentotel.query.otlp import OTLPError
    from agentotel.store.settings import default_path

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{args.file} is not UTF-8 text") from None
    target = _store_path(args) or default_path()
    try:
        read, new = query.import_otlp(text, target)
    except OTLPError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    if args.json:
        from agentotel.cli import render

        render.dump_json({"spans": read, "new_spans": new, "store": str(target)})
    else:
        sys.stdout.write(f"imported {read} spans ({new} new) into {target}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agentotel`` console script; returns the exit code."""
    import sqlite3

    from agentotel.store.errors import AmbiguousTraceId, StoreError, TraceNotFound

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except CliError as exc:
        _fail(str(exc))
        return exc.code
    except (TraceNotFound, AmbiguousTraceId) as exc:
        _fail(str(exc.args[0]) if exc.args else "not found")
        return EXIT_NOT_FOUND
    except StoreError as exc:
        _fail(str(exc))
        return EXIT_NOT_FOUND
    except sqlite3.Error as exc:  # only `sql` lets these through: the user's statement failed
        _fail(f"sql: {exc}")
        return EXIT_USAGE
    except ValueError as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: stop quietly, like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _fail(message: str) -> None:
    sys.stderr.write(f"agentotel: {message.splitlines()[0] if message else 'error'}\n")
