"""Read timeouts on the aiohttp adapter (its `ReadWatch`; aiohttp's ``sock_read`` on 3.10).

A server that never answers times out as a read timeout; a body that keeps
arriving is never cut (the timeout is per read); a cancelled request leaves
the pool usable; each request keeps its own read timeout; a read timeout
leaves no cancellation behind and never swallows the caller's.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time

import anyio
import httpx
import pytest

from velstack_async import APITimeoutError, AsyncVelstack
from velstack_async._http.adapter import ExchangeError, Failure
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


async def test_each_request_times_out_on_its_own_read_timeout(anyio_backend: str) -> None:
    """A request with a 1 s read timeout, then one with 0.3 s: the second times out first (the
    one timer is brought forward), each about its own timeout after it started."""
    ended: dict[str, float] = {}

    async def request(transport: AiohttpTransport, url: str, name: str, read: float) -> None:
        started = time.monotonic()
        with pytest.raises(ExchangeError) as caught:
            await transport.exchange("GET", url, {}, None, httpx.Timeout(5, read=read), 1000)
        assert caught.value.failure is Failure.READ_TIMEOUT
        ended[name] = time.monotonic() - started

    with RawServer(silent) as server:
        transport = AiohttpTransport()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(request, transport, server.base_url + "/", "long", 1.0)
                await anyio.sleep(0.1)
                tg.start_soon(request, transport, server.base_url + "/", "short", 0.3)
        finally:
            await transport.aclose()
    assert 0.25 <= ended["short"] < 0.8, ended
    assert 0.95 <= ended["long"] < 3, ended


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10: aiohttp's sock_read")
async def test_a_read_timeout_leaves_no_cancellation_behind(anyio_backend: str) -> None:
    """The read timeout cancels the request's task and takes that cancellation back: the task
    is not left cancelling (else the caller's next await would be cancelled)."""
    task = asyncio.current_task()
    assert task is not None
    with RawServer(silent) as server:
        transport = AiohttpTransport()
        try:
            with pytest.raises(ExchangeError) as caught:
                await transport.exchange(
                    "POST", server.base_url + "/", {}, b"{}", httpx.Timeout(5, read=0.2), 1000
                )
            assert caught.value.failure is Failure.READ_TIMEOUT
            if sys.version_info >= (3, 11):
                assert task.cancelling() == 0
            await anyio.sleep(0.01)  # not cancelled
        finally:
            await transport.aclose()


async def test_a_callers_cancellation_is_not_taken_for_a_read_timeout(anyio_backend: str) -> None:
    """The caller's deadline and the read timeout fall together: the caller's cancellation
    goes on (its scope catches it), never an `ExchangeError`."""
    with RawServer(silent) as server:
        transport = AiohttpTransport()
        try:
            for _ in range(5):
                with anyio.move_on_after(0.2) as scope:
                    await transport.exchange(
                        "GET", server.base_url + "/", {}, None, httpx.Timeout(5, read=0.2), 1000
                    )
                assert scope.cancelled_caught
        finally:
            await transport.aclose()
