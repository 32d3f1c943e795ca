"""The aiohttp adapter's slots (requests in flight): in turn, a timeout, cancellation.

Every slot taken is released exactly once, and a slot handed to a request that is
cancelled before it runs goes on to the next one (never lost, never doubled).
"""

from __future__ import annotations

import asyncio

import pytest

from velstack_async._http.slots import Slots

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the aiohttp adapter's, on asyncio only


async def test_waiters_are_served_in_turn_and_none_jumps_the_queue(anyio_backend: str) -> None:
    slots = Slots(1)
    assert slots.take()
    served: list[int] = []

    async def request(number: int) -> None:
        assert await slots.wait(None)
        served.append(number)
        await asyncio.sleep(0)
        slots.release()

    tasks = []
    for number in range(3):
        tasks.append(asyncio.create_task(request(number)))
        await asyncio.sleep(0)  # each starts waiting before the next
    assert not slots.take()  # no slot is free
    slots.release()  # handed to the first waiter, not left for a newcomer
    assert not slots.take()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert served == [0, 1, 2]
    assert slots.free == 1
    assert slots.take()


async def test_a_wait_ends_at_its_timeout_without_a_slot(anyio_backend: str) -> None:
    slots = Slots(1)
    assert slots.take()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert not await slots.wait(0.05)
    assert loop.time() - started >= 0.04
    slots.release()
    assert slots.free == 1
    assert slots.take()  # no timed-out waiter left in the queue


async def test_a_slot_handed_to_a_cancelled_request_goes_to_the_next(anyio_backend: str) -> None:
    slots = Slots(1)
    assert slots.take()
    first = asyncio.create_task(slots.wait(None))
    second = asyncio.create_task(slots.wait(None))
    await asyncio.sleep(0)
    slots.release()  # handed to the first...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 2)  # the slot went on to the second
    assert slots.free == 0
    slots.release()
    assert slots.free == 1


async def test_a_request_cancelled_while_waiting_takes_no_slot(anyio_backend: str) -> None:
    slots = Slots(1)
    assert slots.take()
    waiting = asyncio.create_task(slots.wait(None))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    slots.release()
    assert slots.free == 1
    assert slots.take()
