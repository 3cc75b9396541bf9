"""Benchmark workloads: real SDK calls answered by an in-process httpx2 mock transport.

Only the standard library and httpx2 are imported at module level, so the file runs unchanged in
every peer's virtual environment; each workload imports its SDK when it is built. The canned
responses are fixed bytes built once, so every peer sees byte-identical traffic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2

WORKLOADS = (
    "openai_chat",
    "openai_stream",
    "anthropic_messages",
    "langchain_agent",
    "google_genai_generate",
    "openai_agents",
    "bedrock_converse",
)
"""Workload names, in report order."""

STREAM_CHUNKS = 50
MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
GEMINI_MODEL = "gemini-2.5-flash"

Call = Callable[[], object]


def _json_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _chat_completion(message: dict[str, Any], finish_reason: str) -> bytes:
    return _json_bytes(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            "system_fingerprint": "fp_bench",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
            ],
            "usage": {"prompt_tokens": 24, "completion_tokens": 12, "total_tokens": 36},
        }
    )


CHAT_BODY = _chat_completion(
    {"role": "assistant", "content": "The capital of France is Paris.", "refusal": None}, "stop"
)

TOOL_CALL_BODY = _chat_completion(
    {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": "call_bench_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    "tool_calls",
)

FINAL_BODY = _chat_completion(
    {"role": "assistant", "content": "It is sunny and 21 C in Paris.", "refusal": None}, "stop"
)


def _stream_body(chunks: int) -> bytes:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "system_fingerprint": "fp_bench",
    }
    events: list[bytes] = []

    def event(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> None:
        events.append(
            b"data: " + _json_bytes({**base, "choices": choices, "usage": usage}) + b"\n\n"
        )

    event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    for i in range(chunks):
        event([{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}])
    event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
    event([], {"prompt_tokens": 24, "completion_tokens": chunks, "total_tokens": 24 + chunks})
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


STREAM_BODY = _stream_body(STREAM_CHUNKS)

ANTHROPIC_BODY = _json_bytes(
    {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": "The capital of France is Paris."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 24, "output_tokens": 12},
    }
)

GEMINI_BODY = _json_bytes(
    {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "The capital of France is Paris."}],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 24,
            "candidatesTokenCount": 12,
            "totalTokenCount": 36,
        },
        "modelVersion": GEMINI_MODEL,
        "responseId": "resp-bench",
    }
)

_JSON = {"content-type": "application/json"}
_SSE = {"content-type": "text/event-stream"}


def openai_handler(request: httpx2.Request) -> httpx2.Response:
    """Answer /chat/completions: a stream, a tool call, or the final answer after a tool result."""
    body = request.content
    if b'"stream":true' in body.replace(b" ", b""):
        return httpx2.Response(200, headers=_SSE, content=STREAM_BODY)
    if b"get_weather" in body and b'"role":"tool"' not in body.replace(b" ", b""):
        return httpx2.Response(200, headers=_JSON, content=TOOL_CALL_BODY)
    if b'"role":"tool"' in body.replace(b" ", b""):
        return httpx2.Response(200, headers=_JSON, content=FINAL_BODY)
    return httpx2.Response(200, headers=_JSON, content=CHAT_BODY)


def anthropic_handler(request: httpx2.Request) -> httpx2.Response:
    """Answer /v1/messages with one fixed message."""
    return httpx2.Response(200, headers=_JSON, content=ANTHROPIC_BODY)


def gemini_handler(request: httpx2.Request) -> httpx2.Response:
    """Answer :generateContent with one fixed response."""
    return httpx2.Response(200, headers=_JSON, content=GEMINI_BODY)


def _openai_client() -> Any:
    import openai

    http = httpx2.Client(transport=httpx2.MockTransport(openai_handler))
    return openai.OpenAI(api_key="sk-bench", base_url="http://mock.invalid/v1", http_client=http)


MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]


def openai_chat() -> Call:
    """One non-streaming chat completion per call."""
    client = _openai_client()

    def call() -> object:
        return client.chat.completions.create(
            model=MODEL, messages=MESSAGES, max_tokens=64, temperature=0.2
        )

    return call


def openai_stream() -> Call:
    """One streamed chat completion of 50 content chunks (plus a usage chunk), fully consumed."""
    client = _openai_client()

    def call() -> object:
        stream = client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            max_tokens=64,
            stream=True,
            stream_options={"include_usage": True},
        )
        n = 0
        for _chunk in stream:
            n += 1
        return n

    return call


def anthropic_messages() -> Call:
    """One Anthropic messages.create per call (the SDK's own tracing is switched off)."""
    import anthropic

    http = httpx2.Client(transport=httpx2.MockTransport(anthropic_handler))
    kwargs: dict[str, Any] = {"api_key": "sk-bench", "http_client": http}
    client = anthropic.Anthropic(base_url="http://mock.invalid", **kwargs)
    user: Any = [{"role": "user", "content": "What is the capital of France?"}]

    def call() -> object:
        return client.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=user)

    return call


def langchain_agent() -> Call:
    """One tool-calling agent turn: model asks for a tool, the tool runs, the model answers."""
    from langchain.agents import create_agent
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str) -> str:
        """Return the weather for a city."""
        return f"Sunny, 21 C in {city}."

    http = httpx2.Client(transport=httpx2.MockTransport(openai_handler))
    model = ChatOpenAI(
        model=MODEL,
        api_key="sk-bench",  # type: ignore[arg-type]
        base_url="http://mock.invalid/v1",
        http_client=http,
        max_retries=0,
    )
    agent = create_agent(model, tools=[get_weather])
    question: Any = {"messages": [{"role": "user", "content": "What is the weather in Paris?"}]}

    def call() -> object:
        return agent.invoke(question)

    return call


