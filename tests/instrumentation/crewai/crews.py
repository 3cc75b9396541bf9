"""Small crews and flows the tests run against a scripted model."""

from __future__ import annotations

from typing import Any, ClassVar

from crewai import LLM, Agent, Crew, Process, Task
from crewai.flow.flow import Flow, listen, start
from crewai.tools import tool


@tool("add")
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool("explode")
def explode(reason: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"boom: {reason}")


def llm(base_url: str) -> LLM:
    return LLM(model="openai/gpt-4o-mini", base_url=base_url, api_key="test-key")


def sequential(base_url: str, tools: list[Any] | None = None, **task: Any) -> Crew:
    """Researcher (with a tool) then Writer."""
    model = llm(base_url)
    researcher = Agent(
        role="Researcher",
        goal="Find numbers",
        backstory="Careful.",
        llm=model,
        tools=tools if tools is not None else [add],
        **task.pop("agent", {}),
    )
    writer = Agent(role="Writer", goal="Write it up", backstory="Terse.", llm=model)
    first = Task(
        description="Add 1 and 2 (secret-task-text)",
        expected_output="A number",
        agent=researcher,
        **task,
    )
    second = Task(description="Summarise the result", expected_output="One line", agent=writer)
    return Crew(agents=[researcher, writer], tasks=[first, second], name="numbers")


def hierarchical(base_url: str) -> Crew:
    model = llm(base_url)
    worker = Agent(role="Analyst", goal="Analyse", backstory="Sharp.", llm=model)
    job = Task(description="Analyse the data", expected_output="A finding")
    return Crew(
        agents=[worker],
        tasks=[job],
        process=Process.hierarchical,
        manager_llm=model,
        name="managed",
    )


class PoemFlow(Flow[dict[str, Any]]):
    """Two steps: pick a topic, then have a one-agent crew write about it."""

    base_url: ClassVar[str] = ""

    @start()
    def pick_topic(self) -> str:
        return "otters"

    @listen(pick_topic)
    def write(self, topic: str) -> str:
        agent = Agent(role="Poet", goal="Write", backstory="Lyrical.", llm=llm(self.base_url))
        task = Task(description=f"A line on {topic}", expected_output="One line", agent=agent)
        return str(Crew(agents=[agent], tasks=[task], name="poem").kickoff().raw)
