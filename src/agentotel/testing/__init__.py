"""Scripted model servers for tests and examples: the real SDKs, no network, no API key.

``ScriptedModel`` answers OpenAI (chat completions, responses, embeddings, completions),
Anthropic (messages, count_tokens) and Gemini (generateContent, streamGenerateContent,
embeddings; Gemini API and Vertex AI paths) requests from a script of :class:`Reply` objects
in each API's exact wire format, streaming included. Serve it over HTTP with
:class:`ScriptedModelServer` or in process with :func:`mock_transport`. Importing this
package imports only the standard library.
"""

from __future__ import annotations

from ._bedrock import ScriptedBedrock, ScriptedBedrockServer
from ._mock import mock_transport
from ._model import Script, ScriptedModel
from ._server import ScriptedModelServer
from ._tree import span_tree
from ._types import RecordedRequest, Reply, Response, ToolCall

__all__ = [
    "RecordedRequest",
    "Reply",
    "Response",
    "Script",
    "ScriptedBedrock",
    "ScriptedBedrockServer",
    "ScriptedModel",
    "ScriptedModelServer",
    "ToolCall",
    "mock_transport",
    "span_tree",
]
