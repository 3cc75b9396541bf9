"""What each peer's virtual environment holds, pinned to the versions that resolved on 2026-11-20.

The SDK pins match agentotel's dev environment so every peer drives the same openai, anthropic
and LangChain code. A peer whose own pins conflict with them is installed with `no_deps`
(and is expected to fail at import, which the report records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SDKS = (
    "openai==3.54.0",
    "anthropic==2.12.0",
    "httpx2==2.16.2",
    "langchain==1.4.7",
    "langchain-core==1.7.2",
    "langchain-openai==1.7.3",
    "google-genai==3.6.1",
    "opentelemetry-api==1.45.2",
    "opentelemetry-sdk==1.45.2",
    "opentelemetry-exporter-otlp-proto-http==1.45.2",
    "opentelemetry-proto==1.45.2",
    "openai-agents==0.25.0",
    "boto3==1.44.18",
    "botocore==1.44.18",
)
"""Installed in every venv, the uninstrumented baseline included."""


@dataclass(frozen=True)
class Peer:
    """One instrumentation library under test."""

    name: str
    label: str
    packages: tuple[str, ...] = ()
    no_deps: tuple[str, ...] = ()
    editable: str | None = None
    # Whether uninstrument() really restores the library; if not, the harness alternates
    # fresh processes instead of instrument/uninstrument blocks in one process.
    in_process: bool = True
    # True when the peer's recommended export set-up differs from the plain SDK pipeline.
    own_pipeline: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


PEERS: dict[str, Peer] = {
    p.name: p
    for p in (
        Peer("baseline", "uninstrumented"),
        Peer(
            "agentotel",
            "agentotel",
            editable="{root}[all]",
            own_pipeline=True,
            notes=("default pipeline: agentotel.instrument() with its own processor/exporter",),
        ),
        Peer(
            "openllmetry",
            "OpenLLMetry",
            packages=(
                "opentelemetry-instrumentation-openai==0.62.4",
                "opentelemetry-instrumentation-anthropic==0.62.4",
                "opentelemetry-instrumentation-langchain==0.62.4",
                "opentelemetry-instrumentation-google-generativeai==0.62.4",
                "opentelemetry-instrumentation-openai-agents==0.62.4",
                "opentelemetry-instrumentation-bedrock==0.62.4",
            ),
            in_process=False,
            notes=("uninstrument() leaves the openai wrappers in place: fresh processes",),
        ),
        Peer(
            "openinference",
            "OpenInference",
            packages=(
                "openinference-instrumentation-openai==0.1.66",
                "openinference-instrumentation-anthropic==3.1.0",
                "openinference-instrumentation-langchain==0.1.80",
                "openinference-instrumentation-google-genai==1.4.14",
                "openinference-instrumentation-openai-agents==2.6.0",
                "openinference-instrumentation-bedrock==0.1.61",
            ),
        ),
        Peer(
            "otel_genai",
            "OTel GenAI (official)",
            packages=(
                "opentelemetry-instrumentation-genai-openai==1.3b0",
                "opentelemetry-instrumentation-genai-anthropic==1.3b0",
                "opentelemetry-instrumentation-genai-langchain==1.3b0",
                "opentelemetry-instrumentation-google-genai==1.3b0",
                "opentelemetry-instrumentation-genai-openai-agents==1.3b0",
                "opentelemetry-instrumentation-botocore==0.66b2",
            ),
            notes=(
                "opentelemetry-instrumentation-google-genai 1.3b0 declares google-genai<3; "
                "instrumented with skip_dep_check=True on google-genai 3.6.1",
            ),
        ),
        Peer(
            "traceai",
            "traceAI",
            packages=(
                "traceai-openai==0.1.10",
                "traceai-anthropic==0.1.10",
                "traceai-langchain==0.2.0",
                "traceai-google-genai==0.1.2",
                "traceai-openai-agents==0.1.6",
                "traceai-bedrock==0.1.10",
            ),
        ),
        Peer(
            "logfire",
            "Logfire",
            packages=("logfire==5.2.0",),
            own_pipeline=True,
            notes=(
                "logfire 5.4.0 needs a certifi release not yet on PyPI; 5.2.0 is the newest that resolves",
                "default pipeline: logfire.configure(send_to_logfire=False) exporting OTLP to the sink",
            ),
        ),
        Peer(
            "openlit",
            "OpenLIT",
            packages=(
                "opentelemetry-instrumentation==0.66b2",
                "opentelemetry-exporter-otlp==1.45.2",
                "requests",
                "schedule",
                "xmltodict",
            ),
            no_deps=("openlit==1.45.0",),
            in_process=False,
            notes=(
                "openlit 1.45.0 pins openai<3, so pip cannot install it beside openai 3.x; installed "
                "with --no-deps beside its other needs, it imports with opentelemetry 1.45.2 and "
                "instruments openai 3.x",
                "its instrumentors' uninstrument() is a no-op: fresh processes",
            ),
        ),
    )
}
