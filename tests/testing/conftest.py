"""Client factories that run each test over both the local HTTP server and the mock transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from agentotel.testing import ScriptedModel, ScriptedModelServer, mock_transport

TRANSPORTS = ["mock", "server"]


class Clients:
    """Builds real SDK clients wired to a scripted model over the chosen transport."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        self._servers: list[ScriptedModelServer] = []
        self._closers: list[Callable[[], Any]] = []

    def _server(self, model: ScriptedModel) -> ScriptedModelServer:
        server = ScriptedModelServer(model).start()
        self._servers.append(server)
        return server

    def openai(self, model: ScriptedModel) -> openai.OpenAI:
        if self.transport == "server":
            url = self._server(model).openai_base_url
            return openai.OpenAI(api_key="test", base_url=url, max_retries=0)
        http = httpx2.Client(transport=mock_transport(model))
        self._closers.append(http.close)
        return openai.OpenAI(
            api_key="test", base_url="http://scripted/v1", http_client=http, max_retries=0
        )

    def async_openai(self, model: ScriptedModel) -> openai.AsyncOpenAI:
        if self.transport == "server":
            url = self._server(model).openai_base_url
            return openai.AsyncOpenAI(api_key="test", base_url=url, max_retries=0)
        http = httpx2.AsyncClient(transport=mock_transport(model, async_=True))
        return openai.AsyncOpenAI(
            api_key="test", base_url="http://scripted/v1", http_client=http, max_retries=0
        )

    def anthropic(self, model: ScriptedModel) -> anthropic.Anthropic:
        if self.transport == "server":
            url = self._server(model).anthropic_base_url
            return anthropic.Anthropic(api_key="test", base_url=url, max_retries=0)
        http = httpx2.Client(transport=mock_transport(model))
        self._closers.append(http.close)
        return anthropic.Anthropic(
            api_key="test", base_url="http://scripted", http_client=http, max_retries=0
        )

    def async_anthropic(self, model: ScriptedModel) -> anthropic.AsyncAnthropic:
        if self.transport == "server":
            url = self._server(model).anthropic_base_url
            return anthropic.AsyncAnthropic(api_key="test", base_url=url, max_retries=0)
        http = httpx2.AsyncClient(transport=mock_transport(model, async_=True))
        return anthropic.AsyncAnthropic(
            api_key="test", base_url="http://scripted", http_client=http, max_retries=0
        )

    def close(self) -> None:
        for close in self._closers:
            close()
        for server in self._servers:
            server.stop()


@pytest.fixture(params=TRANSPORTS)
def clients(request: pytest.FixtureRequest) -> Iterator[Clients]:
    made = Clients(request.param)
    yield made
    made.close()
