"""The issue's scenarios at full size: 20,000 numbers + 200 duplicates, 4 taskiq workers.

Long (``stress``): ``python -m pytest tests/distributed -m stress``. Each breaks
something mid-campaign and then checks the invariants of `check_exact`: no
number delivered twice, counts adding up to the inputs, 200 duplicates
skipped, unknowns bounded by what the killed workers had in flight, credits.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from velstack_async import BulkStatus

from ..reliability.server_process import FakeProcess, delivered
from .helpers import check_exact
from .redis_server import RedisServer
from .scenario import Scenario

pytestmark = [pytest.mark.anyio, pytest.mark.stress]

COUNT, DUPLICATES, WORKERS = 20_000, 200, 4
#: A rate limit that hardly binds on 2 cores (the limiter still runs): the campaign goes
#: about as fast as the machine allows, and the kill bound below is measured from its own
#: pace. At 2,000 messages/s each scenario spent 10 s pacing.
RATE = 8_000.0


def scenario(redis: RedisServer, fake: FakeProcess, tmp_path: Path, **changes: object) -> Scenario:
    settings: dict[str, object] = {
        "count": COUNT,
        "duplicates": DUPLICATES,
        "workers": WORKERS,
        "batch_size": 20,
        "chunk_size": 500,
        "rate_limit": RATE,
        **changes,
    }
    return Scenario("taskiq", redis, fake, tmp_path, **settings)  # type: ignore[arg-type]


def finished_exactly(run: Scenario, report: object, fake: FakeProcess, killed: int) -> None:
    from velstack_async import BulkReport

    assert isinstance(report, BulkReport)
    check_exact(report, fake, inputs=COUNT + DUPLICATES, duplicates=DUPLICATES)
    assert report.not_attempted == report.failed == 0
    assert report.sent + report.unknown == COUNT
    assert report.unknown <= killed * run.in_flight_per_worker


@pytest.mark.parametrize("at", [0.4, 0.95])
async def test_kill_one_busy_worker(
    at: float, redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    run = scenario(redis_server, fake, tmp_path)
    try:
        await run.start()
        await run.reach(at / 2)
        halfway = time.monotonic()
        await run.reach(at)
        run.pool.kill(0)
        killed_at = time.monotonic()
        # The campaign's own pace before the kill, by all four workers.
        pace = COUNT * (at / 2) / (killed_at - halfway)
        report = await run.finish()
        took = time.monotonic() - killed_at
    finally:
        await run.close()
    finished_exactly(run, report, fake, killed=1)
    # lease + sweep interval + the time the rest needs at the three survivors' pace (+ process
    # slack). The lease is the Scenario's, 2 s.
    rest = COUNT * (1 - at) / (pace * (WORKERS - 1) / WORKERS)
    print(f"\nkill at {at:.0%}: pace {pace:.0f} messages/s, finished {took:.1f} s after")
    assert took < 2.0 + 1.0 + rest + 5, (took, rest)


async def test_kill_all_four_then_restart(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    run = scenario(redis_server, fake, tmp_path)
    try:
        await run.start()
        await run.reach(0.6)
        for index in range(WORKERS):
            run.pool.kill(index)
        run.pool.start(WORKERS)
        await run.enqueue()  # after a fleet restart: finished chunks are no-ops
        report = await run.finish()
    finally:
        await run.close()
    finished_exactly(run, report, fake, killed=WORKERS)


async def test_redis_killed_and_restarted_on_its_aof(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    run = scenario(redis_server, fake, tmp_path)
    try:
        await run.start()
        await run.reach(0.7)
        redis_server.kill()
        await anyio.sleep(1.0)
        redis_server.start()
        await run.enqueue()  # the broker's stream is in the same Redis: re-enqueue is harmless
        report = await run.finish()
    finally:
        await run.close()
    # Workers lived; a request whose outcome script was cut by the kill is unknown.
    finished_exactly(run, report, fake, killed=WORKERS)


async def test_a_second_of_429s_pauses_every_worker(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    run = scenario(redis_server, fake, tmp_path)
    try:
        campaign = await run.start()
        await run.reach(0.5)
        fake.set_faults(rate_limit=1)
        await anyio.sleep(1.0)
        fake.set_faults(rate_limit=None)
        report = await run.finish()
        status = await campaign.status()
    finally:
        await run.close()
    finished_exactly(run, report, fake, killed=0)
    assert report.unknown == 0
    assert report.sent == COUNT
    assert status["throttled"] >= 1


async def test_resume_sends_exactly_the_unknown_set(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    fake.set_faults(drop_rate=0.05, drop_mode="disconnect")
    run = scenario(redis_server, fake, tmp_path, rate_limit=None)
    try:
        campaign = await run.start()
        first = await run.finish()
        assert first.unknown > 0
        unknown = {r.recipient for r in first.unsent if r.status is BulkStatus.UNKNOWN}
        assert len(unknown) == first.unknown
        before = delivered(fake.log)
        fake.set_faults(drop_rate=0.0)
        assert await campaign.resume(resend_unknown=True) == first.unknown
        await run.enqueue()
        second = await run.finish()
    finally:
        await run.close()
    after = delivered(fake.log)
    resent = after - before
    assert set(resent) == unknown
    assert set(resent.values()) == {1}
    assert second.unknown == 0
    assert second.sent == COUNT
