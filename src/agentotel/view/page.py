"""The HTML shell: inline CSS and script, the page's data as escaped JSON, a strict CSP.

The Content-Security-Policy allows no network access at all and runs only the one
script tag that carries this page's nonce, so even a value that slipped past the
escaping could not load or run anything.
"""

from __future__ import annotations

import html
import json
import secrets
from functools import cache
from importlib import resources
from typing import Any

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def embed_json(data: Any) -> str:
    """JSON that is safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text


@cache
def _asset(name: str) -> str:
    return (
        resources.files("agentotel.view")
        .joinpath("assets")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def render(payload: dict[str, Any], links: bool = False) -> str:
    """One self-contained page. ``links`` makes trace and run ids links (``--serve`` mode)."""
    nonce = secrets.token_urlsafe(16)
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'"
    )
    config = {"links": links}
    title = html.escape(f"agentotel · {payload.get('title') or payload.get('page', '')}")
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_asset('view.css')}</style></head>"
        '<body><div id="app" class="app"><noscript>This page needs JavaScript.</noscript></div>'
        f'<script type="application/json" id="agentotel-data">{embed_json(payload)}</script>'
        f'<script type="application/json" id="agentotel-config">{embed_json(config)}</script>'
        f'<script nonce="{nonce}">{_asset("view.js")}</script>'
        "</body></html>\n"
    )
