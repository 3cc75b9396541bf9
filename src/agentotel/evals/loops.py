"""Finding tool-calling loops: the same tool called again and again with (nearly) the same input.

Arguments are compared when content capture recorded them
(``gen_ai.tool.call.arguments``): exactly, after canonical JSON, or nearly, when
every non-string value is equal and every string is equal after normalising case,
spacing and punctuation or is at least ``similarity`` alike. Numbers and booleans
must match exactly, so paging through results (``page=1``, ``page=2``) is not a loop.
Without arguments only the call pattern is left: the same tool called many times
in a row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from agentotel import semconv
from agentotel.store.model import Span

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_MISSING = object()


def arguments(span: Span) -> Any:
    """The tool call's arguments as parsed JSON (or the raw text); ``_MISSING`` when absent."""
    raw = span.attributes.get(semconv.GEN_AI_TOOL_CALL_ARGUMENTS)
    if raw is None:
        return _MISSING
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def has_arguments(span: Span) -> bool:
    return arguments(span) is not _MISSING


def canonical(value: Any) -> str:
    """Arguments as canonical JSON: sorted keys, no spaces, ``1.0`` written as ``1``."""
    return json.dumps(_canon(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canon(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value


def _norm_text(text: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.casefold())).strip()


def near(a: Any, b: Any, similarity: float) -> bool:
    """True when two argument values differ only in string details (see the module doc)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        na, nb = _norm_text(a), _norm_text(b)
        if na == nb:
            return True
        if similarity >= 1.0 or not na or not nb:
            return False
        return SequenceMatcher(None, na, nb, autojunk=False).ratio() >= similarity
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(near(a[k], b[k], similarity) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(near(x, y, similarity) for x, y in zip(a, b))
    return bool(a == b)


@dataclass
class Loop:
    """A group of calls to one tool with the same (or nearly the same) input."""

    tool: str
    spans: list[Span]
    exact: bool
    by_arguments: bool
    example: str = ""

    @property
    def count(self) -> int:
        return len(self.spans)


@dataclass
class _Cluster:
    representative: Any
    key: str
    spans: list[Span] = field(default_factory=list)
    exact: bool = True


def argument_loops(
    tool: str, calls: Sequence[Span], min_repeats: int, similarity: float
) -> list[Loop]:
    """Groups of ``min_repeats`` or more near-identical calls among calls that have arguments."""
    clusters: list[_Cluster] = []
    for span in calls:
        value = arguments(span)
        key = canonical(value)
        home = next((c for c in clusters if c.key == key), None)
        if home is None:
            home = next(
                (c for c in clusters if near(c.representative, value, similarity)),
                None,
            )
            if home is not None:
                home.exact = False
        if home is None:
            home = _Cluster(value, key)
            clusters.append(home)
        home.spans.append(span)
    return [
        Loop(tool, c.spans, exact=c.exact, by_arguments=True, example=c.key)
        for c in clusters
        if len(c.spans) >= min_repeats
    ]


def consecutive_loops(calls: Sequence[Span], min_repeats: int) -> list[Loop]:
    """Runs of ``min_repeats`` or more calls in a row to one tool (calls in start order)."""
    loops: list[Loop] = []
    run: list[Span] = []
    for span in [*calls, None]:
        if span is not None and run and span.tool_name == run[-1].tool_name:
            run.append(span)
            continue
        if len(run) >= min_repeats:
            loops.append(Loop(run[0].tool_name or "?", run, exact=False, by_arguments=False))
        run = [span] if span is not None else []
    return loops
