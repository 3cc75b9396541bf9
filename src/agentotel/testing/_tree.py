"""Finished spans in tree order, for printing or asserting whole traces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def span_tree(spans: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    """Yield ``(depth, span)`` depth-first, children by start time.

    Works on any finished spans with ``context``, ``parent`` and ``start_time``
    (the SDK's ``ReadableSpan``). A span whose parent is not among ``spans`` is a root.
    """
    spans = list(spans)
    ids = {s.context.span_id for s in spans if s.context is not None}
    children: dict[int | None, list[Any]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)

    def walk(parent: int | None, depth: int) -> Iterator[tuple[int, Any]]:
        for span in sorted(children.get(parent, ()), key=lambda s: s.start_time or 0):
            yield depth, span
            if span.context is not None:
                yield from walk(span.context.span_id, depth + 1)

    return walk(None, 0)
