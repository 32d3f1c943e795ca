"""100 clients opened, used and closed leave no file descriptor, thread or event loop behind.

The fake runs in a child process, so every descriptor counted here is the client's.
"""

from __future__ import annotations

import asyncio
import gc
import os
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack, Velstack
from velstack_async.testing import ServerProcess, serve_in_subprocess

CYCLES = 100
#: One TLS context for every httpx transport made here: each new one would load the CA
#: bundle again (30 ms, several times that on a loaded machine), which is not the point.
TLS = ssl.create_default_context()

pytestmark = [
    pytest.mark.stress,
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc"),
]


def open_fds() -> int:
    gc.collect()  # what is unreachable is closed by now
    return len(os.listdir("/proc/self/fd"))


def live_threads() -> int:
    """Threads alive, less trio's idle worker cache (process-wide, reaped after 10 s idle:
    a trio test that ran earlier may leave one that exits at any moment)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("Trio thread"))


def open_loops() -> int:
    """Event loops not closed (other tests' leftovers included: compare, do not expect 0)."""
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed()
    )


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with serve_in_subprocess(["--balance", "1000000"]) as server:
        yield server


def _send(client: AsyncVelstack | Velstack) -> Any:
    return client.sms.send(recipient="0205550368", message="hello", sender="VELSTACK")


@pytest.mark.parametrize(
    ("transport", "backend"), [("default", "asyncio"), ("httpx", "asyncio"), ("httpx", "trio")]
)
def test_async_clients_leave_nothing_behind(
    server: ServerProcess, transport: str, backend: str
) -> None:
    fds, threads, loops = open_fds(), live_threads(), open_loops()
    during: list[int] = []

    async def cycles() -> None:
        during.append(open_fds())  # the loop's own descriptors (selector, wakeup pipe) count
        for _ in range(CYCLES):
            options: dict[str, Any] = {}
            if transport == "httpx":
                options["transport"] = httpx.AsyncHTTPTransport(verify=TLS)
            async with AsyncVelstack(
                api_key=server.api_key, base_url=server.base_url, **options
            ) as client:
                await _send(client)
        await anyio.sleep(0.1)  # closed transports finish closing on the next loop turns
        during.append(open_fds())

    anyio.run(cycles, backend=backend)
    assert during[1] == during[0], (fds, during)  # closed by aclose(), not by the loop's end
    assert open_fds() == fds
    assert live_threads() == threads
    assert open_loops() == loops


def test_sync_clients_leave_nothing_behind(server: ServerProcess) -> None:
    fds, threads, loops = open_fds(), live_threads(), open_loops()
    for i in range(CYCLES):
        client = Velstack(api_key=server.api_key, base_url=server.base_url)
        try:
            if i % 2:
                _send(client)
        finally:
            client.close()
    assert open_fds() == fds
    assert live_threads() == threads
    assert open_loops() == loops
