"""The pydantic-ai releases this instrumentor supports (the capability hooks arrived in 2.x)."""

_instruments = ("pydantic-ai-slim >= 2.0",)
