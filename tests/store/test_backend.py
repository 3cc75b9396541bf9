"""The query layer runs on any TraceBackend; only agentotel.store knows SQL."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import agentotel
from agentotel import query
from agentotel.store import SQLiteStore
from agentotel.store.backend import TraceBackend
from tests.store.fixtures import build_store

SRC = Path(agentotel.__file__).parent


class _Recording:
    """A backend that is not SQLiteStore: it forwards to one and notes each call."""

    def __init__(self, inner: TraceBackend) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.inner, name)


def test_query_open_takes_any_backend(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    build_store(path)
    backend = _Recording(SQLiteStore(path))
    with query.open(backend) as q:  # type: ignore[arg-type]
        assert len(q.traces()) == 5
        assert q.trace("last").spans
        assert q.stats(by="model")
    assert {"list_traces", "trace_spans", "stats", "close"} <= set(backend.calls)


def test_import_into_a_backend_object(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    build_store(source)
    with query.open(source) as q:
        payload = q.export_otlp("last")
    target = SQLiteStore(tmp_path / "b.db", readonly=False)
    read, new = query.import_otlp(payload, target)
    assert read == new > 0
    assert target.write([]) == 0  # still open: the caller owns it
    target.close()


def test_no_module_outside_the_store_uses_sqlite() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "store"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n == "sqlite3" or n == "agentotel.store.sqlite" for n in names):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