def google_genai_generate() -> Call:
    """One Gemini API generate_content per call (google-genai, its own httpx2 client)."""
    from google import genai
    from google.genai import types

    http = httpx2.Client(transport=httpx2.MockTransport(gemini_handler))
    options = types.HttpOptions(base_url="http://mock.invalid", httpx_client=http)
    client = genai.Client(api_key="bench", http_options=options)
    config = types.GenerateContentConfig(
        system_instruction="You are a terse assistant.", max_output_tokens=64, temperature=0.2
    )

    def call() -> object:
        return client.models.generate_content(
            model=GEMINI_MODEL, contents="What is the capital of France?", config=config
        )

    return call


HANDOFF_BODY = _chat_completion(
    {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": "call_bench_2",
                "type": "function",
                "function": {"name": "transfer_to_writer", "arguments": "{}"},
            }
        ],
    },
    "tool_calls",
)


def agents_handler(request: httpx2.Request) -> httpx2.Response:
    """The Agents SDK run: a tool call, then a handoff, then the second agent's answer."""
    results = request.content.replace(b" ", b"").count(b'"role":"tool"')
    body = (TOOL_CALL_BODY, HANDOFF_BODY)[results] if results < 2 else FINAL_BODY
    return httpx2.Response(200, headers=_JSON, content=body)


def openai_agents() -> Call:
    """One OpenAI Agents SDK run (``Runner.run_sync``) on the chat-completions model: the
    first agent calls a tool, then hands off to a second agent, which answers (3 model calls).

    The SDK's own trace processors (by default an upload to OpenAI) are removed for every
    peer alike; peers that hook the SDK's tracing add theirs when they instrument.
    """
    import openai
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool
    from agents.tracing import set_trace_processors

    set_trace_processors([])

    @function_tool
    def get_weather(city: str) -> str:
        """Return the weather for a city."""
        return f"Sunny, 21 C in {city}."

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(agents_handler))
    client = openai.AsyncOpenAI(
        api_key="sk-bench", base_url="http://mock.invalid/v1", http_client=http, max_retries=0
    )
    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=client)
    writer = Agent(name="writer", instructions="Answer in one sentence.", model=model)
    weather = Agent(
        name="weather",
        instructions="Look the weather up, then hand off.",
        tools=[get_weather],
        handoffs=[writer],
        model=model,
    )

    def call() -> object:
        return Runner.run_sync(weather, "What is the weather in Paris?").final_output

    return call


CONVERSE_BODY = _json_bytes(
    {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"text": "The capital of France is Paris."}],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 24, "outputTokens": 12, "totalTokens": 36},
        "metrics": {"latencyMs": 120},
    }
)


class _Raw:
    """The raw HTTP body botocore reads a response from (``stream()``)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        return iter((self._body,))


def bedrock_converse() -> Call:
    """One Bedrock Converse call through boto3, answered in process by botocore's
    ``before-send`` event (no socket).

    Several peers instrument clients as they are created and leave existing clients
    as they are, so the client is made again whenever the functions they wrap change
    (once per instrument/uninstrument toggle, never per call).
    """
    import boto3
    import botocore.client
    import botocore.session
    from botocore.awsrequest import AWSResponse

    session = boto3.session.Session(
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench", region_name="us-east-1"
    )
    headers = {"content-type": "application/json", "x-amzn-requestid": "req-bench"}

    def answer(request: Any, **_kwargs: Any) -> Any:
        return AWSResponse(request.url, 200, headers, _Raw(CONVERSE_BODY))

    # Read from the class dicts: a wrapper read as a class attribute may be a new bound
    # object on every access.
    wrapped = (
        (botocore.client.ClientCreator, "create_client"),
        (botocore.session.Session, "create_client"),
        (boto3.session.Session, "client"),
        (botocore.client.BaseClient, "_make_api_call"),
    )

    def fingerprint() -> tuple[int, ...]:
        return tuple(id(vars(cls).get(name)) for cls, name in wrapped)

    state: dict[str, Any] = {"key": None, "client": None}
    messages = [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]
    system = [{"text": "You are a terse assistant."}]

    def call() -> object:
        key = fingerprint()
        if key != state["key"]:
            client = session.client("bedrock-runtime")
            client.meta.events.register("before-send.bedrock-runtime.Converse", answer)
            state["key"], state["client"] = key, client
        return state["client"].converse(
            modelId=BEDROCK_MODEL,
            messages=messages,
            system=system,
            inferenceConfig={"maxTokens": 64, "temperature": 0.2},
        )

    return call


BUILDERS: dict[str, Callable[[], Call]] = {
    "openai_chat": openai_chat,
    "openai_stream": openai_stream,
    "anthropic_messages": anthropic_messages,
    "langchain_agent": langchain_agent,
    "google_genai_generate": google_genai_generate,
    "openai_agents": openai_agents,
    "bedrock_converse": bedrock_converse,
}

SDK_MODULES: dict[str, tuple[str, ...]] = {
    "openai_chat": ("openai",),
    "openai_stream": ("openai",),
    "anthropic_messages": ("anthropic",),
    "langchain_agent": ("openai", "langchain_openai", "langchain.agents", "langchain_core.tools"),
    "google_genai_generate": ("google.genai",),
    "openai_agents": ("openai", "agents"),
    "bedrock_converse": ("boto3", "botocore.awsrequest"),
}
"""Modules each workload imports, loaded before the instrumentation so its import time is alone."""


def build(name: str) -> Call:
    """The call function for workload `name`."""
    return BUILDERS[name]()
