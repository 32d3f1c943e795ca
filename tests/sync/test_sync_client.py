"""`Velstack`'s lifecycle: close, with_options, threads, event loops, interpreter exit."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
import httpx
import pytest
import respx
import trio

from velstack_async import BulkResult, Group, Velstack
from velstack_async._portal import SyncClientInEventLoopWarning, guards
from velstack_async.testing import FakeVelstack

from ..core import payloads as p
from .conftest import API_KEY


def test_repr_hides_the_key(api: respx.MockRouter, client: Velstack) -> None:
    assert API_KEY not in repr(client)
    assert repr(client) == (
        "<Velstack base_url='https://sms.velstack.com' adapter=chosen at first request "
        "api_key=<hidden>>"
    )
    assert client.http_adapter is None  # nothing is made before the first call
    api.get("/api/group").respond(json=p.GROUPS)
    client.groups.list()
    assert repr(client) == (
        "<Velstack base_url='https://sms.velstack.com' adapter=httpx api_key=<hidden>>"
    )
    assert client.http_adapter == "httpx"  # as the async client's (README "HTTP adapters")
    assert client.options.base_url == client.base_url == "https://sms.velstack.com"
    client.close()
    assert repr(client).endswith("api_key=<hidden> closed>")


def test_close_twice_and_calls_after_close(fake: FakeVelstack) -> None:
    threads_before = set(threading.enumerate())
    client = Velstack(api_key=fake.api_key, transport=fake.async_transport())
    assert set(threading.enumerate()) == threads_before  # the loop starts at the first call
    assert client.groups.list()
    assert len(set(threading.enumerate()) - threads_before) == 1  # the loop thread
    client.close()
    client.close()
    assert client.closed
    assert set(threading.enumerate()) == threads_before
    with pytest.raises(RuntimeError, match="closed"):
        client.groups.list()
    with pytest.raises(RuntimeError, match="closed"):
        list(client.sms.stream_bulk(["0205550368"], message="hi", sender="VELSTACK"))
    with pytest.raises(RuntimeError, match="closed"), client:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        client.with_options(max_retries=0)


def test_with_block_closes(fake: FakeVelstack) -> None:
    with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        assert not client.closed
    assert client.closed


def test_failed_construction_leaves_no_thread() -> None:
    threads_before = set(threading.enumerate())
    with pytest.raises(ValueError, match="API key"):
        Velstack(api_key="")
    assert set(threading.enumerate()) == threads_before


def test_with_options_shares_the_loop_and_pool(fake: FakeVelstack, fake_client: Velstack) -> None:
    threads_before = set(threading.enumerate())
    derived = fake_client.with_options(max_retries=0, timeout=5)
    assert set(threading.enumerate()) == threads_before
    assert (derived.max_retries, fake_client.max_retries) == (0, 2)
    assert derived._client._requester._pool is fake_client._client._requester._pool
    assert derived.groups.list()
    derived.close()
    derived.close()
    with pytest.raises(RuntimeError, match="closed"):
        derived.groups.list()
    assert fake_client.groups.list()  # closing the derived client leaves the original open
    other = fake_client.with_options(max_retries=1)
    fake_client.close()
    assert other.closed
    with pytest.raises(RuntimeError, match="closed"):
        other.groups.list()


class ClosingTransport(httpx.AsyncBaseTransport):
    """Forwards to another transport and records that the client closed it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.closed_in: str | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closed_in = threading.current_thread().name


def test_unreferenced_client_is_closed_and_stops_its_thread(fake: FakeVelstack) -> None:
    threads_before = set(threading.enumerate())
    transport = ClosingTransport(fake.async_transport())
    groups = Velstack(api_key=fake.api_key, transport=transport).groups.list()
    assert [g.name for g in groups] == ["V BANK", "My Group"]
    gc.collect()
    assert transport.closed_in is not None  # the client was closed, in its loop thread
    assert transport.closed_in != threading.current_thread().name
    assert set(threading.enumerate()) == threads_before


