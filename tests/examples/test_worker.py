from __future__ import annotations

import asyncio

import pytest

from examples.worker import SendJob, drain
from velstack_async import AsyncVelstack, InvalidInputError
from velstack_async.testing import FakeVelstack

# The example uses asyncio.Queue: asyncio only.
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]


async def test_workers_drain_the_queue_and_record_failures(velstack_fake: FakeVelstack) -> None:
    velstack_fake.faults.latency = 0.01  # so that the workers overlap
    numbers = [f"02455500{i:02d}" for i in range(12)] + ["123"]
    queue: asyncio.Queue[SendJob] = asyncio.Queue()
    for number in numbers:
        queue.put_nowait(SendJob(number, f"Job for {number}"))
    async with AsyncVelstack(
        api_key=velstack_fake.api_key, transport=velstack_fake.async_transport()
    ) as client:
        results = await drain(client, queue, sender="Clinic", workers=4)
    assert queue.empty()
    assert sorted(r.job.to for r in results) == sorted(numbers)
    [failed] = [r for r in results if r.error is not None]
    assert failed.job.to == "123"
    assert isinstance(failed.error, InvalidInputError)
    assert len({r.message_id for r in results if r.error is None}) == 12
    assert sorted(m.text for m in velstack_fake.messages) == sorted(
        f"Job for {n}" for n in numbers[:-1]
    )
    velstack_fake.assert_no_duplicates()


async def test_an_empty_queue_returns_at_once(velstack_fake: FakeVelstack) -> None:
    async with AsyncVelstack(
        api_key=velstack_fake.api_key, transport=velstack_fake.async_transport()
    ) as client:
        assert await drain(client, asyncio.Queue(), sender="Clinic") == []
