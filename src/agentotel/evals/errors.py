"""The error bad evaluation config raises: one line that names the offending key."""

from __future__ import annotations


class ConfigError(ValueError):
    """Invalid evaluation config; the message names the file and the key (``eval.tokens.max_total``)."""

    def __init__(self, key: str, message: str, source: str | None = None) -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")
