"""Portal calls and iterator steps run in a copy of the calling thread's context."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

import anyio
import anyio.lowlevel
import pytest
import sniffio

from velstack_async._portal import Portal

VAR: ContextVar[str] = ContextVar("var", default="unset")


@pytest.fixture(autouse=True)
def fresh_var() -> Iterator[None]:
    """Each test starts with VAR unset in the test's thread, and leaves it so."""
    token = VAR.set("unset")
    yield
    VAR.reset(token)


class Nothing:
    async def aclose(self) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[Portal[Nothing]]:
    portal = Portal.open(Nothing)
    yield portal
    portal.close()


async def read_and_set(value: str) -> tuple[str, str]:
    """The variable as found, then set: both after a checkpoint (a later step)."""
    before = VAR.get()
    VAR.set(value)
    await anyio.lowlevel.checkpoint()
    return before, VAR.get()


def test_a_call_sees_the_callers_variables_and_cannot_change_them(portal: Portal[Nothing]) -> None:
    assert portal.call(read_and_set, "a") == ("unset", "a")
    VAR.set("caller")
    assert portal.call(read_and_set, "b") == ("caller", "b")
    assert VAR.get() == "caller"


def test_calls_from_threads_each_see_their_own_thread(portal: Portal[Nothing]) -> None:
    seen: dict[str, tuple[str, str]] = {}

    def work(name: str) -> None:
        VAR.set(name)
        seen[name] = portal.call(read_and_set, name + "!")

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {f"t{i}": (f"t{i}", f"t{i}!") for i in range(6)}


async def values(n: int) -> AsyncIterator[str]:
    """Yields the variable as seen at each step."""
    for _ in range(n):
        await anyio.lowlevel.checkpoint()
        yield VAR.get()


def test_each_iterator_step_runs_in_the_context_of_its_next(portal: Portal[Nothing]) -> None:
    steps = portal.iterate(values, 3)
    VAR.set("one")
    first = next(steps)
    VAR.set("two")
    second = next(steps)
    VAR.set("three")
    assert [first, second, *steps] == ["one", "two", "three"]


def test_a_cancelled_call_unwinds_in_the_callers_context(portal: Portal[Nothing]) -> None:
    unwound: list[str] = []
    started = threading.Event()

    async def wait_forever() -> None:
        try:
            started.set()
            await anyio.sleep_forever()
        finally:
            unwound.append(VAR.get())

    VAR.set("caller")
    future = portal._current()[0].submit(portal.patience, wait_forever)
    assert started.wait(5)
    future.cancel()
    for _ in range(500):
        if unwound:
            break
        threading.Event().wait(0.01)
    assert unwound == ["caller"]


@pytest.mark.filterwarnings("ignore::velstack_async.SyncClientInEventLoopWarning")
def test_a_caller_inside_trio_still_runs_the_call_on_asyncio(portal: Portal[Nothing]) -> None:
    async def library() -> str:
        await anyio.lowlevel.checkpoint()  # anyio must find the loop that runs this: asyncio
        return sniffio.current_async_library()

    async def from_trio() -> str:
        return portal.call(library)

    assert anyio.run(from_trio, backend="trio") == "asyncio"
