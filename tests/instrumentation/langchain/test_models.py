"""Model runs outside agents: LangChain's own fake models, text-completion LLMs, chains."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.language_models import FakeListChatModel, FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from agentotel import semconv
from agentotel.instrumentation.langchain import LangChainInstrumentor
from tests.conftest import tree
from tests.instrumentation.langchain.helpers import one

Spans = Callable[[], tuple[ReadableSpan, ...]]


def test_prompt_model_parser_chain(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    chain = (
        ChatPromptTemplate.from_messages([("system", "terse"), ("user", "{q}")])
        | FakeListChatModel(responses=["pong"])
        | StrOutputParser()
    ).with_config(run_name="ping")
    assert chain.invoke({"q": "ping"}) == "pong"
    got = spans()
    assert tree(got) == ["ping", "  chat"]
    chat = one(got, "chat")
    assert chat.kind is SpanKind.INTERNAL  # an in-process fake, not a remote call
    assert chat.attributes is not None
    assert chat.attributes[semconv.GEN_AI_PROVIDER_NAME] == "fakelistchatmodel"


def test_text_completion_llm(
    instrument: Callable[..., LangChainInstrumentor], spans: Spans
) -> None:
    instrument(capture_content=True)
    assert FakeListLLM(responses=["four"]).invoke("2+2?") == "four"
    span = one(spans(), "text_completion")
    assert span.attributes is not None
    assert span.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_TEXT_COMPLETION
    assert '"content":"2+2?"' in str(span.attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert '"content":"four"' in str(span.attributes[semconv.GEN_AI_OUTPUT_MESSAGES])


def test_batch_calls_are_separate_traces(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    model = FakeListChatModel(responses=["a", "b", "c"])
    model.batch(["1", "2", "3"])
    got = spans()
    assert [s.name for s in got] == ["chat"] * 3
    assert len({s.context.trace_id for s in got}) == 3
