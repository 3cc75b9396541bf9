"""The mcp releases this instrumentor supports."""

_instruments = ("mcp >= 1.10",)
