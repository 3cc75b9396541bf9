"""agentotel: OpenTelemetry for AI agents.

One call, :func:`instrument`, patches the LLM clients and agent frameworks that
are installed so every agent run emits spans and metrics in the OpenTelemetry
GenAI semantic conventions.

The public names are loaded on first use, so ``import agentotel`` (and the
pytest plugin every test run loads) costs next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentotel.version import __version__

if TYPE_CHECKING:
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

_LAZY = {
    "ContentMode": "agentotel._config",
    "Settings": "agentotel._config",
    "Instrumentation": "agentotel._setup",
    "current": "agentotel._setup",
    "instrument": "agentotel._setup",
    "uninstrument": "agentotel._setup",
    "agent": "agentotel.decorators",
    "set_agent_id": "agentotel.decorators",
    "set_attributes": "agentotel.decorators",
    "set_conversation_id": "agentotel.decorators",
    "step": "agentotel.decorators",
    "tool": "agentotel.decorators",
    "tool_call": "agentotel.decorators",
    "workflow": "agentotel.decorators",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentotel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
