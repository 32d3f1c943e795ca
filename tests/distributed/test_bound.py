"""One killed worker process leaves at most ``concurrency x batch_size`` recipients unknown.

A taskiq worker process runs up to four tasks of the campaign at once; every request
takes a second, so when it is killed every batch it could claim is in flight. Before,
each task ran its own chunk with ``concurrency`` batches: four times the documented
bound could be claimed and lost. Now every claim of the process waits for room in one
budget of ``concurrency x batch_size`` recipients, whatever its tasks and chunks.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from ..reliability.server_process import FakeProcess
from .helpers import check_exact
from .redis_server import RedisServer
from .scenario import Scenario, wait_until

pytestmark = pytest.mark.anyio

COUNT = 600


@pytest.mark.parametrize("kind", ["taskiq", pytest.param("plain", marks=pytest.mark.stress)])
async def test_a_process_killed_with_full_batches_in_flight_leaves_the_bound_unknown(
    kind: str, redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    fake.set_faults(latency=1.0)
    run = Scenario(
        kind,
        redis_server,
        fake,
        tmp_path,
        count=COUNT,
        duplicates=0,
        workers=1,
        batch_size=10,
        chunk_size=50,
        concurrency=4,
        max_tasks=4,
    )
    bound = run.concurrency * run.batch_size  # per process
    try:
        campaign = await run.start("bound")

        async def full() -> bool:
            return int((await campaign.status())["attempting"]) >= bound

        await wait_until(full, 30, "the worker's batches in flight")
        await anyio.sleep(0.5)  # room for more claims, if anything allowed them
        in_flight = int((await campaign.status())["attempting"])
        run.pool.kill(0)
        fake.set_faults(latency=0.0)
        run.pool.start(1)
        await run.enqueue()
        report = await run.finish(60)
    finally:
        await run.close()
    assert in_flight == bound
    check_exact(report, fake, inputs=COUNT, duplicates=0)
    assert report.not_attempted == report.failed == 0
    assert 0 < report.unknown <= bound
