"""RedisCampaign in one process: load, workers, report, resume, fencing (real Redis and fake)."""

from __future__ import annotations

import anyio
import pytest

from velstack_async import AsyncVelstack
from velstack_async.distributed import CampaignError, CampaignFencedError, RedisCampaign

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .helpers import check_exact, recipients
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio


def client_for(fake: FakeProcess) -> AsyncVelstack:
    return AsyncVelstack(api_key=API_KEY, base_url=fake.base_url)


async def test_two_workers_send_each_number_once(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    numbers = recipients(1000, 50)
    campaign = await RedisCampaign.create(
        redis_server.url, "two-workers", message="Hi", sender="SHOP", batch_size=20, chunk_size=100
    )
    async with campaign:
        assert await campaign.load(numbers) == 1050
        async with client_for(fake) as client, anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(campaign.run_worker, client)
        report = await campaign.report()
    assert report.sent == 1000
    assert report.unknown == report.failed == report.not_attempted == 0
    check_exact(report, fake, inputs=1050, duplicates=50)
    assert len(delivered(fake.log)) == 1000
    assert fake.stats()["requests"] == 50  # 1000 / batch_size 20
    assert all(result.reason == "duplicate" for result in report.unsent)


async def test_create_twice_and_open_missing(redis_server: RedisServer) -> None:
    first = await RedisCampaign.create(redis_server.url, "twice", message="Hi", sender="SHOP")
    await first.aclose()
    with pytest.raises(CampaignError, match="already exists"):
        await RedisCampaign.create(redis_server.url, "twice", message="Hi", sender="SHOP")
    with pytest.raises(CampaignError, match="no campaign"):
        await RedisCampaign.open(redis_server.url, "never-created")
    opened = await RedisCampaign.open(redis_server.url, "twice")
    async with opened:
        assert opened.settings.options.sender == "SHOP"
        assert opened.settings.chunk_size == 500


async def test_redis_that_lost_its_data_is_refused(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    campaign = await RedisCampaign.create(
        redis_server.url, "fenced", message="Hi", sender="SHOP", chunk_size=10
    )
    async with campaign:
        await campaign.load(recipients(30, 0))
        redis_server.wipe()
        redis_server.start()
        async with client_for(fake) as client:
            with pytest.raises(CampaignFencedError):
                await campaign.run_worker(client)
    assert not delivered(fake.log)


async def test_load_again_after_interruption_skips_what_was_loaded(
    redis_server: RedisServer,
) -> None:
    numbers = recipients(300, 0)

    def interrupted() -> object:
        yield from numbers[:200]
        raise RuntimeError("producer died")

    campaign = await RedisCampaign.create(redis_server.url, "reload", message="Hi", sender="S")
    async with campaign:
        with pytest.raises(RuntimeError):
            await campaign.load(interrupted())
        assert await campaign.load(numbers) == 300
        status = await campaign.status()
    assert status["inputs"] == status["queued"] == 300
    assert status["duplicates"] == 0


async def test_run_chunk_twice_at_once_sends_once(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    campaign = await RedisCampaign.create(
        redis_server.url, "twice-at-once", message="Hi", sender="SHOP", chunk_size=100
    )
    async with campaign:
        await campaign.load(recipients(300, 0))
        results: list[bool] = []

        async def run(index: int) -> None:
            async with client_for(fake) as client:
                results.append(await campaign.run_chunk(client, index))

        async with anyio.create_task_group() as tg:
            for index in (0, 0, 1, 1, 2, 2):
                tg.start_soon(run, index)
        assert await campaign.chunks() == []
        async with client_for(fake) as client:  # finished chunks: nothing to do
            assert await campaign.run_chunk(client, 1) is True
        report = await campaign.report()
    assert report.sent == 300
    assert results.count(True) >= 3
    check_exact(report, fake, inputs=300, duplicates=0)


async def test_429s_are_counted_paused_and_retried(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    fake.set_faults(rate_limit=4)  # requests per second, then 429 with Retry-After
    campaign = await RedisCampaign.create(
        redis_server.url, "throttled", message="Hi", sender="SHOP", batch_size=5, chunk_size=20
    )
    async with campaign:
        await campaign.load(recipients(60, 0))
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(worker, campaign, fake)
        report = await campaign.report()
        status = await campaign.status()
    assert (report.sent, report.failed, report.unknown) == (60, 0, 0)
    # 12 batches start at once: 4 pass, 8 get a 429 and every worker pauses (Retry-After
    # 1 s, published in Redis); then 4 pass and 4 get a 429: 12 refusals at most, each
    # seen and counted by the campaign, none a failure.
    refused = fake.stats()["faults"].get("throttle", 0)
    assert 1 <= refused <= 12
    assert status["throttled"] == refused
    assert report.requests == 12 + refused  # every request counted once
    check_exact(report, fake, inputs=60, duplicates=0)


async def worker(campaign: RedisCampaign, fake: FakeProcess) -> None:
    async with client_for(fake) as client:
        await campaign.run_worker(client, concurrency=4)


async def test_insufficient_balance_stops_every_worker(redis_server: RedisServer) -> None:
    from velstack_async.testing import serve_in_subprocess

    campaign = await RedisCampaign.create(
        redis_server.url, "broke", message="Hi", sender="SHOP", batch_size=10, chunk_size=50
    )
    with serve_in_subprocess(["--balance", "25"]) as server:
        async with campaign:
            await campaign.load(recipients(200, 0))

            async def run() -> None:
                async with AsyncVelstack(api_key=server.api_key, base_url=server.base_url) as c:
                    await campaign.run_worker(c, concurrency=1)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(run)
                    tg.start_soon(run)
            report = await campaign.report()
            assert report.stopped_reason is not None
            assert report.stopped_reason.startswith("insufficient balance")
            # As send_bulk: batches that do not fit are split until the balance is used up;
            # the request refused last (one per worker at most) fails.
            assert report.sent == 25
            assert 1 <= report.failed <= 2
            assert report.unknown == 0
            assert report.not_attempted == 175 - report.failed  # queued: `resume()` after a top-up
            assert await campaign.resume() == 0
            assert (await campaign.status())["stopped"] is None
            assert await campaign.resume(resend_unknown=True) == 0  # none unknown, none deferred


async def test_bad_settings_and_bad_numbers(redis_server: RedisServer) -> None:
    from velstack_async import BulkMessage, InvalidInputError

    with pytest.raises(InvalidInputError, match="chunk_size"):
        await RedisCampaign.create(redis_server.url, "c", message="Hi", sender="S", chunk_size=0)
    with pytest.raises(InvalidInputError, match="batch_size"):
        await RedisCampaign.create(redis_server.url, "c", message="Hi", sender="S", batch_size=0)
    with pytest.raises(CampaignError, match="non-empty"):
        await RedisCampaign.create(redis_server.url, "{c}", message="Hi", sender="S")
    campaign = await RedisCampaign.create(
        redis_server.url, "numbers", message="Hi {name}", sender="S"
    )
    async with campaign:
        inputs = [
            BulkMessage("0200000001", fields={"name": "Ama"}),
            BulkMessage("not a number", fields={"name": "Kofi"}),
            BulkMessage("0200000002", fields={}),  # missing field: failed, never sent
        ]
        assert await campaign.load(inputs) == 3
        report = await campaign.report()
    assert (report.total, report.skipped, report.failed, report.not_attempted) == (3, 1, 1, 1)
    reasons = {result.index: result.reason for result in report.unsent}
    assert "name" in (reasons[2] or "")
    assert reasons[1] is not None
