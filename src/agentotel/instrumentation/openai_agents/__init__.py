"""Instrumentation for the OpenAI Agents SDK: runs, agents, model requests, tools, guardrails."""

from __future__ import annotations

from agentotel.instrumentation.openai_agents.instrumentor import OpenAIAgentsInstrumentor

__all__ = ["OpenAIAgentsInstrumentor"]
