"""The CrewAI releases this instrumentor supports (the 1.x executor and provider-native LLMs)."""

_instruments = ("crewai >= 1.0",)
