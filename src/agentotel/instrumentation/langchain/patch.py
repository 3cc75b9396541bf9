"""Wrappers that hook agentotel into LangChain and LangGraph. They build no spans.

* ``_configure``: every callback manager LangChain configures gets agentotel's handler,
  once, as an inheritable handler, so child runs reach it through inheritance.
* ``_set_config_context`` (langchain-core and langgraph): the context in which a run's
  work executes gets that run's span as the current span, so spans from instrumented
  SDKs underneath (openai, anthropic) nest under the LangChain step.
* ``BaseChatModel._generate_with_cache``: the same for the model call itself.
* ``_get_ls_params_with_defaults``: notes which model class is starting a run (see :mod:`.sdk`).
* ``Pregel.stream`` / ``astream``: gives a graph run a known id and records whether
  the graph is an agent, a workflow of agents, or a plain graph.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from agentotel import _safety
from agentotel.instrumentation.langchain import sdk
from agentotel.instrumentation.langchain.callback import AgentotelCallbackHandler
from agentotel.instrumentation.langchain.runs import (
    GRAPH_AGENT,
    GRAPH_PLAIN,
    GRAPH_WORKFLOW,
    GraphInfo,
)

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]

_MANAGER = "langchain_core.callbacks.manager"
_CORE_CONFIG = "langchain_core.runnables.config"
_CHAT = "langchain_core.language_models.chat_models"
_BASE = "langchain_core.language_models.base"
GRAPH_CONFIG = "langgraph._internal._runnable"
GRAPH_MAIN = "langgraph.pregel.main"

_CREATE_AGENT = "langchain_create_agent"


def configure_wrapper(callback: AgentotelCallbackHandler) -> Wrapper:
    """Add ``callback`` to each configured manager that does not already carry it."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        manager = wrapped(*args, **kwargs)
        if callback.telemetry is None:
            return manager
        try:
            if callback not in manager.handlers:
                manager.add_handler(callback, inherit=True)
        except Exception as exc:
            _safety.report("langchain.configure", exc)
        return manager

    return wrapper


def _attach_run_span(callback: AgentotelCallbackHandler, run_id: Any) -> None:
    span = callback.span_for(run_id)
    if span is not None:
        # The context is a copy LangChain made for this run's work and drops after it,
        # so the attachment needs no detach.
        otel_context.attach(trace.set_span_in_context(span))


