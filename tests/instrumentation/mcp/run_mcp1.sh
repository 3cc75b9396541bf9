#!/usr/bin/env bash
# Run the cross-process MCP tests under mcp 1.x (builds a venv over .venv on first use).
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec .venv/bin/python -m tests.instrumentation.mcp.mcp1_env "$@"
