"""The scripted Bedrock runtime: event-stream frames botocore accepts, and the routes."""

from __future__ import annotations

import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from agentotel.testing import Reply, ScriptedBedrock
from agentotel.testing._eventstream import event, exception


def test_frames_parse_with_valid_checksums() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(event("chunk", b'{"bytes":"e30="}') + exception("throttlingException", b"{}"))
    first, second = list(buffer)
    assert first.headers[":event-type"] == "chunk"
    assert first.payload == b'{"bytes":"e30="}'
    assert second.headers[":message-type"] == "exception"


def test_corrupted_frame_is_rejected() -> None:
    frame = bytearray(event("chunk", b"{}"))
    frame[-6] ^= 0xFF
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(frame))
    with pytest.raises(ChecksumMismatch):
        list(buffer)


def test_routes_and_unknown_paths() -> None:
    model = ScriptedBedrock([Reply("hi")])
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "x"}]}]}).encode()
    response = model.handle("POST", "/model/amazon.nova-lite-v1%3A0/converse", {}, body)
    assert response.json()["output"]["message"]["content"] == [{"text": "hi"}]
    assert model.requests[0].api == "bedrock.converse"
    missing = model.handle("POST", "/model/x/unknown", {}, body)
    assert missing.status == 404
    assert missing.headers["x-amzn-errortype"].startswith("ResourceNotFoundException")
