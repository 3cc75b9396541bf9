"""``python -m agentotel.testing``: serve a scripted model until Ctrl-C (always answers "ok")."""

from __future__ import annotations

import argparse
import sys
import threading

from ._server import ScriptedModelServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agentotel.testing",
        description="Serve a scripted OpenAI- and Anthropic-compatible model on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--text", default="ok", help='the text every reply carries (default: "ok")')
    args = parser.parse_args(argv)
    text: str = args.text
    server = ScriptedModelServer(lambda body, api: text, host=args.host, port=args.port)
    with server:
        print(f"scripted model listening on {server.url}")
        print(f"  OpenAI base_url:    {server.openai_base_url}")
        print(f"  Anthropic base_url: {server.anthropic_base_url}")
        print("press Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
