"""In-process transport for the real SDKs: no sockets, same scripted answers as the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._model import Script, ScriptedModel

if TYPE_CHECKING:
    from ._httpx import ScriptedTransport


def mock_transport(
    model_or_script: ScriptedModel | Script = None, *, async_: bool = False
) -> ScriptedTransport:
    """An ``httpx2.MockTransport`` that answers from a :class:`ScriptedModel`.

    Use it as ``OpenAI(http_client=httpx2.Client(transport=mock_transport(model)))``.
    Sync and async clients can both read its responses, streams included; pass
    ``async_=True`` for an ``httpx2.AsyncClient`` so that ``Reply.delay`` waits with
    ``asyncio.sleep`` instead of blocking the event loop. The model is at ``.model``.
    httpx2 is imported here, not when ``agentotel.testing`` is imported.
    """
    from ._httpx import build

    if isinstance(model_or_script, ScriptedModel):
        model = model_or_script
    else:
        model = ScriptedModel(model_or_script)
    return build(model, async_=async_)
