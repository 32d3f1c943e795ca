"""Both HTTP transports against real sockets on loopback (respx cannot see aiohttp).

``kind`` runs a test over httpx's own transport and over the SDK's aiohttp
transport; on trio the aiohttp transport falls back to httpx's, which the
tests check as well.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from velstack_async import AsyncVelstack
from velstack_async.fast import AiohttpTransport
from velstack_async.testing import FakeVelstack, LoopbackServer

MakeClient = Callable[..., AsyncVelstack]


@pytest.fixture(params=["httpx", "aiohttp"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_transport(kind: str, limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport:
    limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
    if kind == "aiohttp":
        return AiohttpTransport(limits=limits)
    return httpx.AsyncHTTPTransport(limits=limits)


@pytest.fixture
def fake() -> FakeVelstack:
    return FakeVelstack(balance=10_000, seed=3)


@pytest.fixture
def server(fake: FakeVelstack) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake) as running:
        yield running


@pytest.fixture
async def make_client(kind: str, instant_retries: None) -> AsyncIterator[MakeClient]:
    """Builds `AsyncVelstack` clients on ``kind``'s transport; closes them after the test."""
    clients: list[AsyncVelstack] = []

    def make(
        base_url: str,
        *,
        api_key: str = "vs_test_key",
        limits: httpx.Limits | None = None,
        **options: Any,
    ) -> AsyncVelstack:
        client = AsyncVelstack(
            api_key=api_key, base_url=base_url, transport=make_transport(kind, limits), **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def refused_url() -> str:
    """A loopback port where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def blackhole_url() -> Iterator[str]:
    """A listener whose accept queue is full: new connections hang until they time out."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"


class Stub:
    """Paths the fake does not serve: a redirect and big bodies; counts hits per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.big_size = 0


def _envelope(size: int) -> bytes:
    return json.dumps({"status": True, "code": 200, "data": {"blob": "x" * size}}).encode()


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            stub.hits[self.path] = stub.hits.get(self.path, 0) + 1
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/target")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/big":
                self._send(_envelope(stub.big_size), chunked=False)
            elif self.path == "/big-chunked":
                self._send(_envelope(stub.big_size), chunked=True)
            elif self.path == "/gzip":
                self._send(gzip.compress(_envelope(1000)), chunked=False, encoding="gzip")
            else:
                self._send(_envelope(0), chunked=False)

        def _send(self, body: bytes, *, chunked: bool, encoding: str | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            if not chunked:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading a refused body closes the connection


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    """A tiny stdlib HTTP server: (its hit counter, its base URL)."""
    state = Stub()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
