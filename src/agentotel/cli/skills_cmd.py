"""``agentotel skills``: list, show and install the methods that teach agents to use traces."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parsers(sub: Any) -> None:
    """Register ``skills`` (with ``list``, ``show`` and ``install``) on the CLI's subparsers."""
    p = sub.add_parser("skills", help="skills that teach coding agents to use the traces")
    actions = p.add_subparsers(dest="skills_action", metavar="ACTION")
    actions.add_parser("list", help="the skills and what each is for")
    show = actions.add_parser("show", help="print one skill")
    show.add_argument("name", metavar="NAME")
    inst = actions.add_parser("install", help="write the skills where agents read them")
    inst.add_argument(
        "--target",
        choices=["claude", "agents", "cursor", "dir"],
        default="claude",
        help="claude: .claude/skills/; agents: AGENTS.md + .agentotel/skills/; "
        "cursor: .cursor/rules/; dir: any folder (--dir)",
    )
    inst.add_argument("--dir", metavar="PATH", default=".", help="where to write (default .)")
    inst.add_argument("--skill", action="append", metavar="NAME", help="only this skill")
    inst.add_argument("--force", action="store_true", help="replace files that differ")
    p.set_defaults(handler=run_skills)


def run_skills(args: argparse.Namespace) -> int:
    from agentotel.cli import CliError
    from agentotel.skills import install, load, skills

    action = args.skills_action or "list"
    if action == "list":
        for s in skills():
            sys.stdout.write(f"{s.slug:22} {s.description}\n")
        return 0
    if action == "show":
        try:
            sys.stdout.write(load(args.name).text)
        except LookupError as exc:
            raise CliError(str(exc.args[0])) from None
        return 0
    try:
        written = install(args.target, Path(args.dir), args.skill, force=args.force)
    except (LookupError, FileExistsError) as exc:
        raise CliError(str(exc.args[0] if isinstance(exc, LookupError) else exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write skills: {exc.strerror or exc}") from None
    for path in written:
        sys.stdout.write(f"{path}\n")
    return 0
