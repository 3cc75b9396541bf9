"""What the callback handler remembers between a run's start and its end.

LangChain reports every run by id with the id of its parent run. The handler keeps
one :class:`Run` per live run so that a child's span can be parented to its parent
run's span (or, when the parent is not shown, to the nearest ancestor that is). The
maps are bounded and entries leave on end or error, so a run LangChain never ends
cannot make them grow without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from opentelemetry.trace import Span

from agentotel.telemetry import Invocation

MAX_RUNS = 65536
"""Live runs remembered at most; the oldest are forgotten first."""

GRAPH_AGENT = "agent"
GRAPH_WORKFLOW = "workflow"
GRAPH_PLAIN = "graph"


@dataclass(frozen=True, slots=True)
class GraphInfo:
    """How a LangGraph graph run maps to spans.

    ``kind`` is ``agent`` (a tool-calling loop: ``create_agent``, ``create_react_agent``
    or a graph with a ``ToolNode``), ``workflow`` (a graph whose nodes are agents) or
    ``graph`` (anything else).
    """

    kind: str


@dataclass(slots=True)
class Run:
    """One live LangChain run.

    ``invocation`` is the invocation this run owns, ``None`` when the run is not
    shown. ``span`` is where children hang: the run's own span, or the nearest
    shown ancestor's. ``agent`` is the nearest agent or workflow run, which adds
    up the token usage of the model calls under it. ``graph`` is set when the run
    is a LangGraph graph.
    """

    invocation: Invocation | None
    span: Span | None
    agent: Run | None = None
    graph: GraphInfo | None = None
    chunks: int = 0


V = TypeVar("V")


class BoundedMap(Generic[V]):
    """A thread-safe ``run_id -> value`` map that forgets its oldest entries past ``limit``."""

    __slots__ = ("_items", "_limit", "_lock")

    def __init__(self, limit: int = MAX_RUNS) -> None:
        self._items: OrderedDict[UUID, V] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def put(self, key: UUID, value: V) -> None:
        with self._lock:
            items = self._items
            items[key] = value
            if len(items) > self._limit:
                items.popitem(last=False)

    def get(self, key: UUID | None) -> V | None:
        if key is None:
            return None
        return self._items.get(key)

    def pop(self, key: UUID | None) -> V | None:
        if key is None:
            return None
        with self._lock:
            return self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
