"""The google-genai releases this instrumentor supports."""

_instruments = ("google-genai >= 1.0",)
