"""Every OpenTelemetry name agentotel emits: attributes, values, metrics, events.

Names follow the GenAI semantic conventions (released line v1.41.x). Where the
newer work in semantic-conventions-genai renames something, the new name lives
next to the old one and is chosen by :func:`names` when
``OTEL_SEMCONV_STABILITY_OPT_IN`` contains ``gen_ai_latest_experimental``.
No other module writes an attribute name as a string literal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

# --- operation names (gen_ai.operation.name) --------------------------------
OP_CHAT: Final = "chat"
OP_GENERATE_CONTENT: Final = "generate_content"
OP_TEXT_COMPLETION: Final = "text_completion"
OP_EMBEDDINGS: Final = "embeddings"
OP_RETRIEVAL: Final = "retrieval"
OP_EXECUTE_TOOL: Final = "execute_tool"
OP_CREATE_AGENT: Final = "create_agent"
OP_INVOKE_AGENT: Final = "invoke_agent"
OP_INVOKE_WORKFLOW: Final = "invoke_workflow"
# Not in the conventions: Anthropic's token counting, which consumes no tokens.
OP_COUNT_TOKENS: Final = "count_tokens"
# Pending in semantic-conventions-genai: emitted only under gen_ai_latest_experimental.
OP_FETCH_RESPONSE: Final = "fetch_response"

# --- provider names (gen_ai.provider.name) -----------------------------------
PROVIDER_OPENAI: Final = "openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_AZURE_OPENAI: Final = "azure.ai.openai"
PROVIDER_AWS_BEDROCK: Final = "aws.bedrock"
PROVIDER_GCP_GEMINI: Final = "gcp.gemini"
PROVIDER_GCP_VERTEX_AI: Final = "gcp.vertex_ai"
PROVIDER_GCP_GEN_AI: Final = "gcp.gen_ai"
PROVIDER_MISTRAL: Final = "mistral_ai"
PROVIDER_GROQ: Final = "groq"
PROVIDER_DEEPSEEK: Final = "deepseek"
PROVIDER_X_AI: Final = "x_ai"
PROVIDER_COHERE: Final = "cohere"
PROVIDER_PERPLEXITY: Final = "perplexity"
PROVIDER_AZURE_AI_INFERENCE: Final = "azure.ai.inference"
PROVIDER_IBM_WATSONX_AI: Final = "ibm.watsonx.ai"

# --- common attributes -------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_CONVERSATION_COMPACTED: Final = "gen_ai.conversation.compacted"
# Pending (fetch_response, gen_ai_latest_experimental only).
GEN_AI_RESPONSE_STATUS: Final = "gen_ai.response.status"
GEN_AI_REQUEST_STREAM_CURSOR: Final = "gen_ai.request.stream_cursor"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_DATA_SOURCE_ID: Final = "gen_ai.data_source.id"

GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
GEN_AI_REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"

GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"

GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_AUDIO_INPUT_TOKENS: Final = "gen_ai.usage.audio.input_tokens"
GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS: Final = "gen_ai.usage.audio.output_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"

GEN_AI_EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"

GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"

GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
GEN_AI_AGENT_VERSION: Final = "gen_ai.agent.version"
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
GEN_AI_PROMPT_NAME: Final = "gen_ai.prompt.name"

# --- content (opt-in) --------------------------------------------------------
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"

# --- metric attribute --------------------------------------------------------
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"

# --- evaluation --------------------------------------------------------------
GEN_AI_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"
# agentotel's own: what an evaluator measured when it reports several results per span.
AGENTOTEL_EVALUATION_SUBJECT: Final = "agentotel.evaluation.subject"
AGENTOTEL_EVALUATION_JUDGE: Final = "agentotel.evaluation.judge"

# --- general (non-GenAI) attributes -----------------------------------------
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"
ERROR_TYPE_OTHER: Final = "_OTHER"
SERVICE_NAME: Final = "service.name"
VCS_REF_HEAD_REVISION: Final = "vcs.ref.head.revision"
EVENT_EXCEPTION: Final = "exception"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"

# --- provider specific -------------------------------------------------------
OPENAI_REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = "openai.response.system_fingerprint"
OPENAI_API_TYPE: Final = "openai.api.type"
OPENAI_API_TYPE_RESPONSES: Final = "responses"
ANTHROPIC_REQUEST_ID: Final = "anthropic.request.id"
ANTHROPIC_REQUEST_SERVICE_TIER: Final = "anthropic.request.service_tier"
ANTHROPIC_RESPONSE_SERVICE_TIER: Final = "anthropic.response.service_tier"
ANTHROPIC_COUNT_TOKENS_INPUT_TOKENS: Final = "anthropic.message.count_tokens.input_tokens"
AWS_BEDROCK_GUARDRAIL_ID: Final = "aws.bedrock.guardrail.id"
AWS_BEDROCK_KNOWLEDGE_BASE_ID: Final = "aws.bedrock.knowledge_base.id"
AWS_REQUEST_ID: Final = "aws.request_id"

# --- tool types -------------------------------------------------------------
TOOL_TYPE_FUNCTION: Final = "function"
TOOL_TYPE_EXTENSION: Final = "extension"
TOOL_TYPE_DATASTORE: Final = "datastore"

# --- output types -----------------------------------------------------------
OUTPUT_TYPE_TEXT: Final = "text"
OUTPUT_TYPE_JSON: Final = "json"
OUTPUT_TYPE_IMAGE: Final = "image"
OUTPUT_TYPE_SPEECH: Final = "speech"

# --- finish reasons in output messages --------------------------------------
FINISH_STOP: Final = "stop"
FINISH_LENGTH: Final = "length"
FINISH_CONTENT_FILTER: Final = "content_filter"
FINISH_TOOL_CALL: Final = "tool_call"
FINISH_ERROR: Final = "error"

# --- message part types -----------------------------------------------------
PART_TEXT: Final = "text"
PART_REASONING: Final = "reasoning"
PART_TOOL_CALL: Final = "tool_call"
PART_TOOL_CALL_RESPONSE: Final = "tool_call_response"
PART_BLOB: Final = "blob"
PART_URI: Final = "uri"
PART_FILE: Final = "file"

# --- MCP --------------------------------------------------------------------
MCP_METHOD_NAME: Final = "mcp.method.name"
MCP_SESSION_ID: Final = "mcp.session.id"
MCP_PROTOCOL_VERSION: Final = "mcp.protocol.version"
MCP_RESOURCE_URI: Final = "mcp.resource.uri"
JSONRPC_REQUEST_ID: Final = "jsonrpc.request.id"
MCP_CLIENT_OPERATION_DURATION: Final = "mcp.client.operation.duration"
MCP_SERVER_OPERATION_DURATION: Final = "mcp.server.operation.duration"
RPC_RESPONSE_STATUS_CODE: Final = "rpc.response.status_code"
MCP_METHOD_TOOLS_CALL: Final = "tools/call"
MCP_METHOD_PROMPTS_GET: Final = "prompts/get"
MCP_TOOL_ERROR: Final = "tool_error"
MCP_SESSION_ID_HEADER: Final = "mcp-session-id"
MCP_DURATION_BUCKETS: Final = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)

# --- agentotel's own (outside the conventions, namespaced) -------------------
AGENTOTEL_RUN_ID: Final = "agentotel.run.id"
AGENTOTEL_CASE_ID: Final = "agentotel.case.id"
AGENTOTEL_VCS_DIRTY: Final = "agentotel.vcs.dirty"
AGENTOTEL_STEP_NAME: Final = "agentotel.step.name"
AGENTOTEL_CONTENT_TRUNCATED: Final = "agentotel.content.truncated"
AGENTOTEL_STREAM_ENDED_BY: Final = "agentotel.stream.ended_by"
AGENTOTEL_STORE_SANITIZED: Final = "agentotel.store.sanitized"
"""Set by the local store on a span it had to repair to record: the fields it changed."""
AGENTOTEL_GUARDRAIL_NAME: Final = "agentotel.guardrail.name"
AGENTOTEL_GUARDRAIL_TRIGGERED: Final = "agentotel.guardrail.triggered"
AGENTOTEL_HANDOFF_FROM_AGENT: Final = "agentotel.handoff.from_agent"
AGENTOTEL_HANDOFF_TO_AGENT: Final = "agentotel.handoff.to_agent"
# USD cost of one model call as the client library computed it (LiteLLM's response_cost);
# the store prefers it to its own estimate from token counts.
AGENTOTEL_USAGE_COST: Final = "agentotel.usage.cost"
AGENTOTEL_GEN_AI_CLIENT_COST: Final = "agentotel.gen_ai.client.cost"
"""Opt-in counter (AGENTOTEL_METRICS_COST): estimated USD of model calls, by provider and model."""

# --- SDK self-observability (export pipeline; otel.* conventions) -------------
OTEL_SDK_PROCESSOR_SPAN_PROCESSED: Final = "otel.sdk.processor.span.processed"
OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE: Final = "otel.sdk.processor.span.queue.size"
OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY: Final = "otel.sdk.processor.span.queue.capacity"
OTEL_SDK_EXPORTER_SPAN_EXPORTED: Final = "otel.sdk.exporter.span.exported"
OTEL_SDK_EXPORTER_SPAN_INFLIGHT: Final = "otel.sdk.exporter.span.inflight"
OTEL_SDK_EXPORTER_OPERATION_DURATION: Final = "otel.sdk.exporter.operation.duration"
OTEL_COMPONENT_TYPE: Final = "otel.component.type"
OTEL_COMPONENT_NAME: Final = "otel.component.name"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
COMPONENT_BATCHING_SPAN_PROCESSOR: Final = "batching_span_processor"
COMPONENT_OTLP_HTTP_SPAN_EXPORTER: Final = "otlp_http_span_exporter"
# error.type values for dropped or failed spans
DROP_QUEUE_FULL: Final = "queue_full"
DROP_ALREADY_SHUTDOWN: Final = "already_shutdown"
DROP_CIRCUIT_OPEN: Final = "circuit_open"
DROP_REJECTED: Final = "rejected"
DROP_TIMEOUT: Final = "timeout"
DROP_EXPORT_FAILED: Final = "export_failed"

# --- events -----------------------------------------------------------------
EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"
EVENT_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"

# --- metrics: bucket boundaries the conventions advise -----------------------
DURATION_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)

OPT_IN_ENV: Final = "OTEL_SEMCONV_STABILITY_OPT_IN"
LATEST_EXPERIMENTAL: Final = "gen_ai_latest_experimental"


@dataclass(frozen=True)
class Names:
    """The names that differ between the released conventions and the newest experimental ones."""

    latest_experimental: bool
    operation_duration: str
    token_usage: str
    input_token_usage: str | None
    output_token_usage: str | None
    time_to_first_chunk: str
    time_per_output_chunk: str
    cache_creation_input_tokens: str
    # Per-modality usage (semantic-conventions-genai): experimental names only.
    audio_input_tokens: str | None
    audio_output_tokens: str | None
    conversation_compacted: str | None
    agent_duration: str | None
    tool_duration: str | None
    workflow_duration: str | None


STABLE = Names(
    latest_experimental=False,
    operation_duration="gen_ai.client.operation.duration",
    token_usage="gen_ai.client.token.usage",
    input_token_usage=None,
    output_token_usage=None,
    time_to_first_chunk="gen_ai.client.operation.time_to_first_chunk",
    time_per_output_chunk="gen_ai.client.operation.time_per_output_chunk",
    cache_creation_input_tokens=GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    audio_input_tokens=None,
    audio_output_tokens=None,
    conversation_compacted=None,
    agent_duration=None,
    tool_duration=None,
    workflow_duration=None,
)

# In step with the official instrumentations of the same release (util-genai 1.3b0):
# under the opt-in they keep the released client metric names, and so does agentotel,
# until a release of theirs switches to the pending gen_ai.client.inference.* names.
EXPERIMENTAL = Names(
    latest_experimental=True,
    operation_duration="gen_ai.client.operation.duration",
    token_usage="gen_ai.client.token.usage",
    input_token_usage=None,
    output_token_usage=None,
    time_to_first_chunk="gen_ai.client.operation.time_to_first_chunk",
    time_per_output_chunk="gen_ai.client.operation.time_per_output_chunk",
    cache_creation_input_tokens=GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
    audio_input_tokens=GEN_AI_USAGE_AUDIO_INPUT_TOKENS,
    audio_output_tokens=GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS,
    conversation_compacted=GEN_AI_CONVERSATION_COMPACTED,
    agent_duration="gen_ai.invoke_agent.duration",
    tool_duration="gen_ai.execute_tool.duration",
    workflow_duration="gen_ai.invoke_workflow.duration",
)


def latest_experimental_enabled(value: str | None = None) -> bool:
    """True when the opt-in variable names ``gen_ai_latest_experimental``."""
    raw = os.environ.get(OPT_IN_ENV, "") if value is None else value
    return LATEST_EXPERIMENTAL in {part.strip() for part in raw.split(",")}


def names(latest_experimental: bool | None = None) -> Names:
    """The name set in force: stable by default, experimental when opted in."""
    if latest_experimental is None:
        latest_experimental = latest_experimental_enabled()
    return EXPERIMENTAL if latest_experimental else STABLE


# Where the Collector's clickhouse exporter (older versions) puts the scope in span attributes.
OTEL_SCOPE_NAME: Final = "otel.scope.name"
OTEL_SCOPE_VERSION: Final = "otel.scope.version"
