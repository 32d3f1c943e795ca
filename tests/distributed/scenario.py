"""One distributed campaign on real worker processes, with hooks to break things mid-way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from velstack_async import BulkReport
from velstack_async.distributed import RedisCampaign

from ..reliability.server_process import FakeProcess
from .conftest import API_KEY
from .helpers import recipients
from .redis_server import RedisServer
from .workers import Workers


@asynccontextmanager
async def producer_task(kind: str, broker_url: str) -> AsyncIterator[Any]:
    """The registered task, on the producer's side of the queue."""
    if kind == "taskiq":
        from taskiq_redis import RedisStreamBroker

        from velstack_async.distributed import taskiq as vs_taskiq

        broker = RedisStreamBroker(broker_url)
        task = vs_taskiq.register(broker)
        await broker.startup()
        try:
            yield task
        finally:
            await broker.shutdown()
    else:
        from celery import Celery

        from velstack_async.distributed import celery as vs_celery

        app = Celery("velstack-test-producer", broker=broker_url)
        yield vs_celery.register(app)
        app.close()


async def wait_until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await anyio.sleep(0.05)


class Scenario:
    """A campaign of ``count`` numbers plus ``duplicates``, run by ``workers`` processes
    (``kind``: ``taskiq``, ``celery`` or ``plain`` `run_worker` processes)."""

    def __init__(
        self,
        kind: str,
        redis: RedisServer,
        fake: FakeProcess,
        tmp_path: Path,
        *,
        count: int,
        duplicates: int,
        workers: int,
        batch_size: int = 10,
        chunk_size: int = 100,
        rate_limit: float | None = None,
        lease: float = 2.0,
        concurrency: int = 4,
        max_tasks: int = 2,
        processes: int = 1,
    ) -> None:
        self.kind, self.redis, self.fake = kind, redis, fake
        self.count, self.duplicates, self.workers = count, duplicates, workers
        self.batch_size, self.concurrency, self.max_tasks = batch_size, concurrency, max_tasks
        self.settings: dict[str, Any] = {
            "batch_size": batch_size,
            "chunk_size": chunk_size,
            "rate_limit": rate_limit,
            "lease": lease,
        }
        self.broker_url = redis.url[:-1] + "1"
        log_dir = tmp_path / "workers"
        log_dir.mkdir(exist_ok=True)
        self.pool = Workers(
            kind,
            self.broker_url,
            API_KEY,
            fake.base_url,
            log_dir,
            max_tasks=max_tasks,
            concurrency=concurrency,
            processes=processes,
        )
        self.campaign: RedisCampaign | None = None

    @property
    def in_flight_per_worker(self) -> int:
        """Recipients one worker (all its processes) can have claimed at once: the
        documented bound, ``concurrency x batch_size`` per process, whatever its tasks."""
        return self.pool.processes_per_worker * self.concurrency * self.batch_size

    async def start(
        self, campaign_id: str = "scenario", *, enqueue_first: bool = False
    ) -> RedisCampaign:
        """Create, load, start the workers and enqueue (before starting them: the tasks
        all wait in the queue when the first worker comes up)."""
        self.campaign = await RedisCampaign.create(
            self.redis.url, campaign_id, message="Hi", sender="SHOP", **self.settings
        )
        await self.campaign.load(recipients(self.count, self.duplicates))
        self.pool.env.update(VS_TEST_REDIS_URL=self.redis.url, VS_TEST_CAMPAIGN=campaign_id)
        if enqueue_first:
            await self.enqueue()
        self.pool.start(self.workers)
        if not enqueue_first:
            await self.enqueue()
        return self.campaign

    async def enqueue(self) -> int:
        assert self.campaign is not None
        if self.kind == "plain":  # no queue: the workers pull chunks
            return 0
        async with producer_task(self.kind, self.broker_url) as task:
            return await self.campaign.enqueue(task)

    async def reach(self, fraction: float, seconds: float = 120) -> None:
        async def reached() -> bool:
            return self.fake.delivered_count() >= fraction * self.count

        await wait_until(reached, seconds, f"{fraction:.0%} delivered")

    async def finish(self, seconds: float = 180) -> BulkReport:
        campaign = self.campaign
        assert campaign is not None

        async def finished() -> bool:
            return not await campaign.chunks()

        await wait_until(finished, seconds, "every chunk finished\n" + self.pool.logs()[-3000:])
        return await campaign.report(keep_unsent=None)

    async def close(self) -> None:
        self.pool.stop()
        if self.campaign is not None:
            await self.campaign.aclose()
