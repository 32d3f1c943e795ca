"""A server that accepts the connection and never answers: the call fails within its timeout.

The bounds are the timeouts, not seconds of slack for a loaded machine. From
inside the event loop, the call starts before any attempt's timer and a
timer never fires early: no attempt gives up sooner than the configured
timeout (the lower bounds). The raw server stamps each request's arrival;
the time from an arrival to the next one, or to the call's end, tells the
configured timeout from the one it replaces, the default read timeout
(30 s), which a wait that ignored ``timeout=`` would take (the upper bounds).
Neither the client's start-up (imports, the event loop, connecting) nor a
scheduling delay counts. Nothing waits forever, and nothing is retried that
may have been processed.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs
import httpx
import pytest

from velstack_async import APITimeoutError, AsyncVelstack, BulkStatus
from velstack_async._options import DEFAULT_TIMEOUT

from .rawserver import RawServer, Request, Script, silent

TIMEOUT = 0.3
#: A timer never fires early; this allows for the clocks' resolution.
EARLY = 0.95
#: What a wait that ignored the configured timeout would take.
DEFAULT_READ: float = DEFAULT_TIMEOUT.read or 0.0
assert DEFAULT_READ >= 100 * TIMEOUT  # far apart: the bounds below tell them apart


def stalled(conn: socket.socket, request: Request, stop: threading.Event) -> None:
    """Send the status line and headers, promise a body, then say nothing more."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    stop.wait()


SERVERS = {"silent": silent, "stalled": stalled}
# The SDK's default transport (aiohttp, asyncio only), and httpx's own on both loops.
SETUPS = [("default", "asyncio"), ("httpx", "asyncio"), ("httpx", "trio")]


@attrs.frozen
class Outcome:
    """What a call returned (or raised), when it started and ended (inside the event loop),
    and what the server saw."""

    result: Any
    called: float
    ended: float
    server: RawServer

    @property
    def arrivals(self) -> list[float]:
        return [request.arrived for request in self.server.requests]

    @property
    def took(self) -> float:
        return self.ended - self.called

    def waits(self) -> list[float]:
        """Seconds from each request's arrival to the next one's, or to the call's end."""
        times = [*self.arrivals, self.ended]
        return [later - earlier for earlier, later in itertools.pairwise(times)]


def run_against(
    script: Script,
    setup: tuple[str, str],
    call: Callable[[AsyncVelstack], Awaitable[Any]],
    **options: Any,
) -> Outcome:
    transport, backend = setup
    if transport == "httpx":
        options["transport"] = httpx.AsyncHTTPTransport()
    with RawServer(script) as server:
        called = ended = 0.0

        async def run() -> Any:
            nonlocal called, ended
            async with AsyncVelstack(
                api_key="vs_key", base_url=server.base_url, timeout=TIMEOUT, **options
            ) as client:
                called = time.monotonic()
                try:
                    # A hang fails the test (after the default timeout) instead of CI.
                    with anyio.fail_after(3 * DEFAULT_READ):
                        return await call(client)
                finally:
                    ended = time.monotonic()

        try:
            result: Any = anyio.run(run, backend=backend)
        except Exception as exc:  # returned for the test to check
            result = exc
        return Outcome(result, called, ended, server)


@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
@pytest.mark.parametrize("script", SERVERS.values(), ids=SERVERS.keys())
def test_a_send_fails_within_the_timeout_and_is_not_retried(
    script: Script, setup: tuple[str, str]
) -> None:
    outcome = run_against(
        script,
        setup,
        lambda c: c.sms.send(recipient="0205550368", message="hello", sender="VELSTACK"),
    )
    error = outcome.result
    assert isinstance(error, APITimeoutError), repr(error)
    assert error.may_have_been_sent
    assert len(outcome.server.requests) == 1  # it may have been processed: never sent twice
    assert outcome.took >= TIMEOUT * EARLY
    (wait,) = outcome.waits()
    assert wait < DEFAULT_READ


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
def test_a_read_is_retried_then_fails_within_its_timeouts(setup: tuple[str, str]) -> None:
    """A GET is never processed twice by mistake: after its timeout it is sent again (no
    backoff wait here), and the second attempt's timeout ends the call."""
    outcome = run_against(silent, setup, lambda c: c.groups.list(), max_retries=1)
    error = outcome.result
    assert isinstance(error, APITimeoutError), repr(error)
    assert not error.may_have_been_sent
    assert len(outcome.server.requests) == 2
    # Each attempt waited out the configured timeout: the retry left after the first one,
    # the call ended after the second...
    assert outcome.arrivals[1] - outcome.called >= TIMEOUT * EARLY
    assert outcome.took >= 2 * TIMEOUT * EARLY
    # ... and only that one.
    assert max(outcome.waits()) < DEFAULT_READ, outcome.waits()


@pytest.mark.parametrize("setup", SETUPS, ids="-".join)
@pytest.mark.parametrize("script", SERVERS.values(), ids=SERVERS.keys())
@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_campaign_reports_unknown_within_the_timeout(
    script: Script, setup: tuple[str, str], batch_size: int
) -> None:
    numbers = [f"020555{i:04d}" for i in range(5)]
    outcome = run_against(
        script,
        setup,
        lambda c: c.sms.send_bulk(
            numbers, message="hello", sender="VELSTACK", concurrency=5, batch_size=batch_size
        ),
    )
    report = outcome.result
    assert report.unknown == 5, report
    assert all(r.status is BulkStatus.UNKNOWN for r in report.unsent)
    assert all(isinstance(r.error, APITimeoutError) for r in report.unsent)
    assert len(outcome.server.requests) == (5 if batch_size == 1 else 1)  # one batch of five
    # The requests went out together (concurrency 5): the campaign ended on their timeouts.
    assert outcome.took >= TIMEOUT * EARLY
    assert outcome.ended - max(outcome.arrivals) < DEFAULT_READ
