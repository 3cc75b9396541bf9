"""``agentotel run -- python app.py``: run any Python program with agentotel instrumentation.

The program runs with a ``sitecustomize`` directory first on ``PYTHONPATH``, so
every Python process it starts (itself and its subprocesses) calls
``agentotel.instrument()`` at startup. They all share one run id through
``AGENTOTEL_RUN_ID``. On POSIX the program replaces this process, so signals and
the exit status are the program's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from agentotel._resource import RUN_ID_ENV, new_run_id
from agentotel.store.settings import STORE_ENV

BOOTSTRAP_DIR = Path(__file__).resolve().parent / "_bootstrap"
ACTIVE_ENV = "AGENTOTEL_RUN_ACTIVE"


def child_env(
    base: dict[str, str] | None = None,
    store: str | None = None,
    run_id: str | None = None,
    program: Sequence[str] = (),
) -> dict[str, str]:
    """The environment of a program started by ``agentotel run``."""
    env = dict(os.environ if base is None else base)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    bootstrap = str(BOOTSTRAP_DIR)
    env["PYTHONPATH"] = os.pathsep.join([bootstrap, *(p for p in paths if p != bootstrap)])
    env[RUN_ID_ENV] = run_id or env.get(RUN_ID_ENV) or new_run_id()
    if store:
        env[STORE_ENV] = os.path.abspath(store)
    env[ACTIVE_ENV] = "1"
    if (
        program
        and not env.get("OTEL_SERVICE_NAME")
        and "service.name=" not in env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    ):
        name = service_name(program)
        if name:
            env["OTEL_SERVICE_NAME"] = name
    return env


def service_name(program: Sequence[str]) -> str | None:
    """A default ``service.name`` from the command: the script's or module's name."""
    if not program:
        return None
    head = os.path.basename(program[0])
    if not head.startswith("python"):
        return head or None
    args = iter(program[1:])
    for arg in args:
        if arg == "-m":
            return next(args, None)
        if arg == "-c":
            return None
        if arg.startswith("-"):
            continue
        return Path(arg).stem or None
    return None


def run(program: Sequence[str], store: str | None = None, run_id: str | None = None) -> int:
    """Start ``program`` instrumented; returns its exit status (when it cannot replace us)."""
    from agentotel.cli.errors import EXIT_USAGE, CliError

    argv = list(program)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise CliError("run needs a program, e.g. agentotel run -- python app.py", EXIT_USAGE)
    executable = shutil.which(argv[0])
    if executable is None:
        raise CliError(f"program not found: {argv[0]}", EXIT_USAGE)
    env = child_env(store=store, run_id=run_id, program=argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(executable, argv, env)
    return subprocess.call([executable, *argv[1:]], env=env)
