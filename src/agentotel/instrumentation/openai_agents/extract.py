"""Read GenAI facts out of OpenAI Agents SDK objects (no spans built here).

The SDK speaks the Responses API's item format to every model, the chat-completions
model included, so the openai instrumentor's Responses readers serve both. Everything
is duck-typed: a field that is missing or of another type costs that attribute only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation._read import str_or_none as _str
from agentotel.instrumentation.openai import extract as openai_extract
from agentotel.telemetry import content as content_mod

# The id the SDK puts on the Responses-shaped events it builds from a chat-completions stream.
_FAKE_IDS = frozenset({"__fake_id__"})

_SETTINGS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
)

# get_response / stream_response parameters, in the order of the SDK's Model interface.
MODEL_PARAMS = (
    "system_instructions",
    "input",
    "model_settings",
    "tools",
    "output_schema",
    "handoffs",
    "tracing",
)


def argument(args: Sequence[Any], kwargs: Mapping[str, Any], name: str) -> Any:
    """A ``Model.get_response``/``stream_response`` argument, positional or keyword."""
    if name in kwargs:
        return kwargs[name]
    index = MODEL_PARAMS.index(name)
    return args[index] if index < len(args) else None


def model_name(model: Any) -> str | None:
    """The model name an SDK model object sends (``OpenAIResponsesModel.model``)."""
    return _str(getattr(model, "model", None))


def server_and_provider(model: Any) -> tuple[str | None, int | None, str]:
    """(server.address, server.port, gen_ai.provider.name) of an OpenAI-client-backed model."""
    return openai_extract.server_and_provider(model)


def request_attributes(model_settings: Any, stream: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for name, key in _SETTINGS:
        value = getattr(model_settings, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[key] = value
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


def input_messages(
    system_instructions: Any, items: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(input messages, system instructions) of a model request, as GenAI message parts."""
    return openai_extract.responses_input({"instructions": system_instructions, "input": items})


def tool_definitions(tools: Any, handoffs: Any) -> list[dict[str, Any]] | None:
    """Function tools and handoffs offered to the model (handoffs are tools to the model)."""
    out: list[dict[str, Any]] = []
    for tool in tools or ():
        name = getattr(tool, "name", None)
        if not isinstance(name, str):
            continue
        entry: dict[str, Any] = {"type": semconv.TOOL_TYPE_FUNCTION, "name": name}
        description = getattr(tool, "description", None)
        if isinstance(description, str) and description:
            entry["description"] = description
        schema = getattr(tool, "params_json_schema", None)
        if schema is not None:
            entry["parameters"] = schema
        out.append(entry)
    for handoff in handoffs or ():
        name = getattr(handoff, "tool_name", None)
        if not isinstance(name, str):
            continue
        entry = {"type": semconv.TOOL_TYPE_FUNCTION, "name": name}
        description = getattr(handoff, "tool_description", None)
        if isinstance(description, str) and description:
            entry["description"] = description
        schema = getattr(handoff, "input_json_schema", None)
        if schema is not None:
            entry["parameters"] = schema
        out.append(entry)
    return out or None


def raw_response(inv: Any, raw: Any) -> None:
    """Fill a chat invocation from the provider response the model received (non-streaming)."""
    kind = getattr(raw, "object", None)
    if kind == "chat.completion":
        openai_extract.chat_response(inv, raw)
    elif kind == "response":
        openai_extract.responses_response(inv, raw)


def model_response(inv: Any, response: Any) -> None:
    """Fill what the raw response did not give from the SDK's ``ModelResponse``."""
    if inv.response_id is None:
        response_id = _str(getattr(response, "response_id", None))
        if response_id not in _FAKE_IDS:
            inv.response_id = response_id
    if inv.input_tokens is None and inv.output_tokens is None:
        openai_extract.usage_responses(inv, getattr(response, "usage", None))
    output = getattr(response, "output", None) or ()
    if inv.finish_reasons is None:
        has_calls = any(field(item, "type") == "function_call" for item in output)
        inv.finish_reasons = [semconv.FINISH_TOOL_CALL if has_calls else semconv.FINISH_STOP]
    if inv.tool_call_ids is None:
        ids = [
            cid
            for item in output
            if field(item, "type") == "function_call"
            and isinstance(cid := field(item, "call_id"), str)
        ]
        inv.tool_call_ids = ids or None
    if inv.capture_content and inv.output_messages is None:
        reason = inv.finish_reasons[0] if inv.finish_reasons else semconv.FINISH_STOP
        inv.output_messages = [openai_extract.responses_output_message(output, reason)]


def stream_event(inv: Any, event: Any) -> None:
    """Note one streamed event: a chunk for the timings, the final response for the rest."""
    kind = getattr(event, "type", None)
    if not isinstance(kind, str):
        return
    if kind.endswith(".delta"):
        inv.chunk()
    elif kind in ("response.completed", "response.incomplete", "response.failed"):
        response = getattr(event, "response", None)
        if response is None:
            return
        openai_extract.responses_response(inv, response)
        if inv.response_id in _FAKE_IDS:
            inv.response_id = None


def user_input(value: Any) -> list[dict[str, Any]] | None:
    """A run's input (a string or Responses items) as GenAI input messages."""
    if isinstance(value, str):
        return [{"role": "user", "parts": [{"type": semconv.PART_TEXT, "content": value}]}]
    if isinstance(value, list):
        messages, _ = openai_extract.responses_input({"input": value})
        return messages
    return None


def final_output(value: Any) -> list[dict[str, Any]]:
    """A run's final output (text, or a structured value as JSON) as one output message."""
    text = value if isinstance(value, str) else content_mod.dumps(content_mod.json_safe(value))
    part = {"type": semconv.PART_TEXT, "content": text}
    return [{"role": "assistant", "parts": [part], "finish_reason": semconv.FINISH_STOP}]


def tool_arguments(raw: Any) -> Any:
    """Tool-call arguments as the model sent them: parsed JSON when it is JSON."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def conversation_id(kwargs: Mapping[str, Any]) -> str | None:
    """The run's conversation: the server-side conversation id, else the session's id."""
    value = _str(kwargs.get("conversation_id"))
    if value:
        return value
    return _str(getattr(kwargs.get("session"), "session_id", None))


# RunConfig.workflow_name's default: the name the SDK gives a run's trace.
DEFAULT_WORKFLOW = "Agent workflow"


def workflow_name(kwargs: Mapping[str, Any]) -> str:
    return _str(getattr(kwargs.get("run_config"), "workflow_name", None)) or DEFAULT_WORKFLOW
