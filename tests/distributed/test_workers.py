"""Real taskiq and Celery worker processes; one is ``kill -9``'d mid-campaign.

The campaign must still finish (the dead worker's chunk is re-run once its
lease lapses), deliver no number twice, and report exactly: the unknowns are
at most what the dead worker had in flight.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ..reliability.server_process import FakeProcess
from .helpers import check_exact
from .redis_server import RedisServer
from .scenario import Scenario

pytestmark = pytest.mark.anyio


@pytest.mark.stress
@pytest.mark.parametrize("kind", ["taskiq", "celery"])
async def test_kill_one_of_two_workers(
    kind: str, redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    count, rate = 1000, 250.0
    run = Scenario(
        kind, redis_server, fake, tmp_path, count=count, duplicates=50, workers=2, rate_limit=rate
    )
    try:
        await run.start(f"kill-{kind}")
        await run.reach(0.4)
        run.pool.kill(0)
        killed_at = time.monotonic()
        report = await run.finish(90)
        took = time.monotonic() - killed_at
    finally:
        await run.close()
    check_exact(report, fake, inputs=count + 50, duplicates=50)
    assert report.not_attempted == report.failed == 0
    assert report.sent + report.unknown == count
    assert report.unknown <= run.in_flight_per_worker  # only what the dead worker had in flight
    # lease (2 s) + a sweep period (<= 1 s) + what the rest needs at the rate (+ slack)
    assert took < 2.0 + 1.0 + count * 0.6 / rate + 5, took
