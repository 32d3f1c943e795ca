"""The portal bridges: coroutines and async iterators from threads; thread ownership."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import trio

from velstack_async._asynclib import current_async_library
from velstack_async._portal import Portal


class Resource:
    def __init__(self, fail: bool = False) -> None:
        if fail:
            raise ValueError("cannot make it")
        self.thread = threading.get_ident()
        self.closed_in: int | None = None

    async def aclose(self) -> None:
        self.closed_in = threading.get_ident()


@pytest.fixture
def portal() -> Iterator[Portal[Resource]]:
    portal = Portal.open(Resource)
    yield portal
    portal.close()


class Numbers:
    """An async generator that, like a campaign, runs tasks between its ``yield``s."""

    def __init__(self) -> None:
        self.pulled = 0
        self.closed = False

    async def run(self, n: int) -> AsyncIterator[int]:
        try:
            for i in range(n):
                async with anyio.create_task_group() as group:  # not across a yield
                    group.start_soon(anyio.lowlevel.checkpoint)
                self.pulled += 1
                yield i
        finally:
            self.closed = True


def test_call_forwards_arguments_and_results(portal: Portal[Resource]) -> None:
    async def combine(a: int, /, *rest: int, scale: int = 1, **named: int) -> int:
        await anyio.lowlevel.checkpoint()
        return (a + sum(rest) + sum(named.values())) * scale

    assert portal.call(combine, 1, 2, 3, scale=10, x=4) == 100


def test_iterate_without_read_ahead(portal: Portal[Resource]) -> None:
    numbers = Numbers()
    iterator = portal.iterate(numbers.run, 5)
    assert numbers.pulled == 0  # lazy, like the async generator
    assert next(iterator) == 0
    assert numbers.pulled == 1
    assert list(iterator) == [1, 2, 3, 4]
    assert numbers.closed


def test_breaking_out_closes_the_async_generator_in_its_task(portal: Portal[Resource]) -> None:
    numbers = Numbers()
    for i in portal.iterate(numbers.run, 1_000):
        if i == 2:
            break
    assert numbers.closed
    assert numbers.pulled == 3
    assert portal.call(anyio.sleep, 0) is None  # the portal survived the task group's exit


def test_an_exception_inside_the_loop_body_closes_the_generator(portal: Portal[Resource]) -> None:
    numbers = Numbers()

    def consume() -> None:
        for _ in portal.iterate(numbers.run, 10):
            raise KeyError("consumer failed")

    with pytest.raises(KeyError):
        consume()
    assert numbers.closed


def test_iterator_errors_reach_the_thread(portal: Portal[Resource]) -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise LookupError("from the loop")

    iterator = portal.iterate(failing)
    assert next(iterator) == 1
    with pytest.raises(LookupError, match="from the loop"):
        next(iterator)
    with pytest.raises(StopIteration):
        next(iterator)


def test_errors_while_closing_the_generator_reach_the_thread(portal: Portal[Resource]) -> None:
    async def bad_cleanup() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            raise OSError("cleanup failed")

    iterator = portal.iterate(bad_cleanup)
    assert next(iterator) == 1
    with pytest.raises(OSError, match="cleanup failed"):
        iterator.close()


def test_base_exceptions_are_carried_without_stopping_the_portal(portal: Portal[Resource]) -> None:
    async def exits() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit) as info:
        portal.call(exits)
    assert info.value.code == 3
    assert portal.call(anyio.sleep, 0) is None


def test_open_makes_the_resource_in_the_loop_at_first_use_and_closes_it_there() -> None:
    threads_before = set(threading.enumerate())
    portal = Portal.open(Resource)
    assert portal.peek() is None
    assert set(threading.enumerate()) == threads_before  # nothing starts before a call
    resource = portal.resource
    loop = portal._current()[0]
    assert resource.thread == loop.thread.ident != threading.get_ident()
    assert portal.peek() is resource
    assert resource.closed_in is None
    portal.close()
    assert resource.closed_in == resource.thread
    assert set(threading.enumerate()) == threads_before


def test_a_failed_make_stops_the_thread_and_raises_at_the_call() -> None:
    before = set(threading.enumerate())
    portal = Portal.open(lambda: Resource(fail=True))
    with pytest.raises(ValueError, match="cannot make it"):
        portal.call(anyio.sleep, 0)
    assert set(threading.enumerate()) == before


def test_the_loop_cannot_wait_for_its_own_tasks(portal: Portal[Resource]) -> None:
    assert __debug__, "this check is an assert: run the tests without -O"
    with pytest.raises(AssertionError, match="cannot wait for its own tasks"):
        portal.call(_submit_from_the_loop, portal._current()[0])


async def _submit_from_the_loop(loop: Any) -> None:
    loop.submit(1.0, anyio.sleep, 0)


def test_running_event_loop_detection() -> None:
    async def name() -> str | None:
        return current_async_library()

    assert current_async_library() is None
    assert asyncio.run(name()) == "asyncio"
    assert trio.run(name) == "trio"
