"""Read timeouts on the aiohttp fast path: one timer for all requests (`_deadlines`).

A request past its deadline fails with `httpx.ReadTimeout`; any other
cancellation still propagates; a body that keeps arriving is never cut; and
nothing is left behind for requests that finished.
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
from velstack_async._http.deadlines import SUPPORTED, Deadlines
from velstack_async.fast import AiohttpTransport

from ..reliability.rawserver import RawServer, Request, respond, silent

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("anyio_backend", ["asyncio"]),  # aiohttp runs on asyncio only
    pytest.mark.skipif(not SUPPORTED, reason="needs Task.uncancel (Python 3.11+)"),
]

BODY = b'{"status": true, "code": 200, "message": "ok", "data": []}'


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


async def test_an_overdue_task_is_cancelled_and_told_so(anyio_backend: str) -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    watch = deadlines.watch(0.05)
    assert watch is not None
    watch.reset()
    started = time.monotonic()
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        ours_alone = watch.timed_out()  # withdrawn if so
    else:
        pytest.fail("not cancelled")
    assert ours_alone is True
    assert 0.04 <= time.monotonic() - started < 2
    assert len(deadlines) == 0


async def test_a_finished_request_leaves_nothing_behind(anyio_backend: str) -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    for _ in range(100):
        watch = deadlines.watch(0.05)
        assert watch is not None
        watch.reset()
        await asyncio.sleep(0)
        assert watch.end() is False
    assert len(deadlines) == 0
    await asyncio.sleep(0.1)  # the timer fires on nothing: no stray cancellation
    deadlines.close()


async def test_a_cancellation_from_elsewhere_is_not_a_timeout(anyio_backend: str) -> None:
    """Cancelled by someone else and past the deadline at once: the cancellation propagates."""
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.current_task()
    assert task is not None
    watch = deadlines.watch(0.01)
    assert watch is not None
    watch.reset()
    asyncio.get_running_loop().call_later(0.02, task.cancel)  # someone else, just after
    # Both come due while this blocks: at the next loop turn, the deadline fires, then theirs.
    time.sleep(0.05)  # noqa: ASYNC251
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        ours_alone = watch.timed_out()
    else:
        pytest.fail("not cancelled")
    assert ours_alone is False
    if sys.version_info >= (3, 11):  # (always, under the skipif: for mypy's sake)
        assert task.cancelling() == 1  # ours withdrawn, theirs still pending
        task.uncancel()  # this test's own cancellation, handled


async def test_a_silent_server_times_out_as_a_read_timeout(anyio_backend: str) -> None:
    with RawServer(silent) as server:
        transport = AiohttpTransport()
        async with AsyncVelstack(
            api_key="vs_key", base_url=server.base_url, transport=transport, timeout=0.3
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as caught:
                await client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
            assert 0.25 <= time.monotonic() - started < 3
            assert caught.value.may_have_been_sent is True
            assert transport._deadlines is not None
            assert len(transport._deadlines) == 0


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
        transport = AiohttpTransport()
        timeout = httpx.Timeout(5, read=2)
        try:
            with anyio.move_on_after(0.2) as scope:
                await transport.exchange("GET", quiet.base_url + "/", {}, None, timeout, 1 << 20)
            assert scope.cancelled_caught
            deadlines = transport._deadlines
            assert deadlines is not None
            assert len(deadlines) == 0
            results = []
            async with anyio.create_task_group() as tg:
                for _ in range(20):

                    async def one() -> None:
                        url = answering.base_url + "/"
                        result = await transport.exchange("GET", url, {}, None, timeout, 1000)
                        results.append(result)

                    tg.start_soon(one)
            assert [status for status, _, _ in results] == [200] * 20
            assert len(deadlines) == 0
        finally:
            await transport.aclose()


async def test_without_task_uncancel_aiohttp_times_reads(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.10 has no ``Task.uncancel``: each read is timed by aiohttp (``sock_read``)."""
    monkeypatch.setattr("velstack_async._http.deadlines.SUPPORTED", False)
    with RawServer(silent) as quiet, RawServer(trickle) as slow:
        transport = AiohttpTransport()
        try:
            started = time.monotonic()
            with pytest.raises(ExchangeError) as caught:
                await transport.exchange(
                    "POST", quiet.base_url + "/", {}, b"{}", httpx.Timeout(5, read=0.3), 1 << 20
                )
            assert caught.value.failure is Failure.READ_TIMEOUT
            assert 0.25 <= time.monotonic() - started < 3
            assert transport._deadlines is None
            status, _, body = await transport.exchange(
                "GET", slow.base_url + "/", {}, None, httpx.Timeout(5, read=0.4), 1 << 20
            )
            assert (status, body) == (200, BODY)  # 0.6 s in all, no read over 0.4 s
        finally:
            await transport.aclose()
