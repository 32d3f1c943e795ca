"""A server that accepts the connection and never answers: the call fails within its timeout.

Bounds are loose (the timeout, plus seconds of slack for a loaded CI machine):
the point is that nothing waits forever, and nothing is retried that may have
been processed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import APITimeoutError, AsyncVelstack, BulkStatus

from .rawserver import RawServer, Request, Script, silent

TIMEOUT = 0.3
SLACK = 2.5


def stalled(conn: socket.socket, request: Request, stop: threading.Event) -> None:
    """Send the status line and headers, promise a body, then say nothing more."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    stop.wait()


SERVERS = {"silent": silent, "stalled": stalled}
# The SDK's default transport (aiohttp, asyncio only), and httpx's own on both loops.
SETUPS = [("default", "asyncio"), ("httpx", "asyncio"), ("httpx", "trio")]


def run_against(
    script: Script,
    setup: tuple[str, str],
    call: Callable[[AsyncVelstack], Awaitable[Any]],
    **options: Any,
) -> tuple[Any, float, RawServer]:
    transport, backend = setup
    if transport == "httpx":
        options["transport"] = httpx.AsyncHTTPTransport()
    with RawServer(script) as server:

        async def run() -> Any:
            async with AsyncVelstack(
                api_key="vs_key", base_url=server.base_url, timeout=TIMEOUT, **options
            ) as client:
                return await call(client)

        started = time.monotonic()
        try:
            result: Any = anyio.run(run, backend=backend)
        except Exception as exc:  # returned for the test to check
            result = exc
        return result, time.monotonic() - started, server


@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
@pytest.mark.parametrize("script", SERVERS.values(), ids=SERVERS.keys())
def test_a_send_fails_within_the_timeout_and_is_not_retried(
    script: Script, setup: tuple[str, str]
) -> None:
    error, elapsed, server = run_against(
        script,
        setup,
        lambda c: c.sms.send(recipient="0205550368", message="hello", sender="VELSTACK"),
    )
    assert isinstance(error, APITimeoutError), repr(error)
    assert error.may_have_been_sent
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + SLACK
    assert len(server.requests) == 1  # it may have been processed: never sent twice


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
def test_a_read_is_retried_then_fails_within_its_timeouts(setup: tuple[str, str]) -> None:
    error, elapsed, server = run_against(silent, setup, lambda c: c.groups.list(), max_retries=1)
    assert isinstance(error, APITimeoutError)
    assert not error.may_have_been_sent
    assert len(server.requests) == 2
    assert 2 * TIMEOUT * 0.9 <= elapsed < 2 * TIMEOUT + SLACK


@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
@pytest.mark.parametrize("script", SERVERS.values(), ids=SERVERS.keys())
@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_campaign_reports_unknown_within_the_timeout(
    script: Script, setup: tuple[str, str], batch_size: int
) -> None:
    numbers = [f"020555{i:04d}" for i in range(5)]
    report, elapsed, server = run_against(
        script,
        setup,
        lambda c: c.sms.send_bulk(
            numbers, message="hello", sender="VELSTACK", concurrency=5, batch_size=batch_size
        ),
    )
    assert report.unknown == 5, report
    assert all(r.status is BulkStatus.UNKNOWN for r in report.unsent)
    assert all(isinstance(r.error, APITimeoutError) for r in report.unsent)
    assert len(server.requests) == (5 if batch_size == 1 else 1)  # one batch of five
    assert elapsed < TIMEOUT + SLACK
