"""Whole taskiq worker instances (main process and children) killed mid-campaign.

Plain `run_worker` processes too (one is killed). The tasks are enqueued before any
worker starts; two taskiq setups: as the docs advise
(``RedisStreamBroker(xread_count=1)``, ``taskiq worker --max-async-tasks 1``) and taskiq's
defaults (100 messages per read, 100 tasks per process, the second instance started
after the first read every task). Taskiq never redelivers what the killed instance had
read (not before ``idle_timeout``, and only when new messages arrive), so only the
survivors' own loops can finish its chunks: each process's first task keeps running
free or lapsed chunks until the campaign is finished, with a watcher that takes a lapsed
chunk over while its own chunk runs, and surplus tasks go back to the queue, where the
other instance picks them up. Before, with taskiq's defaults, the campaign stalled.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from velstack_async.distributed._store import keys_of
from velstack_async.distributed.campaign import watch_period

from ..reliability.server_process import FakeProcess
from .helpers import check_exact
from .redis_server import RedisServer
from .scenario import Scenario, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.stress]

COUNT, LEASE = 4000, 2.0


async def owners(url: str, campaign_id: str) -> dict[str, str]:
    """Leased chunk -> the token of the run holding it."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    async with client:
        todo, owner = keys_of(campaign_id)[5:7]
        leased = [str(chunk) for chunk in await client.zrangebyscore(todo, 1, "+inf")]
        tokens = await client.hmget(owner, leased) if leased else []
    return {chunk: str(token) for chunk, token in zip(leased, tokens, strict=True) if token}


async def holding(broker_url: str) -> dict[str, int]:
    """taskiq's consumers (one per worker process) -> the tasks each has read, not acked."""
    client = aioredis.Redis.from_url(broker_url, decode_responses=True)
    async with client:
        if not await client.exists("taskiq"):
            return {}
        found = await client.xinfo_consumers("taskiq", "taskiq")
    return {str(c["name"]): int(c["pending"]) for c in found}


@pytest.mark.parametrize("setup", ["advised", "taskiq-defaults", "plain"])
async def test_a_killed_instance_holding_chunks_is_taken_over_within_the_lease(
    setup: str, redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    defaults, plain = setup == "taskiq-defaults", setup == "plain"
    fake.set_faults(latency=0.02)
    run = Scenario(
        "plain" if plain else "taskiq",
        redis_server,
        fake,
        tmp_path,
        count=COUNT,
        duplicates=50,
        workers=1 if defaults else 2,
        batch_size=20,
        chunk_size=200,
        # With taskiq's defaults the survivor gets work only once the first instance has
        # put its surplus tasks back: at 1,000/s 30 % came before that, and the kill stalled
        # the campaign (no live run held a task). At 500/s the survivor runs by then.
        rate_limit=500.0 if defaults else 1000.0,
        lease=LEASE,
        max_tasks=100 if defaults else 1,
        processes=1 if plain else 2,
    )
    run.pool.env["VS_TEST_XREAD_COUNT"] = "100" if defaults else "1"
    try:
        await run.start("instances", enqueue_first=True)
        if defaults:  # the first instance has read every task by now
            await anyio.sleep(2.0)
            first = set(await holding(run.broker_url))
            run.pool.start(1)

            # The survivor runs a task once the first instance has put its surplus back
            # (on a loaded machine that can come after 30 % is delivered): the kill is of
            # an instance while the other holds work. One that holds every task when it
            # dies leaves nothing running until taskiq's idle_timeout (documented: use
            # xread_count=1).
            async def survivor_holds_a_task() -> bool:
                found = await holding(run.broker_url)
                return any(n for name, n in found.items() if name not in first)

            await wait_until(survivor_holds_a_task, 60, "the second instance holds a task")
        await run.reach(0.3)
        before = await owners(redis_server.url, "instances")
        run.pool.kill(0)  # the whole instance: its main process and both children
        killed_at = time.monotonic()
        # The chunks still held by the dead instance's runs keep their token until a
        # survivor takes them over; a live run's chunk keeps its token until finished, when
        # it leaves the leased set. Watched until every chunk leased at the kill is one or
        # the other (a chunk of 200 recipients takes longer than a look).
        taken: dict[str, float] = {}
        watching = dict(before)
        while watching and time.monotonic() - killed_at < LEASE + 10:
            now = await owners(redis_server.url, "instances")
            for chunk, token in list(watching.items()):
                if chunk not in now:  # finished by the run that held it
                    del watching[chunk]
                elif now[chunk] != token:
                    taken[chunk] = time.monotonic() - killed_at
                    del watching[chunk]
            await anyio.sleep(0.05)
        report = await run.finish(120)
    finally:
        await run.close()
    check_exact(report, fake, inputs=COUNT + 50, duplicates=50)
    assert report.not_attempted == report.failed == 0
    assert report.sent + report.unknown == COUNT
    assert report.unknown <= run.in_flight_per_worker  # both processes of the dead instance
    assert taken, "no chunk of the dead instance was taken over"
    takeover = max(taken.values())
    print(f"{setup}: takeover after kill: {sorted(taken.values())} s (lease {LEASE} s)")
    # The lease runs out at most LEASE after the dead runs' last heartbeat; a survivor
    # looks every watch period; plus process and polling slack.
    assert takeover <= LEASE + watch_period(LEASE) + 1.5, takeover
