"""A stale keep-alive connection in a distributed campaign: unknown, and counted as stale."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from velstack_async import AsyncVelstack, BulkStatus
from velstack_async._bulk.outcome import STALE
from velstack_async.distributed import RedisCampaign

from ..transport.rawserver_keepalive import OneShotKeepAlive
from .redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]


@pytest.fixture
def one_shot() -> Iterator[OneShotKeepAlive]:
    with OneShotKeepAlive() as server:
        yield server


async def test_the_report_counts_unknown_results_of_stale_connections(
    anyio_backend: str, redis_server: RedisServer, one_shot: OneShotKeepAlive
) -> None:
    """The server answers a connection's first request, then drops the next one unread."""
    campaign = await RedisCampaign.create(
        redis_server.url, "stale", message="hi", sender="VELSTACK", batch_size=1, chunk_size=10
    )
    async with campaign:
        assert await campaign.load(["0205550368", "0205550369"]) == 2
        async with AsyncVelstack(api_key="vs_key", base_url=one_shot.base_url) as client:
            await campaign.run_worker(client, concurrency=1)
        report = await campaign.report()
        none_kept = await campaign.report(keep_unsent=0)
    assert (report.sent, report.unknown, report.unknown_stale) == (1, 1, 1)
    [stale] = report.unsent
    assert (stale.recipient, stale.status, stale.reason) == (
        "0205550369",
        BulkStatus.UNKNOWN,
        STALE,
    )
    # Counted even when no result is kept.
    assert (none_kept.unknown_stale, none_kept.unsent, none_kept.unsent_omitted) == (1, (), 1)
