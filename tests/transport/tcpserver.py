"""A threading TCP server on a free loopback port, served while in a ``with`` block."""

from __future__ import annotations

import socketserver
import threading
from typing import TypeVar

S = TypeVar("S", bound="LoopbackTCPServer")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackTCPServer:
    """Serves ``handler`` on 127.0.0.1 (``url``) in a daemon thread; stopped on exit."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self._server = _Server(("127.0.0.1", 0), handler)
        # A short poll: shutdown() otherwise waits up to half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self: S) -> S:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
