"""The CLI's exit codes and its one-line failure."""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A one-line failure with an exit code."""

    def __init__(self, message: str, code: int = EXIT_NOT_FOUND) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str) -> None:
    """Write ``message`` (its first line) to stderr as ``agentotel: ...``."""
    sys.stderr.write(f"agentotel: {message.splitlines()[0] if message else 'error'}\n")
