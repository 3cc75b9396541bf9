from __future__ import annotations

import subprocess
import sys

import agentotel


def test_every_public_name_resolves() -> None:
    for name in agentotel.__all__:
        assert getattr(agentotel, name) is not None, name
    assert set(agentotel.__all__) <= set(dir(agentotel))


def test_import_is_light_and_imports_no_instrumented_library() -> None:
    code = (
        "import sys, agentotel\n"
        "heavy = [m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'openai', 'anthropic',"
        " 'langchain', 'pydantic_ai', 'mcp', 'wrapt'))]\n"
        "print(heavy)\n"
        "agentotel.instrument\n"
        "print([m for m in sys.modules if m.startswith(('openai', 'anthropic', 'langchain', 'pydantic_ai', 'mcp'))])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]
