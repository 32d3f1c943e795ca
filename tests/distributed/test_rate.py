"""The campaign's rate limit holds across workers: slots are booked on Redis time."""

from __future__ import annotations

import time

import anyio
import pytest

from velstack_async import AsyncVelstack
from velstack_async.distributed import RedisCampaign

from ..reliability.server_process import FakeProcess
from .conftest import API_KEY
from .helpers import recipients
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio


@pytest.mark.stress
async def test_rate_limit_across_workers(redis_server: RedisServer, fake: FakeProcess) -> None:
    rate, count, batch = 500.0, 1500, 10
    campaign = await RedisCampaign.create(
        redis_server.url,
        "rate",
        message="Hi",
        sender="SHOP",
        rate_limit=rate,
        batch_size=batch,
        chunk_size=100,
    )
    samples: list[tuple[float, int]] = []

    async def sample(done: anyio.Event) -> None:
        while not done.is_set():
            samples.append((time.monotonic(), fake.delivered_count()))
            await anyio.sleep(0.01)

    async def worker(done: anyio.Event) -> None:
        async with AsyncVelstack(api_key=API_KEY, base_url=fake.base_url) as client:
            await campaign.run_worker(client)

    async with campaign:
        await campaign.load(recipients(count, 0))
        done = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(sample, done)
            async with anyio.create_task_group() as workers:
                for _ in range(3):  # three workers, one shared rate
                    workers.start_soon(worker, done)
            samples.append((time.monotonic(), fake.delivered_count()))
            done.set()
        report = await campaign.report()
    assert report.sent == count
    started = next(t for t, n in samples if n > 0)
    ended = next(t for t, n in samples if n >= count)
    mean = (count - batch) / (ended - started)  # the first batch starts the clock
    assert abs(mean - rate) <= 0.05 * rate, mean
    busiest = max(max(n for t, n in samples if t0 <= t <= t0 + 1.0) - n0 for t0, n0 in samples)
    assert busiest <= 1.15 * rate, busiest
