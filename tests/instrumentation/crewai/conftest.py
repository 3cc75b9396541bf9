"""CrewAI runs against the scripted model server; crewai lives in its own venv (make test-crewai)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from agentotel.instrumentation.crewai import CrewAIInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor

# Before any test module imports crewai: its anonymous telemetry and platform tracing stay off.
os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
os.environ["CREWAI_TRACING_ENABLED"] = "false"

_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise AssertionError(f"test tried to reach the network: {address!r}")
    return _connect(sock, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def instrument(
    tracer_provider: TracerProvider, meter_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """``instrument(content=False, openai=True)``: turn the instrumentors on for one test."""
    active: list[Any] = []

    def start(content: bool = False, openai: bool = True) -> None:
        if content:
            monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        else:
            monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
        kinds: list[Any] = [CrewAIInstrumentor]
        if openai:
            kinds.insert(0, OpenAIInstrumentor)
        for kind in kinds:
            instrumentor = kind()
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
            active.append(instrumentor)

    yield start
    for instrumentor in reversed(active):
        instrumentor.uninstrument()