class Rendezvous:
    """A fake endpoint that answers only once ``parties`` requests are in flight together."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self._everyone: anyio.Event | None = None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        # Runs in the client's event loop thread: no lock needed.
        if self._everyone is None:
            self._everyone = anyio.Event()
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.in_flight >= self.parties:
            self._everyone.set()
        try:
            with anyio.fail_after(5):  # only when calls do not overlap: then the test fails
                await self._everyone.wait()
        finally:
            self.in_flight -= 1
        return httpx.Response(200, json=p.GROUPS)


def test_threads_share_one_client_and_their_calls_overlap() -> None:
    server = Rendezvous(parties=8)
    with (
        Velstack(api_key=API_KEY, transport=httpx.MockTransport(server.handle)) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        results = list(pool.map(lambda _: client.groups.list(), range(32)))
    assert all(len(groups) == 2 and isinstance(groups[0], Group) for groups in results)
    assert server.requests == 32
    assert server.max_in_flight == 8


def test_threads_sending_through_one_client(fake: FakeVelstack, fake_client: Velstack) -> None:
    numbers = [f"02055{i:05d}" for i in range(64)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        summaries = list(
            pool.map(
                lambda n: fake_client.sms.send(recipient=n, message="hi", sender="VELSTACK"),
                numbers,
            )
        )
    assert len({s.message_id for s in summaries}) == 64
    assert fake.message_count == 64
    fake.assert_no_duplicates()


def test_close_waits_for_a_call_in_progress_and_refuses_new_ones() -> None:
    started, release = threading.Event(), threading.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        # Cancellable: a close that cancelled calls in progress would end this one.
        await anyio.to_thread.run_sync(release.wait, abandon_on_cancel=True)
        return httpx.Response(200, json=p.GROUPS)

    transport = ClosingTransport(httpx.MockTransport(slow))
    client = Velstack(api_key=API_KEY, transport=transport)
    results: list[object] = []

    def call() -> None:
        try:
            results.append(client.groups.list())
        except RuntimeError as exc:
            results.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert started.wait(10)
    closer = threading.Thread(target=client.close)
    closer.start()
    loop = client._portal._state[0]  # type: ignore[index]
    deadline = time.monotonic() + 10
    while loop._idle is None:  # set once close() waits for the calls in progress
        assert time.monotonic() < deadline, "close() did not wait for the call in progress"
        closer.join(0.001)
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        client.groups.list()
    assert transport.closed_in is None  # the pool stays open for the call in progress
    release.set()
    caller.join(10)
    closer.join(10)
    assert not closer.is_alive()
    [groups] = results
    assert isinstance(groups, list)
    assert len(groups) == 2
    assert transport.closed_in is not None


def test_close_ends_an_open_iteration(fake: FakeVelstack, fake_client: Velstack) -> None:
    numbers = [f"0205{i:06d}" for i in range(1000)]
    stream = fake_client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK")
    assert isinstance(next(stream), BulkResult)
    fake_client.close()
    sent = fake.message_count
    with pytest.raises(RuntimeError, match="closed"):
        next(stream)
    assert fake.message_count == sent < len(numbers)


@pytest.fixture
def warning_not_yet_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning is shown once per process: let this test see it again."""
    monkeypatch.setattr(guards, "_warned", False)


def test_a_call_from_an_asyncio_event_loop_works_and_warns_once(
    api: respx.MockRouter, client: Velstack, warning_not_yet_shown: None
) -> None:
    api.get("/api/group").respond(json=p.GROUPS)

    async def mixing_styles() -> list[Group]:
        return client.groups.list()

    with pytest.warns(SyncClientInEventLoopWarning) as record:
        assert len(asyncio.run(mixing_styles())) == 2
    [warning] = record
    assert issubclass(warning.category, RuntimeWarning)
    assert "asyncio event loop" in str(warning.message)
    assert "use AsyncVelstack" in str(warning.message)
    assert warning.filename == __file__  # points at the caller's line, not the SDK's
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pytest's filterwarnings=error, made explicit
        assert len(anyio.run(mixing_styles)) == 2  # once per process: no second warning
    assert len(api.calls) == 2


def test_a_call_from_a_trio_event_loop_works_and_warns(
    fake: FakeVelstack, fake_client: Velstack, warning_not_yet_shown: None
) -> None:
    async def mixing_styles() -> BulkResult:
        return next(fake_client.sms.stream_bulk(["0205550368"], message="hi", sender="VELSTACK"))

    with pytest.warns(SyncClientInEventLoopWarning, match=r"trio event loop.*use AsyncVelstack"):
        assert trio.run(mixing_styles).status.value == "sent"
    assert fake.message_count == 1


IPYTHON_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from IPython.core.interactiveshell import InteractiveShell
    from velstack_async import Velstack
    from velstack_async.testing import FakeVelstack

    InteractiveShell.instance()  # a real IPython shell, as in a terminal or a kernel
    fake = FakeVelstack.demo()

    async def cell():
        with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
            return len(client.groups.list())

    print(asyncio.run(cell()))
    """
)


def test_no_warning_inside_ipython() -> None:
    command = [sys.executable, "-W", "error::RuntimeWarning", "-c", IPYTHON_SCRIPT]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2\n"
    without = IPYTHON_SCRIPT.replace("InteractiveShell.instance()", "pass")
    command[-1] = without
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1  # the same code outside IPython: the warning, as an error
    assert "SyncClientInEventLoopWarning" in result.stderr


def test_calls_from_callbacks_in_the_loop_thread_raise(
    fake: FakeVelstack, fake_client: Velstack
) -> None:
    threads: set[str] = set()
    errors: list[RuntimeError] = []

    def on_result(result: BulkResult) -> None:
        threads.add(threading.current_thread().name)
        try:
            fake_client.groups.list()
        except RuntimeError as exc:
            errors.append(exc)

    report = fake_client.sms.send_bulk(
        ["0205550368", "0248297302"], message="hi", sender="VELSTACK", on_result=on_result
    )
    assert report.sent == 2
    assert threading.current_thread().name not in threads
    assert len(errors) == 2
    assert "its own event loop thread" in str(errors[0])
    assert "would deadlock" in str(errors[0])


EXIT_SCRIPT = textwrap.dedent(
    """
    import httpx
    from velstack_async import Velstack
    from velstack_async.testing import FakeVelstack

    class Transport(httpx.AsyncBaseTransport):
        def __init__(self, inner):
            self.inner = inner

        async def handle_async_request(self, request):
            return await self.inner.handle_async_request(request)

        async def aclose(self):
            print("transport closed in the loop")

    fake = FakeVelstack.demo()
    client = Velstack(api_key=fake.api_key, transport=Transport(fake.async_transport()))
    print(len(client.groups.list()))
    numbers = [f"0205{i:06d}" for i in range(1000)]
    stream = client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK")
    print(next(stream).status.value)
    print("exiting without close")
    """
)


def test_an_unclosed_client_does_not_hang_interpreter_exit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = ["2", "sent", "exiting without close", "transport closed in the loop", ""]
    assert result.stdout.split("\n") == lines
    assert result.stderr == ""
