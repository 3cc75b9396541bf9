"""Reading names, usage and outcomes off CrewAI objects; every reader tolerates missing fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from agentotel import semconv

# CrewAI's provider names -> GenAI ``gen_ai.provider.name`` values.
_PROVIDERS = {
    "openai": semconv.PROVIDER_OPENAI,
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "gemini": semconv.PROVIDER_GCP_GEMINI,
    "google": semconv.PROVIDER_GCP_GEMINI,
}


def arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    """A call argument given by position or by name."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else None


def text(value: Any) -> str | None:
    """A non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def crew_name(crew: Any) -> str:
    return text(getattr(crew, "name", None)) or "crew"


def flow_name(flow: Any) -> str:
    definition = getattr(flow, "_definition", None)
    return text(getattr(definition, "name", None)) or type(flow).__name__


def internal_flow(flow: Any) -> bool:
    """True for the flows CrewAI itself runs (each agent's executor loop is one)."""
    return type(flow).__module__.startswith("crewai.agents.")


def agent_role(agent: Any) -> str | None:
    return text(getattr(agent, "role", None))


def agent_id(agent: Any) -> str | None:
    value = getattr(agent, "id", None)
    return str(value) if value is not None else None


def provider(llm: Any) -> str:
    name = text(getattr(llm, "provider", None)) or "openai"
    return _PROVIDERS.get(name, name)


def model(llm: Any) -> str | None:
    return text(getattr(llm, "model", None))


def server(llm: Any) -> tuple[str | None, int | None]:
    """Host and port of the LLM's endpoint, when it names one."""
    url = text(getattr(llm, "base_url", None)) or text(getattr(llm, "api_base", None))
    if not url:
        return None, None
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.port
    except ValueError:
        return None, None


def usage(data: Any) -> tuple[int | None, int | None, int | None]:
    """(input, output, cache-read input) tokens from a CrewAI usage dict."""
    if not isinstance(data, dict):
        return None, None, None

    def first(*keys: str) -> int | None:
        for key in keys:
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    return (
        first("prompt_tokens", "input_tokens"),
        first("completion_tokens", "output_tokens"),
        first("cached_prompt_tokens", "cached_tokens"),
    )


def tool_failure_type(result: Any) -> str | None:
    """``error.type`` for a native tool call CrewAI reports as failed, else ``None``."""
    if not isinstance(result, dict):
        return None
    failure = result.get("tool_failure")
    if failure is None:
        return None
    code = text(getattr(failure, "code", None))
    if code:
        return code
    reason = getattr(failure, "reason", None)
    return text(getattr(reason, "value", reason)) or "tool_failure"


def text_message(role: str, content: Any) -> list[dict[str, Any]] | None:
    """One GenAI message with a single text part, or ``None`` for no text."""
    body = content if isinstance(content, str) else getattr(content, "raw", None)
    if not isinstance(body, str) or not body:
        return None
    return [{"role": role, "parts": [{"type": "text", "content": body}]}]
