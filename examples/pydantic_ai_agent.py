"""A pydantic-ai agent on OpenAI, traced by agentotel: one span per run, request and tool call.

Runs offline: agentotel's scripted model answers the real openai SDK through an
in-process transport. Both the openai and the pydantic-ai instrumentors are on, as
``agentotel.instrument()`` turns them on, and each model request still gets one span.
The providers follow the user's configuration (``OTEL_EXPORTER_OTLP_ENDPOINT`` set: the
spans go there); an in-memory exporter is added beside them only to print the tree.

    python examples/pydantic_ai_agent.py
"""

from __future__ import annotations

import httpx2
import openai
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import agentotel
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport, span_tree


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        print("  " * depth + span.name)


def main() -> None:
    handle = agentotel.instrument(service_name="pydantic_ai_agent")
    exporter = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))

    scripted = ScriptedModel(
        [Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="Sunny, 21°C.")]
    )
    client = openai.AsyncOpenAI(
        api_key="sk-example",
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )
    model = OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=client))
    weather = Agent(model, name="weather", instructions="Answer briefly.")

    @weather.tool_plain
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"{city}: sunny, 21°C"

    result = weather.run_sync("What's the weather in Paris?")
    print(result.output)

    spans = exporter.get_finished_spans()
    print_tree(spans)
    chats = sum(1 for s in spans if s.name.startswith("chat "))
    print(f"spans for {len(scripted.requests)} model requests: {chats} chat spans")
    handle.force_flush()
    handle.uninstrument()


if __name__ == "__main__":
    main()
