"""A Redis that comes back with fewer writes than the workers saw: detected, never resent.

Two plain worker processes run a campaign against a real ``redis-server``; at 40 % the
dataset is copied aside (an RDB snapshot), at 50 % Redis is killed and started again
from that copy (as a restore from an older backup, or a promoted replica ~10 % behind,
would). Before the epoch check every claim made after the snapshot was made again and
sent twice. Now the first call of any worker that saw a later epoch stops the campaign,
every worker files its claim log (what it claimed since, sent or in flight, is unknown)
and nothing is sent twice; `resume` then sends the rest, and the report matches what the
fake processed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from velstack_async import AsyncVelstack, BulkReport, BulkStatus
from velstack_async.distributed import CampaignRolledBackError, RedisCampaign

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .helpers import check_exact
from .redis_server import RedisServer
from .scenario import Scenario, wait_until

pytestmark = pytest.mark.anyio

COUNT = 4000


def unknown_of(report: BulkReport) -> set[str]:
    return {r.recipient for r in report.unsent if r.status is BulkStatus.UNKNOWN}


def rolled_back_exactly(stopped: BulkReport, fake: FakeProcess) -> set[str]:
    """The report at the stop: every number the fake processed is sent or unknown."""
    log = delivered(fake.log)
    assert set(log.values()) == {1}, "a number was delivered twice"
    assert stopped.stopped_reason is not None
    assert stopped.stopped_reason.startswith("Redis rolled back")
    unknown = unknown_of(stopped)
    assert len(unknown) == stopped.unknown > 0
    assert len(set(log) - unknown) == stopped.sent  # the rest the fake processed: all sent
    assert stopped.sent + stopped.unknown + stopped.not_attempted == COUNT
    return unknown


async def finish_after_resume(run: Scenario, unknown: set[str], fake: FakeProcess) -> None:
    assert run.campaign is not None
    assert await run.campaign.resume() == 0  # the unknown ones stay unknown
    run.pool.start(2)
    final = await run.finish()
    check_exact(final, fake, inputs=COUNT, duplicates=0)
    assert final.stopped_reason is None
    assert unknown_of(final) == unknown
    assert final.sent + final.unknown == COUNT


def scenario(redis: RedisServer, fake: FakeProcess, tmp_path: Path) -> Scenario:
    fake.set_faults(latency=0.02)
    return Scenario(
        "plain",
        redis,
        fake,
        tmp_path,
        count=COUNT,
        duplicates=0,
        workers=2,
        batch_size=20,
        chunk_size=200,
        rate_limit=1000.0,
    )


async def test_a_restore_from_an_older_snapshot_stops_and_resends_nothing(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    run = scenario(redis_server, fake, tmp_path)
    older = tmp_path / "older.rdb"
    try:
        campaign = await run.start("rollback")
        await run.reach(0.4)
        redis_server.snapshot(older)
        await run.reach(0.5)
        redis_server.restore(older)

        async def stopped() -> bool:  # each worker learnt of it, filed its claims, exited
            return all(process.poll() is not None for process in run.pool.processes)

        await wait_until(stopped, 90, "the workers to stop\n" + run.pool.logs()[-2000:])
        assert "CampaignRolledBackError" in run.pool.logs()
        unknown = rolled_back_exactly(await campaign.report(keep_unsent=None), fake)
        await finish_after_resume(run, unknown, fake)
    finally:
        await run.close()


@pytest.mark.stress
async def test_a_worker_started_after_the_rollback_detects_it_from_the_claim_logs(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    """Every worker died; Redis came back older; a new worker on the same machine (the
    same claims directory) starts at the highest epoch the dead workers' logs hold."""
    run = scenario(redis_server, fake, tmp_path)
    older = tmp_path / "older.rdb"
    try:
        campaign = await run.start("rollback-new-worker")
        await run.reach(0.4)
        redis_server.snapshot(older)
        await run.reach(0.5)
        run.pool.kill(0)
        run.pool.kill(1)
        redis_server.restore(older)
        run.pool.start(1)

        async def stopped() -> bool:
            return run.pool.processes[-1].poll() is not None

        await wait_until(stopped, 60, "the new worker to stop\n" + run.pool.logs()[-2000:])
        unknown = rolled_back_exactly(await campaign.report(keep_unsent=None), fake)
        await finish_after_resume(run, unknown, fake)
    finally:
        await run.close()


_OTHER_MACHINE = """
import sys, anyio
from velstack_async import AsyncVelstack
from velstack_async.distributed import RedisCampaign

async def main():
    async with await RedisCampaign.open(sys.argv[1], sys.argv[2]) as campaign:
        async with AsyncVelstack(api_key=sys.argv[3], base_url=sys.argv[4]) as client:
            for index in (1, 2, 3, 4):
                assert await campaign.run_chunk(client, index)

anyio.run(main)
"""


async def test_workers_that_never_saw_the_lost_writes_cannot_hide_the_rollback(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    """A worker on another machine, started after the restore, writes far past the epoch
    this worker saw before it (the epoch alone would then look fine): this worker's next
    call still finds the rollback, because Redis's life changed below what it saw."""
    older = tmp_path / "older.rdb"
    campaign = await RedisCampaign.create(
        redis_server.url, "race", message="Hi", sender="SHOP", batch_size=5, chunk_size=10
    )
    async with campaign, AsyncVelstack(api_key=API_KEY, base_url=fake.base_url) as client:
        await campaign.load(f"020{i:07d}" for i in range(50))
        redis_server.snapshot(older)
        assert await campaign.run_chunk(client, 0)  # sent; Redis will forget it
        redis_server.restore(older)
        env = {**os.environ, "VELSTACK_CLAIMS_DIR": str(tmp_path / "other-machine")}
        command = [sys.executable, "-c", _OTHER_MACHINE, redis_server.url, "race"]
        with anyio.fail_after(60):
            await anyio.run_process([*command, API_KEY, fake.base_url], env=env)
        with pytest.raises(CampaignRolledBackError):
            await campaign.run_chunk(client, 0)
        report = await campaign.report(keep_unsent=None)
    assert set(delivered(fake.log).values()) == {1}
    assert report.stopped_reason is not None
    assert report.stopped_reason.startswith("Redis rolled back")
    assert unknown_of(report) == {f"020{i:07d}" for i in range(10)}  # chunk 0: filed
    assert (report.sent, report.unknown, report.not_attempted) == (40, 10, 0)
