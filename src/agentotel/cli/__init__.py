"""The ``agentotel`` command: inspect the local trace store, run programs instrumented, serve MCP.

Exit codes: 0 success, 1 not found or an unusable store/input, 2 usage error.
Errors are one line on stderr, never a traceback. ``--json`` output follows the
schema documented in docs/agents.md.
"""

from __future__ import annotations

from agentotel.cli.errors import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, CliError
from agentotel.cli.main import main

__all__ = ["EXIT_NOT_FOUND", "EXIT_OK", "EXIT_USAGE", "CliError", "main"]
