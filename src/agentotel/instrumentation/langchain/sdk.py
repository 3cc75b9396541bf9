"""Which model runs an SDK instrumentor already traces, so that each call gets one span.

``ChatOpenAI`` talks through the ``openai`` SDK and ``ChatAnthropic`` through
``anthropic``. When agentotel instruments that SDK, its span for the call nests under
the LangChain step (the step's span is current around the work) and the LangChain
layer emits none. The decision is made per model class and per run, from the class
of the model that is starting the run: no flag is set that could hide a model call
somewhere else.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

# (integration package, agentotel instrumentor module, instrumentor class)
_OWNERS: tuple[tuple[str, str, str], ...] = (
    ("langchain_openai", "agentotel.instrumentation.openai", "OpenAIInstrumentor"),
    ("langchain_anthropic", "agentotel.instrumentation.anthropic", "AnthropicInstrumentor"),
)

# The model that is starting a run in this context: (class, ls_provider, ls_model_name).
# Set just before LangChain reports the run's start (from ``_get_ls_params_with_defaults``) and read
# once by the start callback, which checks that provider and model match.
_starting: ContextVar[tuple[type, Any, Any] | None] = ContextVar(
    "agentotel_langchain_starting_model", default=None
)


def note_model(instance: Any, ls_params: Any) -> None:
    """Remember the model whose run is about to start in this context."""
    get = getattr(ls_params, "get", None)
    if get is None:
        return
    _starting.set((type(instance), get("ls_provider"), get("ls_model_name")))


def take_model(metadata: Any) -> type | None:
    """The class of the model whose run is starting, if it matches ``metadata``."""
    noted = _starting.get()
    if noted is None:
        return None
    _starting.set(None)
    cls, provider, model = noted
    get = getattr(metadata, "get", None)
    if get is None or get("ls_provider") != provider or get("ls_model_name") != model:
        return None
    return cls


def traced_by_sdk(model_cls: type | None) -> bool:
    """True when the SDK under ``model_cls`` is instrumented by agentotel right now."""
    if model_cls is None:
        return False
    for klass in model_cls.__mro__:
        top = klass.__module__.partition(".")[0]
        for package, module_name, class_name in _OWNERS:
            if top == package:
                return _instrumented(module_name, class_name)
    return False


def _instrumented(module_name: str, class_name: str) -> bool:
    module = sys.modules.get(module_name)  # never imported means never instrumented
    instrumentor = getattr(module, class_name, None)
    instance = getattr(instrumentor, "_instance", None)
    return bool(getattr(instance, "_is_instrumented_by_opentelemetry", False))
