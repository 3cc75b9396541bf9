"""Read GenAI facts out of LiteLLM calls (no spans built here).

LiteLLM speaks the OpenAI schema on both sides whatever the provider, so requests and
responses are read with the openai extractors; what is LiteLLM's own is the routing
(which provider serves a model string) and the cost it computes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from agentotel import semconv
from agentotel.instrumentation._read import field

# LiteLLM's provider names -> the conventions' gen_ai.provider.name. Others pass through.
PROVIDERS = {
    "openai": semconv.PROVIDER_OPENAI,
    "text-completion-openai": semconv.PROVIDER_OPENAI,
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "anthropic_text": semconv.PROVIDER_ANTHROPIC,
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "azure_text": semconv.PROVIDER_AZURE_OPENAI,
    "azure_ai": semconv.PROVIDER_AZURE_AI_INFERENCE,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": semconv.PROVIDER_AWS_BEDROCK,
    "sagemaker": semconv.PROVIDER_AWS_BEDROCK,
    "vertex_ai": semconv.PROVIDER_GCP_VERTEX_AI,
    "vertex_ai_beta": semconv.PROVIDER_GCP_VERTEX_AI,
    "gemini": semconv.PROVIDER_GCP_GEMINI,
    "mistral": semconv.PROVIDER_MISTRAL,
    "codestral": semconv.PROVIDER_MISTRAL,
    "text-completion-codestral": semconv.PROVIDER_MISTRAL,
    "groq": semconv.PROVIDER_GROQ,
    "deepseek": semconv.PROVIDER_DEEPSEEK,
    "xai": semconv.PROVIDER_X_AI,
    "cohere": semconv.PROVIDER_COHERE,
    "cohere_chat": semconv.PROVIDER_COHERE,
    "perplexity": semconv.PROVIDER_PERPLEXITY,
    "watsonx": semconv.PROVIDER_IBM_WATSONX_AI,
    "watsonx_text": semconv.PROVIDER_IBM_WATSONX_AI,
}

# Used only when LiteLLM itself cannot tell (the call is about to fail the same way).
UNKNOWN_PROVIDER = "litellm"

Route = tuple[str, str | None, str | None, int | None]


def provider_name(litellm_provider: str) -> str:
    return PROVIDERS.get(litellm_provider, litellm_provider)


def route(kwargs: Mapping[str, Any]) -> Route:
    """(provider, model as sent to the provider, server address, server port) for a call.

    Asks LiteLLM's own routing (``get_llm_provider``) with the call's model,
    ``custom_llm_provider`` and ``api_base``, so the answer is the provider LiteLLM
    will call, not the string the caller wrote.
    """
    model = kwargs.get("model")
    model = model if isinstance(model, str) else None
    api_base = kwargs.get("api_base") or kwargs.get("base_url")
    api_base = api_base if isinstance(api_base, str) else None
    custom = kwargs.get("custom_llm_provider")
    provider: str | None = None
    if model is not None:
        litellm = sys.modules.get("litellm")
        get_llm_provider = getattr(litellm, "get_llm_provider", None)
        try:
            found = get_llm_provider(  # type: ignore[misc]
                model=model,
                custom_llm_provider=custom if isinstance(custom, str) else None,
                api_base=api_base,
            )
            model, provider = found[0], found[1]
            api_base = api_base or found[3]
        except Exception:
            # An unknown provider: LiteLLM raises the same error from the call itself.
            prefix, sep, _ = model.partition("/")
            provider = prefix if sep else None
    if provider is None and isinstance(custom, str):
        provider = custom
    host, port = _server(api_base)
    name = provider_name(provider) if provider else UNKNOWN_PROVIDER
    return name, model, host, port


_servers: dict[str, tuple[str | None, int | None]] = {}


def _server(api_base: str | None) -> tuple[str | None, int | None]:
    if not api_base:
        return None, None
    found = _servers.get(api_base)
    if found is None:
        parts = urlsplit(api_base if "://" in api_base else f"https://{api_base}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = None
        found = (parts.hostname, port)
        if len(_servers) < 64:
            _servers[api_base] = found
    return found


def response_cost(inv: Any, response: Any) -> None:
    """LiteLLM's own cost of the call (``_hidden_params["response_cost"]``), when it has one."""
    hidden = getattr(response, "_hidden_params", None)
    cost = hidden.get("response_cost") if isinstance(hidden, Mapping) else None
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0:
        inv.set(semconv.AGENTOTEL_USAGE_COST, float(cost))


def cache_creation(inv: Any, response: Any) -> None:
    """Anthropic's cache writes, which LiteLLM reports beside the OpenAI usage fields."""
    value = field(field(response, "usage"), "cache_creation_input_tokens")
    if type(value) is int and value:
        inv.cache_creation_input_tokens = value
