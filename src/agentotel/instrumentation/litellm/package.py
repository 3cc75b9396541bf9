"""The litellm releases this instrumentor supports."""

_instruments = ("litellm >= 1.50",)
