"""Read timeouts on the aiohttp adapter (aiohttp's ``sock_read``).

A server that never answers times out as a read timeout; a body that keeps
arriving is never cut (the timeout is per read); a cancelled request leaves
the pool usable.
"""

from __future__ import annotations

import socket
import threading
import time

import anyio
import httpx
import pytest

from velstack_async import APITimeoutError, AsyncVelstack
from velstack_async.fast import AiohttpTransport

from ..reliability.rawserver import RawServer, Request, respond, silent

pytestmark = pytest.mark.anyio

BODY = b'{"status": true, "code": 200, "message": "ok", "data": []}'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


def trickle(conn: socket.socket, request: Request, stop: threading.Event) -> None:
    """A chunked body in five pieces, 0.15 s apart."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.sendall(b"Transfer-Encoding: chunked\r\n\r\n")
    pieces = [BODY[i : i + 12] for i in range(0, len(BODY), 12)]
    for piece in pieces[:-1]:
        conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if stop.wait(0.15):
            return
    conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(pieces[-1]), pieces[-1]))


async def test_a_silent_server_times_out_as_a_read_timeout(anyio_backend: str) -> None:
    with RawServer(silent) as server:
        async with AsyncVelstack(
            api_key="vs_key", base_url=server.base_url, transport=AiohttpTransport(), timeout=0.3
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as caught:
                await client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    assert 0.25 <= time.monotonic() - started < 3
    assert str(caught.value).startswith("read timeout")
    assert caught.value.may_have_been_sent is True


async def test_a_body_that_keeps_arriving_is_not_cut(anyio_backend: str) -> None:
    """Five pieces 0.15 s apart (0.6 s in all) under a 0.4 s read timeout: each read resets it."""
    with RawServer(trickle) as server:
        transport = AiohttpTransport()
        try:
            status, _, body = await transport.exchange(
                "GET", server.base_url + "/", {}, None, httpx.Timeout(5, read=0.4), 1 << 20
            )
        finally:
            await transport.aclose()
    assert (status, body) == (200, BODY)


async def test_cancelling_a_request_cancels_it_and_spares_the_pool(anyio_backend: str) -> None:
    with RawServer(silent) as quiet, RawServer(respond(200, {}, BODY)) as answering:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        timeout = httpx.Timeout(5, read=2, pool=0.5)
        try:
            with anyio.move_on_after(0.2) as scope:
                await transport.exchange("GET", quiet.base_url + "/", {}, None, timeout, 1 << 20)
            assert scope.cancelled_caught
            for _ in range(3):  # the one slot is free again (else: a pool timeout)
                status, _, body = await transport.exchange(
                    "GET", answering.base_url + "/", {}, None, timeout, 1000
                )
                assert (status, body) == (200, BODY)
        finally:
            await transport.aclose()
