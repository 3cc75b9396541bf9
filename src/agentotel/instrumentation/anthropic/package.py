"""The anthropic releases this instrumentor supports."""

_instruments = ("anthropic >= 0.40",)