def config_context_wrapper(callback: AgentotelCallbackHandler) -> Wrapper:
    """After LangChain sets a run's child config in a fresh context, make its span current."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        if callback.telemetry is None:
            return result
        try:
            config = args[0] if args else kwargs.get("config")
            callbacks = config.get("callbacks") if isinstance(config, dict) else None
            parent_run_id = getattr(callbacks, "parent_run_id", None)
            if parent_run_id is not None:
                _attach_run_span(callback, parent_run_id)
        except Exception as exc:
            _safety.report("langchain.config_context", exc)
        return result

    return wrapper


def _model_span(
    callback: AgentotelCallbackHandler, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    run_manager = kwargs.get("run_manager")
    if run_manager is None and len(args) > 2:
        run_manager = args[2]
    run = callback.runs.get(getattr(run_manager, "run_id", None))
    if run is None or run.invocation is None:
        return None
    return run.invocation.span


def generate_wrapper(callback: AgentotelCallbackHandler, is_async: bool) -> Wrapper:
    """Make a model run's own span current while the model does its work."""

    def span_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if callback.telemetry is None:
            return None
        try:
            return _model_span(callback, args, kwargs)
        except Exception as exc:
            _safety.report("langchain.generate", exc)
            return None

    if is_async:

        async def async_wrapper(
            wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            span = span_of(args, kwargs)
            if span is None:
                return await wrapped(*args, **kwargs)
            token = otel_context.attach(trace.set_span_in_context(span))
            try:
                return await wrapped(*args, **kwargs)
            finally:
                otel_context.detach(token)

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        span = span_of(args, kwargs)
        if span is None:
            return wrapped(*args, **kwargs)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            return wrapped(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return wrapper


def ls_params_wrapper(callback: AgentotelCallbackHandler) -> Wrapper:
    """Note the class of the model that is about to report a run's start."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        if callback.telemetry is not None:
            try:
                sdk.note_model(instance, result)
            except Exception as exc:
                _safety.report("langchain.ls_params", exc)
        return result

    return wrapper


# -- LangGraph graphs ---------------------------------------------------------


def _nodes(graph: Any) -> list[Any]:
    nodes = getattr(graph, "nodes", None)
    if not isinstance(nodes, dict):
        return []
    return [getattr(node, "bound", None) for node in nodes.values()]


def _is_graph(obj: Any) -> bool:
    return any(k.__name__ == "Pregel" for k in type(obj).__mro__)


def _is_agent(graph: Any) -> bool:
    config = getattr(graph, "config", None) or {}
    metadata = config.get("metadata") if isinstance(config, dict) else None
    if isinstance(metadata, dict) and metadata.get("ls_integration") == _CREATE_AGENT:
        return True
    return any(
        any(k.__name__ == "ToolNode" for k in type(bound).__mro__) for bound in _nodes(graph)
    )


def classify(graph: Any) -> GraphInfo:
    """Agent loop, workflow of agents, or plain graph: decided from the graph's nodes."""
    if _is_agent(graph):
        return GraphInfo(GRAPH_AGENT)
    for bound in _nodes(graph):
        if _is_graph(bound) and _is_agent(bound):
            return GraphInfo(GRAPH_WORKFLOW)
    return GraphInfo(GRAPH_PLAIN)


def _new_run_id() -> uuid.UUID:
    try:
        from langchain_core.utils.uuid import uuid7

        return uuid7()
    except Exception:
        return uuid.uuid4()


def graph_stream_wrapper(callback: AgentotelCallbackHandler) -> Wrapper:
    """Give the graph run an id agentotel knows, and record what kind of graph it is."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if callback.telemetry is not None:
            try:
                args, kwargs = _with_run_id(callback, instance, args, kwargs)
            except Exception as exc:
                _safety.report("langchain.graph", exc)
        return wrapped(*args, **kwargs)

    return wrapper


def _with_run_id(
    callback: AgentotelCallbackHandler,
    graph: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    positional = len(args) > 1
    config = args[1] if positional else kwargs.get("config")
    if config is not None and not isinstance(config, dict):
        return args, kwargs
    run_id = (config or {}).get("run_id")
    if run_id is None:
        run_id = _new_run_id()
        config = {**(config or {}), "run_id": run_id}
        if positional:
            args = (args[0], config, *args[2:])
        else:
            kwargs = {**kwargs, "config": config}
    if isinstance(run_id, uuid.UUID):
        callback.graphs.put(run_id, classify(graph))
    return args, kwargs


def patches(callback: AgentotelCallbackHandler) -> list[tuple[str, str, Wrapper]]:
    """(module, "Class.method", wrapper) for langchain-core."""
    return [
        (_MANAGER, "_configure", configure_wrapper(callback)),
        (_CORE_CONFIG, "_set_config_context", config_context_wrapper(callback)),
        (_CHAT, "BaseChatModel._get_ls_params_with_defaults", ls_params_wrapper(callback)),
        (_CHAT, "BaseChatModel._generate_with_cache", generate_wrapper(callback, False)),
        (_CHAT, "BaseChatModel._agenerate_with_cache", generate_wrapper(callback, True)),
        (_BASE, "BaseLanguageModel._get_ls_params_with_defaults", ls_params_wrapper(callback)),
    ]


def graph_patches(callback: AgentotelCallbackHandler) -> list[tuple[str, str, Wrapper]]:
    """(module, "Class.method", wrapper) for langgraph, applied when it is imported."""
    return [
        (GRAPH_CONFIG, "_set_config_context", config_context_wrapper(callback)),
        (GRAPH_MAIN, "Pregel.stream", graph_stream_wrapper(callback)),
        (GRAPH_MAIN, "Pregel.astream", graph_stream_wrapper(callback)),
    ]
