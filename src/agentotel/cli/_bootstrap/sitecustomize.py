"""Loaded at startup of every Python process that ``agentotel run`` starts.

It instruments the process with ``agentotel.instrument()``, then hands over to
any other ``sitecustomize`` further down the path, so the program's own one
still runs. It never stops the program: a failure is reported on stderr.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def _chain() -> None:
    """Import the next ``sitecustomize`` on the path, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def _instrument() -> None:
    from agentotel.cli import _autoinstrument

    _autoinstrument.start()


try:
    _instrument()
except Exception as exc:
    sys.stderr.write(f"agentotel: instrumentation not started ({type(exc).__name__}: {exc})\n")
try:
    _chain()
except Exception as exc:
    sys.stderr.write(
        f"agentotel: the program's sitecustomize failed ({type(exc).__name__}: {exc})\n"
    )
