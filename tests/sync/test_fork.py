"""`Velstack` across a fork: a child gets its own loop and pool; no wait is endless.

The client talks to the fake over loopback HTTP (a server process), so a
child's requests leave on sockets of its own, and the parent's pool (with a
kept-alive connection from before the fork) must still work afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import Velstack
from velstack_async._portal import Portal
from velstack_async.testing import ServerProcess, serve_in_subprocess

# Python 3.12+ warns when a process with threads forks (the parent's loop thread, pytest's).
pytestmark = [
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
    pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform"),
]

CHILD_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with serve_in_subprocess() as process:
        yield process


def messages(server: ServerProcess) -> int:
    count: int = httpx.get(server.base_url + "/_fake/stats").json()["messages"]
    return count


def send(client: Velstack, text: str = "hi") -> str:
    return client.sms.send(recipient="0205550368", message=text, sender="VELSTACK").message_id


def in_child(work: Callable[[], Any]) -> Any:
    """``work()`` in a forked child; its result comes back through a pipe."""
    kind, value = run_in_child(work)
    assert kind == "ok", value
    return value


def error_in_child(work: Callable[[], object]) -> str:
    """The exception (type: message) ``work()`` raised in a forked child."""
    kind, value = run_in_child(work)
    assert kind == "error", value
    return str(value)


def run_in_child(work: Callable[[], Any]) -> tuple[str, Any]:
    """``work()`` in a forked child: ("ok", its result) or ("error", the exception)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            try:
                outcome: tuple[str, Any] = ("ok", work())
            except BaseException as exc:
                outcome = ("error", f"{type(exc).__name__}: {exc}")
            os.write(write, pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], CHILD_TIMEOUT)
        data = b""
        if ready:
            while chunk := os.read(read, 65536):
                data += chunk
    finally:
        os.close(read)
        if not data:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert data, f"the forked child did not finish within {CHILD_TIMEOUT:g} s (it hung)"
    kind, value = pickle.loads(data)
    return kind, value


def test_a_client_used_before_the_fork_works_in_the_child(server: ServerProcess) -> None:
    with Velstack(api_key=server.api_key, base_url=server.base_url) as client:
        send(client)  # the parent's loop thread runs, a connection is kept alive
        before = messages(server)

        def child() -> tuple[str, str, bool]:
            first, second = send(client, "from the child"), send(client, "again")
            loop = client._portal._current()[0]
            return first, second, loop.pid == os.getpid()

        first, second, own_loop = in_child(child)
        assert own_loop
        assert first != second
        assert messages(server) == before + 2
        send(client)  # the parent's loop and kept-alive connection are untouched
        assert messages(server) == before + 3


def test_a_client_never_used_before_the_fork_starts_no_thread(server: ServerProcess) -> None:
    threads = set(threading.enumerate())
    client = Velstack(api_key=server.api_key, base_url=server.base_url)  # as in a tasks.py
    assert set(threading.enumerate()) == threads
    assert in_child(lambda: len({send(client), send(client)})) == 2
    assert set(threading.enumerate()) == threads
    assert client.http_adapter is None  # nothing was made in the parent
    send(client)
    client.close()
    assert set(threading.enumerate()) == threads


def test_the_child_cannot_continue_the_parents_iteration(server: ServerProcess) -> None:
    numbers = [f"02055{i:05d}" for i in range(40)]
    with Velstack(api_key=server.api_key, base_url=server.base_url) as client:
        stream = client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK", concurrency=4)
        next(stream)

        error = error_in_child(lambda: next(stream))
        assert error.startswith("RuntimeError: this iteration was started in the parent process")
        assert sum(1 for _ in stream) == len(numbers) - 1  # the parent's goes on


def test_a_client_closed_before_the_fork_stays_closed(server: ServerProcess) -> None:
    client = Velstack(api_key=server.api_key, base_url=server.base_url)
    client.close()

    assert error_in_child(lambda: send(client)) == "ClosedError: this Velstack client is closed"


_POOL_CLIENT: Velstack | None = None


def _pool_send(text: str) -> tuple[int, str]:
    assert _POOL_CLIENT is not None
    return os.getpid(), send(_POOL_CLIENT, text)


def test_a_multiprocessing_fork_pool(server: ServerProcess) -> None:
    global _POOL_CLIENT
    _POOL_CLIENT = Velstack(api_key=server.api_key, base_url=server.base_url)
    try:
        send(_POOL_CLIENT)
        before = messages(server)
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map_async(_pool_send, [f"m{i}" for i in range(8)]).get(CHILD_TIMEOUT)
            pool.close()
            pool.join()
        assert {pid for pid, _ in results} - {os.getpid()}  # sent from the workers
        assert len({message for _, message in results}) == 8
        assert messages(server) == before + 8
        send(_POOL_CLIENT)
    finally:
        _POOL_CLIENT.close()
        _POOL_CLIENT = None


EXITING_CHILD = textwrap.dedent(
    """
    import gc, os, sys, warnings
    from velstack_async import Velstack

    # Python 3.12+: "This process is multi-threaded, use of fork() may lead to deadlocks"
    warnings.filterwarnings("ignore", "This process", DeprecationWarning)

    client = Velstack(api_key=sys.argv[1], base_url=sys.argv[2])

    def send(text):
        return client.sms.send(recipient="0205550368", message=text, sender="VELSTACK")

    send("parent")
    pid = os.fork()
    if pid == 0:
        send("child")
        stream = client.sms.stream_bulk(["0205550368"] * 3, message="x", sender="VELSTACK")
        next(stream)
        del client, stream
        gc.collect()
        print("child done", flush=True)
        sys.exit(0)  # a normal exit: atexit, finalizers
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status), flush=True)
    send("parent again")
    print("parent done", flush=True)
    """
)


def test_a_child_exits_normally_and_leaves_the_parent_working(server: ServerProcess) -> None:
    command = [sys.executable, "-c", EXITING_CHILD, server.api_key, server.base_url]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # hung: end it and its forked child
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.splitlines() == ["child done", "child exit 0", "parent done"]
    assert stderr == ""


class Nothing:
    async def aclose(self) -> None:
        pass


async def block_the_loop(seconds: float) -> None:
    threading.Event().wait(seconds)  # like a callback that blocks the event loop thread


def test_a_wait_on_a_stuck_loop_ends_with_an_error() -> None:
    portal = Portal.open(Nothing)
    portal.patience = 1.0  # the client's longest timeout plus the margin, made short
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            portal.call(block_the_loop, 4)
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    started = time.monotonic()
    caller.start()
    caller.join(3.5)
    assert not caller.is_alive(), "the call waited on a stuck loop for good"
    [error] = outcome
    assert isinstance(error, TimeoutError)
    assert "has not answered for 1 s" in str(error)
    assert time.monotonic() - started < 3.5
    with pytest.raises(TimeoutError, match="not answered"):  # refused while still stuck
        portal.call(anyio.sleep, 0)
    while time.monotonic() - started < 4.5:
        time.sleep(0.2)
    assert portal.call(anyio.sleep, 0) is None  # answering again: calls go through
    portal.close()


def test_patience_is_the_longest_timeout_plus_a_margin() -> None:
    from velstack_async._portal.portal import MARGIN, patience

    assert patience(httpx.Timeout(30.0, connect=5.0)) == 30.0 + MARGIN
    assert patience(httpx.Timeout(2.0, read=90.0)) == 90.0 + MARGIN
    assert patience(None) == 30.0 + MARGIN  # the SDK's default timeout
    assert patience(httpx.Timeout(None)) == 30.0 + MARGIN
