"""`FakeVelstack`: the fake service (`FakeService`) plus ways to connect clients to it.

The top of the testing package's import graph: it imports the core
(``_service``) and every adapter (``_transports``, ``_asgi``, ``_server``),
which themselves know only the core.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from ._asgi import FakeASGIApp
from ._server import LoopbackServer
from ._service import FakeService
from ._transports import (
    AsyncFakeTransport,
    SyncFakeTransport,
    async_http_client,
    http_client,
)

__all__ = ["FakeVelstack"]


class FakeVelstack(FakeService):
    """An in-memory Velstack service: accounts, credits, groups, contacts, faults.

    Every request goes through `handle` (thread-safe); `async_http_client`,
    `http_client`, `asgi_app` and `serve_in_thread` connect clients to it.
    See `FakeService` for the state, the send behaviour and ``seed``.
    """

    def async_transport(self) -> AsyncFakeTransport:
        """An `httpx.AsyncBaseTransport` that calls this fake directly (no sockets)."""
        return AsyncFakeTransport(self)

    def transport(self) -> SyncFakeTransport:
        """An `httpx.BaseTransport` that calls this fake directly (no sockets)."""
        return SyncFakeTransport(self)

    def async_http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` wired to this fake; ``kwargs`` go to the client."""
        return async_http_client(self, **kwargs)

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An `httpx.Client` wired to this fake; ``kwargs`` go to the client."""
        return http_client(self, **kwargs)

    def asgi_app(self) -> FakeASGIApp:
        """An ASGI application serving this fake (for uvicorn or any ASGI server)."""
        return FakeASGIApp(self)

    @contextlib.contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP on loopback (uvicorn, background thread); yields the base URL.

        ``port=0`` picks a free port. Needs the ``server`` extra (uvicorn).
        """
        with LoopbackServer(self, host=host, port=port) as server:
            yield server.base_url
