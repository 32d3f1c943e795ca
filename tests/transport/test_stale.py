"""Stale keep-alive connections on the aiohttp adapter: resent when certainly unread.

A server closes a connection it kept alive once it has been idle a while; a
client that picks that connection as the close arrives loses the request. The
tests block the event loop while the server closes the idle connection, so the
pool still takes it for alive (the race, made certain). When the request was
still being written as the connection broke (a broken pipe), the server never
read it whole and did not act on it: the adapter sends it again, once, on a new
connection. A request fully written, then dropped unanswered, stays a stale
connection (`tests/transport/test_keepalive.py`, `tests/bulk/test_stale.py`).
"""

from __future__ import annotations

import random
import socket
import socketserver
import time
from collections import Counter
from collections.abc import Iterator

import aiohttp
import anyio
import httpx
import pytest

from velstack_async import APIConnectionError, AsyncVelstack, StaleConnectionError
from velstack_async._http.adapter import ExchangeError, Failure
from velstack_async._http.aiohttp_adapter import _Attempt, _unwritten
from velstack_async.fast import AiohttpTransport
from velstack_async.testing import FakeVelstack, LoopbackServer

from ..reliability.nginx_front import nginx_binary, nginx_front
from .rawserver_keepalive import IdleCloser
from .tcpserver import LoopbackTCPServer

pytestmark = pytest.mark.anyio

TIMEOUT = httpx.Timeout(5)
#: More than a loopback socket takes in one write (and under aiohttp's 1 MiB warning): the
#: body goes out in several writes, and the first one after the server's reset breaks the pipe.
BIG = b"x" * 1_000_000
HEADERS = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.fixture
def idle_closer() -> Iterator[IdleCloser]:
    with IdleCloser(idle=0.05) as server:
        yield server


def closes_idle_connection() -> None:
    """Block the event loop while the server closes the idle connection (the loop does not
    see the close before the next request takes the connection)."""
    time.sleep(0.3)


async def test_a_send_cut_off_while_being_written_is_resent_once_on_a_new_connection(
    anyio_backend: str, idle_closer: IdleCloser
) -> None:
    transport = AiohttpTransport()
    url = idle_closer.url + "/api/quick/sms"
    try:
        status, _, _ = await transport.exchange("GET", url, {}, None, TIMEOUT, 1 << 20)
        assert status == 200
        closes_idle_connection()
        status, _, _ = await transport.exchange("POST", url, HEADERS, BIG, TIMEOUT, 1 << 20)
    finally:
        await transport.aclose()
    assert status == 200
    assert idle_closer.connections == 2  # the reused one, broken; then a new one
    assert idle_closer.bodies == [0, len(BIG)]  # read whole once: on the new connection


class _CutsTheFirstRequest(LoopbackTCPServer):
    """Reads the first bytes of a request, then closes: the request is never read whole."""

    def __init__(self) -> None:
        self.connections = 0
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                sock: socket.socket = self.request
                sock.recv(1024)

        super().__init__(Handler)


async def test_a_send_cut_off_on_a_new_connection_is_not_resent(anyio_backend: str) -> None:
    """Only a reused connection's break is the keep-alive race; a new one that breaks says
    something else about the server: reported, not resent."""
    transport = AiohttpTransport()
    with _CutsTheFirstRequest() as server:
        try:
            with pytest.raises(ExchangeError) as caught:
                await transport.exchange("POST", server.url + "/", HEADERS, BIG, TIMEOUT, 1 << 20)
        finally:
            await transport.aclose()
    assert caught.value.failure is Failure.BROKEN
    assert server.connections == 1


def test_the_forms_of_an_unwritten_request() -> None:
    """What aiohttp raises when it could not write a request (3.10 to 3.14): its writer found
    the connection closed ("Can not write request body", from its body writer; or "Cannot
    write to closing transport", from the headers), or the kernel refused bytes (a broken
    pipe). A reset or a disconnect may come after the request was written whole."""
    written = _Attempt()
    written.body_handed = True
    url = "http://127.0.0.1:8080/api/quick/sms"
    exc: Exception
    for exc in (
        aiohttp.ClientOSError(None, f"Can not write request body for {url}"),
        aiohttp.ClientConnectionResetError("Cannot write to closing transport"),
        aiohttp.ClientOSError(32, "Broken pipe"),
    ):
        assert _unwritten(exc, written, b"{}"), exc
    for exc in (
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
    ):
        assert not _unwritten(exc, written, b"{}"), exc
        assert _unwritten(exc, _Attempt(), b"{}"), exc  # the body never reached the writer
        assert not _unwritten(exc, _Attempt(), None), exc  # a GET: nothing more to write


@pytest.mark.stress
@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")
@pytest.mark.parametrize("adapter", ["aiohttp", "httpx"])
async def test_through_nginx_closing_idle_connections_no_send_is_a_plain_unknown(
    anyio_backend: str, adapter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nginx closes connections idle for 1 s (without saying so); sends spaced 0.99-1.01 s
    on each connection race that close. Each send is sent, or resent on a new connection,
    or ends a stale connection: never a plain connection error, never sent twice."""
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", adapter)
    fake = FakeVelstack(balance=10_000, seed=7)
    outcomes: Counter[str] = Counter()
    spacing = random.Random(7)

    async def worker(client: AsyncVelstack, first: int) -> None:
        for number in range(first, first + 6):
            try:
                await client.sms.send(recipient=f"020{number:07d}", message="hi", sender="SHOP")
            except StaleConnectionError:
                outcomes["stale"] += 1
            except APIConnectionError as exc:
                outcomes[f"other: {exc}"] += 1
            else:
                outcomes["sent"] += 1
            await anyio.sleep(spacing.uniform(0.99, 1.01))

    with LoopbackServer(fake) as upstream, nginx_front(upstream.base_url, keepalive="1s") as url:
        client = AsyncVelstack(api_key=fake.api_key, base_url=url, max_retries=0)
        async with client, anyio.create_task_group() as group:
            for first in range(0, 16 * 6, 6):
                group.start_soon(worker, client, first)
    print(adapter, dict(outcomes))  # the run's figures, with -s
    assert set(outcomes) <= {"sent", "stale"}
    assert sum(outcomes.values()) == 96
    assert fake.message_count == outcomes["sent"]  # a stale send was never processed
    fake.assert_no_duplicates()
