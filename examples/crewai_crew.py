"""A two-agent CrewAI crew with a tool, traced by agentotel: one trace per kickoff.

Runs offline: CrewAI's own OpenAI LLM class talks to agentotel's scripted model
server on 127.0.0.1, with no key and no network. The openai and crewai
instrumentors are both on, as ``agentotel.instrument()`` turns them on, and each
model request still gets exactly one ``chat`` span. Needs ``agentotel[crewai]``.

    python examples/crewai_crew.py
"""

from __future__ import annotations

import os

# CrewAI's anonymous telemetry is the user's choice; this example keeps it off.
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")

from crewai import LLM, Agent, Crew, Task
from crewai.tools import tool
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel.instrumentation.crewai import CrewAIInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.testing import Reply, ScriptedModelServer, ToolCall, span_tree


@tool("get_weather")
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny, 21°C"


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        print("  " * depth + span.name)


def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # agentotel.instrument() does this for every installed library; here by hand, on our provider.
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    CrewAIInstrumentor().instrument(tracer_provider=provider)

    script = [
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1")]),
        Reply(text="Paris is sunny, 21°C."),
        Reply(text="Pack sunglasses."),
    ]
    with ScriptedModelServer(script) as server:
        llm = LLM(model="openai/gpt-4o-mini", base_url=server.openai_base_url, api_key="unused")
        scout = Agent(
            role="Scout", goal="Check the weather", backstory="Brief.", llm=llm, tools=[get_weather]
        )
        advisor = Agent(role="Advisor", goal="Give packing advice", backstory="Brief.", llm=llm)
        crew = Crew(
            name="trip",
            agents=[scout, advisor],
            tasks=[
                Task(description="Weather in Paris?", expected_output="One line", agent=scout),
                Task(description="What to pack?", expected_output="One line", agent=advisor),
            ],
        )
        print(crew.kickoff().raw)
        requests = len(server.model.requests)

    spans = exporter.get_finished_spans()
    print_tree(spans)
    chats = sum(1 for s in spans if s.name.startswith("chat "))
    print(f"spans for {requests} model requests: {chats} chat spans")


if __name__ == "__main__":
    main()
