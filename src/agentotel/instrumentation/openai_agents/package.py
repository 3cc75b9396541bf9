"""The OpenAI Agents SDK releases this instrumentor supports (tested on 0.25)."""

_instruments = ("openai-agents >= 0.25",)
