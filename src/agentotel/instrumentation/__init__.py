"""Patching: one subpackage per instrumented library, each a thin layer over ``telemetry``.

``REGISTRY`` maps an instrumentor's short name to where its class lives and the
import name of the library it needs; ``agentotel.instrument()`` reads it to find
the libraries that are installed, without importing them.
"""

from __future__ import annotations

REGISTRY: dict[str, tuple[str, str]] = {
    "openai": ("agentotel.instrumentation.openai:OpenAIInstrumentor", "openai"),
    "anthropic": ("agentotel.instrumentation.anthropic:AnthropicInstrumentor", "anthropic"),
    "langchain": ("agentotel.instrumentation.langchain:LangChainInstrumentor", "langchain_core"),
    "mcp": ("agentotel.instrumentation.mcp:MCPInstrumentor", "mcp"),
    "threading": ("agentotel.instrumentation.threading:ThreadingInstrumentor", "concurrent"),
    "pydantic_ai": ("agentotel.instrumentation.pydantic_ai:PydanticAIInstrumentor", "pydantic_ai"),
    "crewai": ("agentotel.instrumentation.crewai:CrewAIInstrumentor", "crewai"),
}
