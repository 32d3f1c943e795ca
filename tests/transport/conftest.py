"""The conformance suite: every test here that takes ``kind`` runs once per adapter.

Real sockets on loopback (respx cannot see aiohttp). ``kind`` is the httpx
adapter (over httpx's own transport) or the aiohttp adapter; aiohttp runs on
asyncio only, so on trio only the httpx adapter runs.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from velstack_async import AsyncVelstack
from velstack_async._http.adapter import Adapter
from velstack_async.fast import AiohttpTransport
from velstack_async.testing import FakeVelstack, LoopbackServer

MakeClient = Callable[..., AsyncVelstack]


@pytest.fixture(params=["httpx", "aiohttp"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """aiohttp runs on asyncio only (the SDK picks httpx on trio): no aiohttp-on-trio cases."""
    items[:] = [item for item in items if not _aiohttp_on_trio(item)]


def _aiohttp_on_trio(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return bool(params.get("kind") == "aiohttp" and params.get("anyio_backend") == "trio")


def make_transport(
    kind: str, limits: httpx.Limits | None = None
) -> httpx.AsyncBaseTransport | Adapter:
    limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=100)
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
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# TLS: an HTTPS server on loopback with a certificate from a private CA (trustme).

BODY = b'{"status": true, "code": 200, "message": "ok", "data": {"Summary": []}}'


class _TLSHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def https_url(ca: trustme.CA) -> Iterator[str]:
    """An HTTPS server on loopback whose certificate (for 127.0.0.1) only ``ca`` signed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TLSHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def adapter(kind: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SDK builds ``kind``'s adapter itself (so it applies verify= and the environment)."""
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", kind)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    return kind


async def list_groups(base_url: str, **options: object) -> list[object]:
    async with AsyncVelstack(api_key="vs_key", base_url=base_url, max_retries=0, **options) as c:  # type: ignore[arg-type]
        return list(await c.groups.list())
