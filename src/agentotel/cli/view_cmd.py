"""``agentotel view``: write a trace, run or comparison as one self-contained HTML page.

``--open`` opens it in the browser; ``--serve`` browses the whole store from
127.0.0.1, read-only.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path
from typing import Any

EXIT_OK = 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``view`` on the CLI's subparsers."""
    p = sub.add_parser(
        "view",
        parents=[common],
        help="see a trace, a run or a comparison in the browser (one HTML file)",
        description=(
            "Write one self-contained HTML page (no network access) for a trace, a run "
            "(run:ID, run:last) or a comparison (--compare A B), or browse the store with --serve."
        ),
    )
    p.add_argument(
        "target",
        nargs="?",
        default="last",
        metavar="TRACE|run:ID|last",
        help="a trace id or unique prefix, run:ID (run:last for the latest run), or last (default)",
    )
    p.add_argument("--out", "-o", metavar="FILE", help="where to write the page")
    p.add_argument("--open", action="store_true", help="open the page in the browser")
    p.add_argument(
        "--compare", nargs=2, metavar=("BASELINE", "CANDIDATE"), help="compare two sides"
    )
    p.add_argument("--config", metavar="FILE", help="agentotel.toml or pyproject.toml (--compare)")
    p.add_argument("--serve", action="store_true", help="serve the store on 127.0.0.1, read-only")
    p.add_argument("--port", type=int, default=0, metavar="N", help="port for --serve (free one)")
    p.set_defaults(handler=run_view)


def _default_out(store: Path, name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64]
    return store.parent / "view" / f"{safe}.html"


def _write(path: Path, text: str) -> None:
    from agentotel.cli import CliError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def run_view(args: argparse.Namespace) -> int:
    from agentotel import query
    from agentotel.cli import CliError
    from agentotel.store.factory import store_location
    from agentotel.view import data, page

    store = store_location(args.store)
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port {args.port} is not a port number", 2)
    if args.serve:
        from agentotel.view.serve import serve

        serve(store, args.port)
        return EXIT_OK
    if args.compare:
        from agentotel.cli.evals_cmd import build_comparison

        cmp_args = argparse.Namespace(
            baseline=args.compare[0],
            candidate=args.compare[1],
            store=args.store,
            config=args.config,
            metric=[],
            limit=None,
        )
        payload, name = data.compare_payload(build_comparison(cmp_args).to_dict()), "compare"
    else:
        with query.open(store) as q:
            kind, sep, value = args.target.partition(":")
            if sep and kind == "run":
                try:
                    payload = data.run_payload(q, value)
                except LookupError as exc:
                    raise CliError(str(exc.args[0])) from None
                name = f"run-{payload['run_id']}"
            else:
                payload = data.trace_payload(q.trace(args.target))
                name = f"trace-{payload['trace']['trace_id'][:16]}"
    local = store if isinstance(store, Path) else Path.cwd() / ".agentotel" / "store"
    out = Path(args.out) if args.out else _default_out(local, name)
    _write(out, page.render(payload))
    if args.json:
        from agentotel.cli import render

        render.dump_json({"page": payload["page"], "path": str(out)})
    else:
        sys.stdout.write(f"{out}\n")
    if args.open:
        webbrowser.open(out.resolve().as_uri())
    return EXIT_OK
