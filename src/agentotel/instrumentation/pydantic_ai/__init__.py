"""Instrumentation for pydantic-ai agents: runs, model requests and tool calls."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import wrapt

from agentotel import _safety
from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.pydantic_ai.package import _instruments
from agentotel.telemetry import TelemetryHandler

__all__ = ["PydanticAIInstrumentor"]

_log = logging.getLogger("agentotel")


class PydanticAIInstrumentor(AgentotelInstrumentor):
    """Emits ``invoke_agent``, ``chat`` and ``execute_tool`` spans for every pydantic-ai run.

    Usable alone, like any OpenTelemetry instrumentor::

        PydanticAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    While active it stands in for pydantic-ai's own instrumentation, and the openai and
    anthropic instrumentors stand down for the SDK calls pydantic-ai's models make inside
    its ``chat`` spans, so each model request is reported once.
    """

    name = "pydantic_ai"
    module = "pydantic_ai"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        try:
            # Imported here: the patch module needs pydantic-ai, which is loaded by now.
            from agentotel.instrumentation.pydantic_ai.patch import patches

            result: list[tuple[str, str, Any]] = patches(handler)
        except Exception as exc:  # an unexpected pydantic-ai layout costs telemetry only
            _safety.report("pydantic_ai.patches", exc)
            return []
        return result

    def on_patched(self, handler: TelemetryHandler) -> None:
        from agentotel.instrumentation.pydantic_ai.models import MODEL_CLASSES

        # Not imported here: a model module loads its provider SDK. Patched when the
        # application imports it, or at once if it already has.
        for module in MODEL_CLASSES:
            wrapt.register_post_import_hook(self._on_model_import, module)

    def _on_model_import(self, module: Any) -> None:
        from agentotel.instrumentation.pydantic_ai.models import patches

        if not self._active:
            return
        for module_name, attr, factory in patches(getattr(module, "__name__", "")):
            try:
                owner: Any = importlib.import_module(module_name)
                cls_name, _, method = attr.partition(".")
                owner = getattr(owner, cls_name)
                if not hasattr(owner, method) or (owner, method) in self._wrapped:
                    continue
                wrapt.wrap_function_wrapper(owner, method, factory)
                self._wrapped.append((owner, method))
            except Exception as exc:
                _log.debug("agentotel: could not patch %s.%s: %s", module_name, attr, exc)
