"""The openai releases this instrumentor supports."""

_instruments = ("openai >= 1.40",)
