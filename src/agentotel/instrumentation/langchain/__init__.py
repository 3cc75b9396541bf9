"""Instrumentation for LangChain and LangGraph: agents, chains, models and tools as one trace.

agentotel's callback handler is added to every callback manager LangChain configures,
so every run reaches it with no change to user code. See ``docs/langchain.md`` for the
mapping from runs to spans.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import TYPE_CHECKING, Any

import wrapt

from agentotel import _safety
from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.langchain.package import _instruments
from agentotel.telemetry import TelemetryHandler

if TYPE_CHECKING:
    from agentotel.instrumentation.langchain.callback import AgentotelCallbackHandler

__all__ = ["LangChainInstrumentor"]

_log = logging.getLogger("agentotel")
_GRAPH_MODULES = ("langgraph._internal._runnable", "langgraph.pregel.main")

VERBOSE_ENV = "AGENTOTEL_LANGCHAIN_VERBOSE"
"""Set to ``1``/``true`` to show every chain and graph node (same as ``verbose=True``)."""


class LangChainInstrumentor(AgentotelInstrumentor):
    """Emits ``invoke_agent``, ``chat``, ``execute_tool`` and step spans for LangChain runs.

    Usable alone, like any OpenTelemetry instrumentor::

        LangChainInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    ``verbose=True`` (or ``AGENTOTEL_LANGCHAIN_VERBOSE=1``) shows every chain and graph
    node as a span, not only those that carry meaning.
    """

    name = "langchain"
    module = "langchain_core"
    instruments = _instruments

    def __init__(self) -> None:
        super().__init__()
        if not hasattr(self, "_callback"):
            self._callback: AgentotelCallbackHandler | None = None
            self._verbose = False
            self._graph_patched: set[str] = set()

    @property
    def callback(self) -> AgentotelCallbackHandler:
        """The one callback handler this instrumentor adds to LangChain's callback managers."""
        if self._callback is None:
            from agentotel.instrumentation.langchain.callback import AgentotelCallbackHandler

            self._callback = AgentotelCallbackHandler()
        return self._callback

    def _instrument(self, **kwargs: Any) -> None:
        verbose = kwargs.get("verbose")
        if verbose is None:
            verbose = os.environ.get(VERBOSE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
        self._verbose = bool(verbose)
        super()._instrument(**kwargs)

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        from agentotel.instrumentation.langchain.patch import patches

        return patches(self.callback)

    def on_patched(self, handler: TelemetryHandler) -> None:
        callback = self.callback
        callback.verbose = self._verbose
        callback.telemetry = handler
        for module in _GRAPH_MODULES:
            wrapt.register_post_import_hook(self._on_graph_import, module)

    def _on_graph_import(self, module: Any) -> None:
        name = getattr(module, "__name__", "")
        if not self._active or name in self._graph_patched:
            return
        self._graph_patched.add(name)
        try:
            from agentotel.instrumentation.langchain.patch import graph_patches

            for module_name, attr, factory in graph_patches(self.callback):
                if module_name == name:
                    self._wrap(module_name, attr, factory)
        except Exception as exc:
            _safety.report("langchain.graph_patch", exc)

    def _wrap(self, module_name: str, attr: str, factory: Wrapper) -> None:
        try:
            owner: Any = importlib.import_module(module_name)
            owner_name, _, method = attr.rpartition(".")
            for part in owner_name.split(".") if owner_name else ():
                owner = getattr(owner, part)
            if not hasattr(owner, method):
                return  # feature-detect: other releases may lack it
            wrapt.wrap_function_wrapper(owner, method, factory)
            self._wrapped.append((owner, method))
        except Exception as exc:
            _log.debug("agentotel: could not patch %s.%s: %s", module_name, attr, exc)

    def on_unpatched(self) -> None:
        self._graph_patched.clear()
        callback = self._callback
        if callback is not None:
            callback.telemetry = None
            callback.runs.clear()
            callback.graphs.clear()
