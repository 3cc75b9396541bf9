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
    "google_genai": (
        "agentotel.instrumentation.google_genai:GoogleGenAIInstrumentor",
        "google.genai",
    ),
    "openai_agents": (
        "agentotel.instrumentation.openai_agents:OpenAIAgentsInstrumentor",
        "agents",
    ),
    "bedrock": ("agentotel.instrumentation.bedrock:BedrockInstrumentor", "botocore"),
    "litellm": ("agentotel.instrumentation.litellm:LiteLLMInstrumentor", "litellm"),
    "crewai": ("agentotel.instrumentation.crewai:CrewAIInstrumentor", "crewai"),
}
