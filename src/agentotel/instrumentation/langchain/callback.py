"""The LangChain callback handler that turns runs into agentotel invocations.

LangChain reports each run (chain, graph, node, chat model, tool, retriever) with
its id and its parent's id. Each run that carries meaning gets one invocation from
the :class:`TelemetryHandler`, started under the span of its nearest shown ancestor;
plumbing runs are remembered but not shown, unless ``verbose`` asks for every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import SpanKind

from agentotel import _safety, semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation.langchain import extract, sdk
from agentotel.instrumentation.langchain.runs import (
    GRAPH_AGENT,
    GRAPH_WORKFLOW,
    BoundedMap,
    GraphInfo,
    Run,
)
from agentotel.telemetry import (
    AgentInvocation,
    InferenceInvocation,
    Invocation,
    TelemetryHandler,
    ToolInvocation,
)
from agentotel.telemetry.wrap import guarded

InvT = TypeVar("InvT", bound=Invocation)

# LangGraph raises these to interrupt a run or jump to another graph: control flow, not errors.
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand"})

_CLOSED = "closed"  # the caller stopped iterating a stream early: not an error

# Fake chat models that run in process (their spans are INTERNAL, not CLIENT).
_IN_PROCESS_MODULE = "langchain_core.language_models.fake"


def _control_flow(error: BaseException) -> bool:
    return any(klass.__name__ in _CONTROL_FLOW for klass in type(error).__mro__)


class _StartGuard(guarded):
    __slots__ = ("callback", "parent_run_id", "run_id")

    def __init__(
        self,
        site: str,
        callback: AgentotelCallbackHandler,
        run_id: UUID,
        parent_run_id: UUID | None,
    ) -> None:
        super().__init__(site)
        self.callback = callback
        self.run_id = run_id
        self.parent_run_id = parent_run_id

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if isinstance(exc, Exception):
            try:
                self.callback._placeholder(self.run_id, self.parent_run_id)
            except Exception:
                pass
        return super().__exit__(exc_type, exc, tb)


class AgentotelCallbackHandler(BaseCallbackHandler):
    """Receives every LangChain run once (it is added as an inheritable handler).

    One instance lives for the process; instrumenting points it at a handler,
    uninstrumenting sets that to ``None`` so that copies held by long-lived callback
    managers fall silent.
    """

    run_inline = True  # run in the caller's context, in order, for async runs too

    def __init__(self) -> None:
        self.telemetry: TelemetryHandler | None = None
        self.verbose = False
        self.runs: BoundedMap[Run] = BoundedMap()
        self.graphs: BoundedMap[GraphInfo] = BoundedMap(4096)

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        return _safety.strict()  # LangChain swallows handler errors unless this is set

    @property
    def ignore_custom_event(self) -> bool:
        return True

    # -- helpers ---------------------------------------------------------------
    def span_for(self, run_id: UUID | None) -> trace.Span | None:
        """The span that work inside run ``run_id`` should be nested under."""
        run = self.runs.get(run_id)
        return run.span if run is not None else None

    def _start(self, parent: Run | None, start: Callable[[], InvT]) -> InvT:
        span = parent.span if parent is not None else None
        if span is None:
            return start()
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            return start()
        finally:
            otel_context.detach(token)

    def _remember(self, run_id: UUID, parent: Run | None, inv: Invocation | None) -> Run:
        agent = parent.agent if parent is not None else None
        if isinstance(inv, AgentInvocation):
            agent = None  # set below, once the record exists
        span = inv.span if inv is not None else (parent.span if parent is not None else None)
        run = Run(inv, span, agent)
        if isinstance(inv, AgentInvocation):
            run.agent = run
        self.runs.put(run_id, run)
        return run

    def _end(self, run_id: UUID, error: BaseException | None = None) -> Run | None:
        run = self.runs.pop(run_id)
        if run is None or run.invocation is None:
            return run
        if isinstance(error, GeneratorExit):
            run.invocation.set(semconv.AGENTOTEL_STREAM_ENDED_BY, _CLOSED)
            run.invocation.stop()
        elif error is None or _control_flow(error):
            run.invocation.stop()
        else:
            run.invocation.fail(error)
        return run

    def _telemetry(self) -> TelemetryHandler | None:
        """The handler, or ``None`` while uninstrumented or suppressed."""
        telemetry = self.telemetry
        return telemetry if telemetry is not None and is_instrumentation_enabled() else None

    def _starting(self, site: str, run_id: UUID, parent_run_id: UUID | None) -> guarded:
        """The guard for a run's start: after an internal error the run is still remembered,
        so that its children nest under its parent."""
        return _StartGuard(f"langchain.{site}", self, run_id, parent_run_id)

    def _placeholder(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        if self.runs.get(run_id) is None:
            parent = self.runs.get(parent_run_id)
            self.runs.put(run_id, Run(None, parent.span if parent is not None else None))

    # -- chains, graphs and nodes ---------------------------------------------
    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        parent_run_id, metadata = kwargs.get("parent_run_id"), kwargs.get("metadata")
        graph = self.graphs.pop(run_id)
        telemetry = self._telemetry()
        if telemetry is None:
            return
        with self._starting("chain_start", run_id, parent_run_id):
            parent = self.runs.get(parent_run_id)
            name = kwargs.get("name") or extract.serialized_name(serialized) or "chain"
            inv: Invocation | None = None
            if graph is not None and graph.kind == GRAPH_AGENT:
                inv = self._start(parent, lambda: telemetry.agent(name))
            elif graph is not None and graph.kind == GRAPH_WORKFLOW:
                inv = self._start(parent, lambda: telemetry.workflow(name))
            elif graph is not None and parent is None:
                inv = self._start(parent, lambda: telemetry.agent(name))
            elif self.verbose or parent is None or self._is_shown_node(parent, name, metadata):
                inv = self._start(parent, lambda: telemetry.step(name))
            run = self._remember(run_id, parent, inv)
            run.graph = graph

    @staticmethod
    def _is_shown_node(parent: Run, name: str, metadata: dict[str, Any] | None) -> bool:
        """A node of a graph that is not an agent loop (an agent's nodes are plumbing)."""
        graph = parent.graph
        if graph is None or graph.kind == GRAPH_AGENT:
            return False
        return bool(field(metadata, "langgraph_node") == name)

    @guarded("langchain.chain_end")
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id)

    @guarded("langchain.chain_error")
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)

    # -- models ------------------------------------------------------------------
    def on_chat_model_start(
        self, serialized: Any, messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        parent_run_id, metadata = kwargs.get("parent_run_id"), kwargs.get("metadata")
        self._model_start(
            semconv.OP_CHAT,
            messages[0] if messages else [],
            run_id,
            parent_run_id,
            metadata,
            kwargs,
        )

    def on_llm_start(
        self, serialized: Any, prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        parent_run_id, metadata = kwargs.get("parent_run_id"), kwargs.get("metadata")
        self._model_start(
            semconv.OP_TEXT_COMPLETION, prompts, run_id, parent_run_id, metadata, kwargs
        )

    def _model_start(
        self,
        operation: str,
        messages: Sequence[Any],
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        telemetry = self.telemetry
        if telemetry is None or not is_instrumentation_enabled():
            sdk.take_model(None)
            return
        with self._starting("model_start", run_id, parent_run_id):
            parent = self.runs.get(parent_run_id)
            model_cls = sdk.take_model(metadata)
            if sdk.traced_by_sdk(model_cls):
                # The SDK's instrumentor emits this call's span, under the current step.
                self._remember(run_id, parent, None)
                return
            params = kwargs.get("invocation_params") or {}
            if not isinstance(params, dict):
                params = {}
            kind = SpanKind.CLIENT
            if model_cls is not None and model_cls.__module__.startswith(_IN_PROCESS_MODULE):
                kind = SpanKind.INTERNAL
            inv = self._start(
                parent,
                lambda: telemetry.inference(
                    extract.provider(metadata, params),
                    extract.request_model(metadata, params),
                    operation,
                    attributes=extract.request_attributes(metadata, params),
                    kind=kind,
                ),
            )
            if inv.capture_content:
                if operation == semconv.OP_CHAT:
                    inv.input_messages, inv.system_instructions = extract.input_messages(messages)
                else:
                    inv.input_messages = [
                        {"role": "user", "parts": [{"type": semconv.PART_TEXT, "content": p}]}
                        for p in messages
                    ]
                inv.tool_definitions = extract.tool_definitions(params)
            self._remember(run_id, parent, inv)

    @guarded("langchain.llm_new_token")
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        inv = run.invocation
        if isinstance(inv, InferenceInvocation):
            if run.chunks == 0:
                inv.set(semconv.GEN_AI_REQUEST_STREAM, True)
            inv.chunk()
        run.chunks += 1

    @guarded("langchain.llm_end")
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self.runs.pop(run_id)
        if run is None:
            return
        inv = run.invocation
        model_inv = inv if isinstance(inv, InferenceInvocation) else None
        input_tokens, output_tokens = extract.llm_result(model_inv, response)
        agent = run.agent.invocation if run.agent is not None else None
        if isinstance(agent, AgentInvocation):
            if input_tokens is not None:
                agent.input_tokens = (agent.input_tokens or 0) + input_tokens
            if output_tokens is not None:
                agent.output_tokens = (agent.output_tokens or 0) + output_tokens
        if inv is not None:
            inv.stop()

    @guarded("langchain.llm_error")
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)

    # -- tools -------------------------------------------------------------------
    def on_tool_start(
        self, serialized: Any, input_str: str, *, run_id: UUID, **kwargs: Any
    ) -> None:
        parent_run_id = kwargs.get("parent_run_id")
        inputs = kwargs.get("inputs")
        telemetry = self._telemetry()
        if telemetry is None:
            return
        with self._starting("tool_start", run_id, parent_run_id):
            parent = self.runs.get(parent_run_id)
            name = extract.serialized_name(serialized) or kwargs.get("name") or "tool"
            call_id = kwargs.get("tool_call_id")
            description = field(serialized, "description")
            inv = self._start(
                parent,
                lambda: telemetry.tool(
                    str(name),
                    call_id if isinstance(call_id, str) else None,
                    description if isinstance(description, str) else None,
                ),
            )
            if inv.capture_content:
                inv.arguments = inputs if inputs is not None else input_str
            self._remember(run_id, parent, inv)

    @guarded("langchain.tool_end")
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        inv = run.invocation if run is not None else None
        if isinstance(inv, ToolInvocation):
            if inv.capture_content:
                inv.result = extract.tool_result(output)
            if extract.tool_status_error(output):
                self.runs.pop(run_id)
                inv.fail(semconv.ERROR_TYPE_OTHER)
                return
        self._end(run_id)

    @guarded("langchain.tool_error")
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)

    # -- retrievers --------------------------------------------------------------
    def on_retriever_start(
        self, serialized: Any, query: str, *, run_id: UUID, **kwargs: Any
    ) -> None:
        parent_run_id = kwargs.get("parent_run_id")
        telemetry = self._telemetry()
        if telemetry is None:
            return
        with self._starting("retriever_start", run_id, parent_run_id):
            parent = self.runs.get(parent_run_id)
            name = kwargs.get("name") or extract.serialized_name(serialized) or "retriever"
            attrs = {
                semconv.GEN_AI_OPERATION_NAME: semconv.OP_RETRIEVAL,
                semconv.GEN_AI_DATA_SOURCE_ID: name,
            }
            inv = self._start(
                parent, lambda: telemetry.step(f"{semconv.OP_RETRIEVAL} {name}", attrs)
            )
            self._remember(run_id, parent, inv)

    @guarded("langchain.retriever_end")
    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id)

    @guarded("langchain.retriever_error")
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)
