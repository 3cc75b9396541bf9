"""Cassette helpers: response-header scrubbers and a JSON-aware body matcher for pytest-vcr."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

Hook = Callable[[dict[str, Any]], dict[str, Any]]


def scrub_response_headers(names: Iterable[str]) -> Hook:
    """A ``before_record_response`` hook that removes the named headers (any case)."""
    drop = {name.lower() for name in names}

    def hook(response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers")
        if isinstance(headers, dict):
            for key in [k for k in headers if k.lower() in drop]:
                del headers[key]
        return response

    return hook


def scrub_response_headers_overwrite(values: dict[str, str]) -> Hook:
    """A ``before_record_response`` hook that sets the named headers to fixed values."""

    def hook(response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers")
        if isinstance(headers, dict):
            present = {k.lower(): k for k in headers}
            for name, value in values.items():
                headers[present.get(name.lower(), name)] = value
        return response

    return hook


def _json_or_none(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


def json_body(left: Any, right: Any) -> bool:
    """Bodies match when equal, or when both parse as JSON to equal values."""
    if left.body == right.body:
        return True
    a, b = _json_or_none(left.body), _json_or_none(right.body)
    return a is not None and a == b


@pytest.fixture(scope="module", autouse=True)
def _register_matchers(vcr: Any) -> Any:
    vcr.register_matcher("json_body", json_body)
    # The job replays only (--vcr-record=none); requests to localhost pass through
    # so that the "bad endpoint" tests meet a refused connection, not a missing cassette.
    vcr.ignore_localhost = True
    return vcr


@pytest.fixture
def vcr_cassette_name(request: pytest.FixtureRequest) -> str:
    """``@pytest.mark.cassette(name)`` lets a test replay another test's cassette."""
    marker = request.node.get_closest_marker("cassette")
    if marker is not None:
        return str(marker.args[0])
    name = request.node.name
    cls = request.cls
    return f"{cls.__name__}.{name}" if cls is not None else name
