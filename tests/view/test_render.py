"""Pages rendered from a real store: structure, embedded data, escaping, CLI and server."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from agentotel import query
from agentotel.cli import main
from agentotel.view import data, page
from agentotel.view.serve import make_server
from tests.view.conftest import BIG_SPANS, BIG_TRACE, INJECTION, INJECTION_TRACE

DATA = re.compile(r'<script type="application/json" id="agentotel-data">(.*?)</script>', re.S)


def embedded(html: str) -> dict[str, Any]:
    found = DATA.search(html)
    assert found is not None
    result: dict[str, Any] = json.loads(found.group(1))
    return result


def test_trace_page_is_self_contained(view_store: dict[str, Any]) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.trace_payload(q.trace(view_store["trace"])))
    assert html.startswith("<!doctype html>")
    assert "default-src 'none'" in html  # the CSP forbids every fetch
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]+src=", html)
    # Exactly one script runs, the one carrying the nonce the CSP names.
    nonce = re.search(r"'nonce-([^']+)'", html)
    assert nonce and html.count(f'nonce="{nonce.group(1)}"') == 1
    payload = embedded(html)
    assert [s["name"] for s in payload["spans"]] == [
        "invoke_agent weather_agent",
        "chat gpt-4o-mini",
        "execute_tool get_weather",
        "chat gpt-4o-mini",
    ]
    assert [s["depth"] for s in payload["spans"]] == [0, 1, 1, 1]
    chat = payload["spans"][1]
    assert chat["content"]["gen_ai.input.messages"][0]["role"] in ("system", "user")
    assert "gen_ai.input.messages" not in chat["attributes"]
    (agent,) = payload["agents"]
    assert (agent["llm_calls"], agent["tool_calls"]) == (2, 1)
    assert agent["input_tokens"] == sum(s["input_tokens"] or 0 for s in payload["spans"][1:])


def test_injection_is_data_not_markup(view_store: dict[str, Any]) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.trace_payload(q.trace(INJECTION_TRACE)))
    assert INJECTION not in html
    assert "</script><script>" not in html.split('id="agentotel-data">')[1].split("</script>")[0]
    payload = embedded(html)
    assert payload["spans"][0]["name"] == "invoke_agent " + INJECTION
    text = payload["spans"][1]["content"]["gen_ai.input.messages"][0]["parts"][0]["content"]
    assert text == INJECTION
    assert payload["spans"][1]["status"] == "error"


def test_run_page(view_store: dict[str, Any]) -> None:
    with query.open(view_store["store"]) as q:
        payload = data.run_payload(q, view_store["run"])
        with pytest.raises(LookupError):
            data.run_payload(q, "no-such-run")
    assert payload["run_id"] == view_store["run"]
    assert [t["trace_id"] for t in payload["traces"]] == [view_store["trace"]]
    assert payload["tools"] == [{"tool": "get_weather", "calls": 1, "errors": 0, "error_rate": 0.0}]
    assert not payload["truncated"]


def test_big_trace_payload(view_store: dict[str, Any]) -> None:
    with query.open(view_store["store"]) as q:
        payload = data.trace_payload(q.trace(BIG_TRACE))
    assert len(payload["spans"]) == BIG_SPANS
    # Nested agents: every model call counts once, for its nearest agent.
    assert sum(a["llm_calls"] for a in payload["agents"]) == sum(
        1 for s in payload["spans"] if s["operation"] == "chat"
    )


def test_cli_writes_pages(
    view_store: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(view_store["store"])
    out = tmp_path / "nested" / "t.html"
    assert main(["view", view_store["trace"][:8], "--store", store, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert embedded(out.read_text())["page"] == "trace"
    assert main(["view", "run:last", "--store", store, "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["page"] == "run" and Path(written["path"]).is_file()
    assert main(["view", "--store", store, "--json"]) == 0  # default: the latest trace
    assert (
        embedded(Path(json.loads(capsys.readouterr().out)["path"]).read_text())["page"] == "trace"
    )
    run = view_store["run"]
    cmp_out = tmp_path / "c.html"
    code = main(
        ["view", "--compare", f"run:{run}", f"run:{run}", "--store", store, "-o", str(cmp_out)]
    )
    assert code == 0
    comparison = embedded(cmp_out.read_text())["comparison"]
    assert comparison["verdict"] == "unchanged" and comparison["metrics"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["view", "ffffffffffff"], 1),
        (["view", "run:nope"], 1),
        (["view", "last", "--port", "99999"], 2),
    ],
)
def test_cli_bad_input(
    view_store: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], code: int
) -> None:
    assert main([*args, "--store", str(view_store["store"])]) == code
    err = capsys.readouterr().err
    assert err.startswith("agentotel: ") and err.count("\n") == 1


def test_cli_unwritable_output(
    view_store: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", "--store", str(view_store["store"]), "-o", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("agentotel: cannot write")


def test_server_is_loopback_and_read_only(view_store: dict[str, Any]) -> None:
    server = make_server(view_store["store"])
    assert server.server_address[0] == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(base + "/") as resp:
            index = embedded(resp.read().decode())
        assert index["page"] == "index" and view_store["run"] in index["runs"]
        with urllib.request.urlopen(f"{base}/trace/{view_store['trace']}") as resp:
            assert "no-store" in resp.headers["Cache-Control"]
            assert embedded(resp.read().decode())["trace"]["trace_id"] == view_store["trace"]
        with urllib.request.urlopen(f"{base}/run/{view_store['run']}") as resp:
            assert embedded(resp.read().decode())["page"] == "run"
        for path in ("/trace/ffffffff", "/nothing/here"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path)
            assert err.value.code == 404
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(base + "/", data=b"x", method="POST"))
        assert err.value.code == 405
    finally:
        server.shutdown()
        server.server_close()
