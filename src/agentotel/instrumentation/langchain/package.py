"""The langchain-core releases this instrumentor supports."""

_instruments = ("langchain-core >= 0.3",)
