"""``agentotel view``: one self-contained HTML page for a trace, a run or a comparison.

Pages carry their data as JSON inside the file and render it with a small inline
script; nothing is fetched from the network, and every value taken from a span is
inserted as text, never as markup.
"""

from __future__ import annotations

from agentotel.view.data import compare_payload, run_payload, trace_payload
from agentotel.view.page import render
from agentotel.view.serve import serve

__all__ = ["compare_payload", "render", "run_payload", "serve", "trace_payload"]
