"""The ``agentotel`` entry point: parse, dispatch to a command, turn failures into one line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentotel.cli.errors import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, CliError, fail
from agentotel.cli.parser import build_parser


def _store_path(args: argparse.Namespace) -> str | Path | None:
    from agentotel.store.factory import store_location

    return store_location(args.store) if getattr(args, "store", None) else None


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
                failed=args.failed,
            )
            _emit(args, {"traces": [t.to_dict() for t in found]}, render.traces(found, style))
        elif args.command == "show":
            trace = q.trace(args.trace_id)
            fmt = "json" if args.json else args.format or "tree"
            if fmt == "compact":
                from agentotel.query.compact import trace_lines

                sys.stdout.write("\n".join(trace_lines(trace)) + "\n")
            elif fmt == "json":
                render.dump_json(trace.to_dict())
            else:
                sys.stdout.write(render.show(trace, style, content=not args.no_content) + "\n")
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
                where=args.where,
                limit=args.limit,
            )
            data = {"by": args.by, "groups": [g.to_dict() for g in groups]}
            _emit(args, data, render.stats(groups, args.by, style))
        elif args.command == "export":
            payload = q.export_otlp(args.trace_id)
            if args.output:
                _write_file(args.output, json.dumps(payload) + "\n")
            else:
                render.dump_json(payload)
        elif args.command == "schema":
            data = q.schema(sample=max(1, args.sample))
            _emit(args, data, render.schema(data))
        elif args.command == "sql":
            result = q.sql(args.query, limit=args.limit, timeout_s=_sql_timeout(args.timeout))
            _emit(args, result.to_dict(), render.sql(result))
    return EXIT_OK


def _write_file(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except IsADirectoryError:
        raise CliError(f"cannot write {path}: it is a directory", EXIT_USAGE) from None
    except FileNotFoundError:
        raise CliError(f"cannot write {path}: its folder does not exist", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _sql_timeout(text: str | None) -> float | None:
    """``--timeout`` in seconds: None for the configured default, 0 for no limit."""
    if text is None:
        return None
    from agentotel.store.settings import OFF_WORDS, parse_duration

    if text.strip().lower() in OFF_WORDS:
        return 0.0
    return parse_duration(text)


def _import(args: argparse.Namespace) -> int:
    from agentotel import query
    from agentotel.query.otlp import OTLPError
    from agentotel.store.factory import display, store_location

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{args.file} is not UTF-8 text") from None
    target = _store_path(args) or store_location(None)
    try:
        read, new = query.import_otlp(text, target)
    except OTLPError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    if args.json:
        from agentotel.cli import render

        render.dump_json({"spans": read, "new_spans": new, "store": display(target)})
    else:
        sys.stdout.write(f"imported {read} spans ({new} new) into {display(target)}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agentotel`` console script; returns the exit code."""
    from agentotel.store.errors import AmbiguousTraceId, InvalidQuery, NotFound, StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except CliError as exc:
        fail(str(exc))
        return exc.code
    except (NotFound, AmbiguousTraceId) as exc:
        fail(str(exc.args[0]) if exc.args else "not found")
        return EXIT_NOT_FOUND
    except StoreError as exc:
        fail(str(exc))
        return EXIT_NOT_FOUND
    except InvalidQuery as exc:  # the user's `sql` statement failed
        fail(f"sql: {exc}")
        return EXIT_USAGE
    except ValueError as exc:
        fail(str(exc))
        return EXIT_USAGE
    except RecursionError:
        fail("input nested too deeply to read")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: stop quietly, like other Unix tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (OSError, MemoryError) as exc:
        fail(f"{type(exc).__name__}: {exc}")
        return EXIT_NOT_FOUND
    except Exception as exc:  # a bug: still one line, never a traceback
        fail(f"internal error ({type(exc).__name__}: {exc}); please report it")
        return EXIT_NOT_FOUND
