"""agentotel: OpenTelemetry for AI agents.

One call, :func:`instrument`, patches the LLM clients and agent frameworks that
are installed so every agent run emits spans and metrics in the OpenTelemetry
GenAI semantic conventions.
"""

from agentotel._config import ContentMode, Settings
from agentotel._setup import Instrumentation, current, instrument, uninstrument
from agentotel.decorators import (
    agent,
    set_agent_id,
    set_attributes,
    set_conversation_id,
    step,
    tool,
    tool_call,
    workflow,
)
from agentotel.version import __version__

__all__ = [
    "ContentMode",
    "Instrumentation",
    "Settings",
    "__version__",
    "agent",
    "current",
    "instrument",
    "set_agent_id",
    "set_attributes",
    "set_conversation_id",
    "step",
    "tool",
    "tool_call",
    "uninstrument",
    "workflow",
]
