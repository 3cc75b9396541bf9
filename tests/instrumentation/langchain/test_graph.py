"""LangGraph graphs, runnables, threads and tasks: parents survive every hop."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import SpanKind

from agentotel import semconv
from agentotel.instrumentation.langchain import LangChainInstrumentor
from tests.conftest import tree
from tests.instrumentation.langchain.helpers import kinds, one, one_trace, parent_of
from tests.instrumentation.langchain.models import ScriptedChat, reply

Spans = Callable[[], tuple[ReadableSpan, ...]]
CHAT = "chat scripted-1"


class State(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def _subgraph() -> Any:
    sub = StateGraph(State)
    sub.add_node("inner", lambda s: {"x": s["x"] + 1, "log": ["inner"]})
    sub.add_edge(START, "inner")
    sub.add_edge("inner", END)
    return sub.compile(name="sub")


def test_custom_graph_with_nested_subgraph(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    graph = StateGraph(State)
    graph.add_node("outer", lambda s: {"x": s["x"] * 2, "log": ["outer"]})
    graph.add_node("child", _subgraph())
    graph.add_edge(START, "outer")
    graph.add_edge("outer", "child")
    graph.add_edge("child", END)
    result = graph.compile(name="pipeline").invoke({"x": 1, "log": []})
    assert result["x"] == 3
    got = spans()
    one_trace(got)
    assert tree(got) == ["invoke_agent pipeline", "  outer", "  child", "    inner"]
    assert set(kinds(got).values()) == {SpanKind.INTERNAL}
    step = one(got, "outer")
    assert step.attributes is not None
    assert step.attributes[semconv.AGENTOTEL_STEP_NAME] == "outer"


def test_verbose_shows_every_run(
    instrument: Callable[..., LangChainInstrumentor], spans: Spans
) -> None:
    instrument(verbose=True)
    graph = StateGraph(State)
    graph.add_node("child", _subgraph())
    graph.add_edge(START, "child")
    graph.add_edge("child", END)
    graph.compile(name="pipeline").invoke({"x": 1, "log": []})
    assert tree(spans()) == ["invoke_agent pipeline", "  child", "    sub", "      inner"]


def test_agent_nodes_are_hidden_unless_verbose(
    instrument: Callable[..., LangChainInstrumentor], spans: Spans
) -> None:
    instrument(verbose=True)
    model = ScriptedChat(replies=[reply("hi")])
    create_agent(model, [], name="solo").invoke({"messages": [("user", "go")]})
    assert tree(spans()) == ["invoke_agent solo", "  model", f"    {CHAT}"]


def test_workflow_of_agents(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    class Msgs(TypedDict):
        messages: Annotated[list[Any], operator.add]

    researcher = create_agent(ScriptedChat(replies=[reply("facts")]), [], name="researcher")
    writer = create_agent(ScriptedChat(replies=[reply("essay")]), [], name="writer")
    graph = StateGraph(Msgs)
    graph.add_node("research", researcher)
    graph.add_node("write", writer)
    graph.add_edge(START, "research")
    graph.add_edge("research", "write")
    graph.add_edge("write", END)
    graph.compile(name="team").invoke({"messages": [("user", "topic")]})
    got = spans()
    one_trace(got)
    assert tree(got) == [
        "invoke_workflow team",
        "  research",
        "    invoke_agent researcher",
        f"      {CHAT}",
        "  write",
        "    invoke_agent writer",
        f"      {CHAT}",
    ]
    wf = one(got, "invoke_workflow team").attributes
    assert wf is not None and wf[semconv.GEN_AI_WORKFLOW_NAME] == "team"


def test_root_chain_and_runnable_parallel_in_threads(
    instrumented: LangChainInstrumentor, spans: Spans, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("test")

    def branch(label: str) -> Callable[[str], str]:
        def work(text: str) -> str:
            # A span from code under the branch (as an SDK instrumentor would make).
            with tracer.start_as_current_span(f"work {label}"):
                return text + label

        return work

    model_a = ScriptedChat(replies=[reply("A")])
    model_b = ScriptedChat(replies=[reply("B")])
    parallel = RunnableParallel(
        a=RunnableLambda(branch("a")) | model_a,
        b=RunnableLambda(branch("b")) | model_b,
    ).with_config(run_name="fanout")
    out = parallel.invoke("x")
    assert out["a"].content == "A" and out["b"].content == "B"
    got = spans()
    one_trace(got)
    root = one(got, "fanout")
    assert parent_of(got, root) is None
    for label in ("a", "b"):
        assert parent_of(got, one(got, f"work {label}")) is root
    assert sorted(tree(got)) == sorted(["fanout", "  work a", "  work b", f"  {CHAT}", f"  {CHAT}"])


def test_concurrent_steps_each_traced(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    """Two steps running at once: every model call is traced, under its own step."""

    class S(TypedDict):
        out: Annotated[list[str], operator.add]

    def node(name: str, model: ScriptedChat) -> Callable[[S], Any]:
        async def run(state: S) -> dict[str, list[str]]:
            message = await model.ainvoke("q")
            await asyncio.sleep(0)
            return {"out": [f"{name}:{message.content}"]}

        return run

    graph = StateGraph(S)
    graph.add_node("left", node("left", ScriptedChat(replies=[reply("L")])))
    graph.add_node("right", node("right", ScriptedChat(replies=[reply("R")])))
    graph.add_edge(START, "left")
    graph.add_edge(START, "right")
    graph.add_edge("left", END)
    graph.add_edge("right", END)
    result = asyncio.run(graph.compile(name="fan").ainvoke({"out": []}))
    assert sorted(result["out"]) == ["left:L", "right:R"]
    got = spans()
    one_trace(got)
    lines = tree(got)
    assert lines[0] == "invoke_agent fan"
    assert sorted(lines[1:]) == sorted(["  left", f"    {CHAT}", "  right", f"    {CHAT}"])
    for step in ("left", "right"):
        children = [s for s in got if parent_of(got, s) is one(got, step)]
        assert [c.name for c in children] == [CHAT]


async def test_sync_tool_under_async_graph_and_to_thread(
    instrumented: LangChainInstrumentor, spans: Spans, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("test")

    @tool
    def lookup(key: str) -> str:
        """Sync tool: LangChain runs it in a worker thread under an async graph."""
        with tracer.start_as_current_span("db query"):
            return key.upper()

    @tool
    async def fetch(url: str) -> str:
        """Async tool that pushes blocking work to a thread."""

        def blocking() -> str:
            with tracer.start_as_current_span("http get"):
                return url[::-1]

        return await asyncio.to_thread(blocking)

    model = ScriptedChat(
        replies=[
            reply(calls=[("lookup", {"key": "k"}, "c1"), ("fetch", {"url": "u"}, "c2")]),
            reply("done"),
        ]
    )
    await create_agent(model, [lookup, fetch], name="async-agent").ainvoke(
        {"messages": [("user", "go")]}
    )
    got = spans()
    one_trace(got)
    assert parent_of(got, one(got, "db query")) is one(got, "execute_tool lookup")
    assert parent_of(got, one(got, "http get")) is one(got, "execute_tool fetch")
    for name in ("execute_tool lookup", "execute_tool fetch"):
        assert parent_of(got, one(got, name)) is one(got, "invoke_agent async-agent")


def test_retriever(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    class Docs(BaseRetriever):
        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[Document]:
            return [Document(page_content=query)]

    chain = (Docs() | RunnableLambda(lambda docs: docs[0].page_content)).with_config(run_name="rag")
    assert chain.invoke("q") == "q"
    got = spans()
    assert tree(got) == ["rag", "  retrieval Docs"]
    attrs = one(got, "retrieval Docs").attributes
    assert attrs is not None
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_RETRIEVAL
    assert attrs[semconv.GEN_AI_DATA_SOURCE_ID] == "Docs"


def test_prebuilt_react_agent(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    from langgraph.prebuilt import create_react_agent

    @tool
    def echo(text: str) -> str:
        """Echo the text."""
        return text

    model = ScriptedChat(replies=[reply(calls=[("echo", {"text": "hi"}, "c1")]), reply("hi")])
    create_react_agent(model, [echo], name="echoer").invoke({"messages": [("user", "x")]})
    assert tree(spans()) == [
        "invoke_agent echoer",
        f"  {CHAT}",
        "  execute_tool echo",
        f"  {CHAT}",
    ]


def test_graph_interrupt_is_not_an_error(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import interrupt

    class S(TypedDict):
        answer: str

    graph = StateGraph(S)
    graph.add_node("ask", lambda s: {"answer": interrupt("question?")})
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    app = graph.compile(name="asker", checkpointer=InMemorySaver())
    app.invoke({"answer": ""}, config={"configurable": {"thread_id": "t"}})
    got = spans()
    assert tree(got) == ["invoke_agent asker", "  ask"]
    from opentelemetry.trace import StatusCode

    assert all(s.status.status_code is StatusCode.UNSET for s in got)
