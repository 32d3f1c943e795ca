"""A distributed campaign under a SendingPolicy: every worker applies it (real Redis, fake).

The policy's store is the campaign's own Redis (a ``redis://`` store: what every worker
reaches); workers opened with `RedisCampaign.open` rebuild the policy from the campaign.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import anyio
import pytest

from tests.policy.conftest import Clock
from velstack_async import AsyncVelstack, FrequencyCap, SendingPolicy, SendWindow
from velstack_async.distributed import CampaignError, RedisCampaign

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .redis_server import RedisServer
from .scenario import wait_until

pytestmark = pytest.mark.anyio


def client_for(fake: FakeProcess, policy: SendingPolicy | None = None) -> AsyncVelstack:
    return AsyncVelstack(api_key=API_KEY, base_url=fake.base_url, policy=policy)


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"020{i:07d}" for i in range(start, start + count)]


def charged(fake: FakeProcess) -> int:
    return int(10**9 - float(fake.stats()["balance"]))


async def test_numbers_suppressed_while_workers_run_are_not_sent(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url, recipients = redis_server.url, numbers(600)
    early, late = recipients[:5], recipients[-50:]
    admin = client_for(fake, SendingPolicy(url))
    await admin.suppressions.add(early, reason="STOP")
    campaign = await RedisCampaign.create(
        url, "opt-outs", message="Sale!", sender="SHOP", batch_size=10, chunk_size=100,
        rate_limit=150, policy=SendingPolicy(url),
    )  # fmt: skip
    other = await RedisCampaign.open(url, "opt-outs")  # a second worker rebuilds the policy
    assert other.policy is not None
    async with campaign, other, admin:
        await campaign.load(recipients)
        async with client_for(fake) as client, anyio.create_task_group() as tg:
            tg.start_soon(campaign.run_worker, client)
            tg.start_soon(other.run_worker, client)

            async def under_way() -> bool:
                return fake.delivered_count() >= 100

            await wait_until(under_way, 30, "100 sent")
            await admin.suppressions.add(late, reason="replied STOP")
        report = await campaign.report(keep_unsent=None)
    sent = delivered(fake.log)
    assert all(times == 1 for times in sent.values())
    assert not set(sent) & set(early + late), "a suppressed number was sent"
    assert report.sent == len(sent) == 545 == fake.stats()["messages"]
    assert (report.skipped, report.suppressed, report.not_attempted) == (55, 55, 0)
    assert all("suppressed" in (r.reason or "") for r in report.unsent)
    assert {r.recipient for r in report.unsent} == set(early + late)


async def test_frequency_cap_counts_local_and_distributed_campaigns(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url, recipients = redis_server.url, numbers(20)
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    local = client_for(fake, SendingPolicy(url, frequency_cap=cap))
    async with local:
        first = await local.sms.send_bulk(recipients[:8], message="Sale!", sender="SHOP")
        assert (first.sent, first.capped) == (8, 0)
        campaign = await RedisCampaign.create(
            url, "capped", message="Sale!", sender="SHOP", batch_size=5, chunk_size=10,
            policy=SendingPolicy(url, frequency_cap=cap),
        )  # fmt: skip
        worker = await RedisCampaign.open(url, "capped")
        async with campaign, worker:
            await campaign.load(recipients)
            async with client_for(fake) as client:
                await worker.run_worker(client)
            report = await campaign.report()
        assert (report.sent, report.skipped, report.capped) == (12, 8, 8)
        assert all("frequency cap" in (r.reason or "") for r in report.unsent)
        again = await local.sms.send_bulk(recipients[8:], message="Sale!", sender="SHOP")
        assert (again.sent, again.capped) == (0, 12)  # counted by the distributed campaign
    assert fake.stats()["messages"] == 20
    assert all(times == 1 for times in delivered(fake.log).values())


async def test_max_credits_holds_across_two_workers(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url = redis_server.url
    campaign = await RedisCampaign.create(
        url, "budget", message="x" * 200, sender="SHOP", batch_size=8, chunk_size=40,
        max_credits=101,
    )  # fmt: skip  # two segments: 2 credits a recipient
    other = await RedisCampaign.open(url, "budget")
    assert other.settings.options.max_credits == 101
    async with campaign, other:
        await campaign.load(numbers(200))
        async with client_for(fake) as client, anyio.create_task_group() as tg:
            tg.start_soon(campaign.run_worker, client)
            tg.start_soon(other.run_worker, client)
        report = await campaign.report()
    assert charged(fake) == report.credit_used == 100  # never over 101, and the budget used
    assert report.sent == 50 == len(delivered(fake.log))
    assert report.not_attempted == 150
    assert "spend cap" in (report.stopped_reason or "")


async def test_outside_the_window_without_waiting_is_deferred_then_resumed(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url, recipients = redis_server.url, numbers(30)
    clock = Clock(datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc))  # 21:00 in Accra
    window = SendWindow("08:00", "20:00")
    campaign = await RedisCampaign.create(
        url, "night", message="Sale!", sender="SHOP", chunk_size=10,
        policy=SendingPolicy(url, send_window=window), wait_for_window=False,
    )  # fmt: skip
    worker = await RedisCampaign.open(url, "night", clock=clock)
    async with campaign, worker, client_for(fake) as client:
        await campaign.load(recipients)
        assert await worker.run_worker(client)
        report = await campaign.report()
        assert (report.sent, report.not_attempted, report.deferred) == (0, 30, 30)
        assert all("send window" in (r.reason or "") for r in report.unsent)
        assert all("2026-03-03T08:00:00" in (r.reason or "") for r in report.unsent)
        assert fake.stats()["messages"] == 0
        clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)  # the window opens
        assert await campaign.resume() == 30
        assert await worker.run_worker(client)
        report = await campaign.report()
    assert (report.sent, report.not_attempted, report.deferred) == (30, 0, 0)
    assert fake.stats()["messages"] == 30


async def test_a_resumed_campaign_keeps_the_policys_skips(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url, recipients = redis_server.url, numbers(20)
    clock = Clock(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    admin = client_for(fake, SendingPolicy(url, frequency_cap=cap, clock=clock))
    await admin.sms.send(recipient=recipients[0], message="a", sender="SHOP", category="marketing")
    await admin.suppressions.add(recipients[1], reason="STOP")
    campaign = await RedisCampaign.create(
        url, "kept", message="Sale!", sender="SHOP", chunk_size=10,
        policy=SendingPolicy(url, frequency_cap=cap),
    )  # fmt: skip
    worker = await RedisCampaign.open(url, "kept", clock=clock)
    async with campaign, worker, admin, client_for(fake) as client:
        await campaign.load(recipients)
        assert await worker.run_worker(client)
        # The cap lapsed and the opt-out was withdrawn: a resumed campaign keeps both
        # verdicts (filed in Redis once) instead of asking the policy again.
        clock.advance(days=2)
        await admin.suppressions.remove(recipients[1])
        assert await campaign.resume(resend_unknown=True) == 0
        assert await worker.run_worker(client)
        report = await campaign.report()
    assert (report.sent, report.skipped, report.capped, report.suppressed) == (18, 2, 1, 1)
    assert fake.stats()["messages"] == 1 + 18


async def test_waiting_for_the_window_sends_when_it_opens(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    url, recipients = redis_server.url, numbers(12)
    start, began = datetime(2026, 3, 2, 7, 59, 58, tzinfo=timezone.utc), time.monotonic()

    def fast_clock() -> datetime:  # one real second is an hour
        return start + timedelta(hours=time.monotonic() - began)

    campaign = await RedisCampaign.create(
        url, "dawn", message="Good morning", sender="SHOP", chunk_size=4,
        policy=SendingPolicy(url, send_window=SendWindow("08:00", "20:00")),
    )  # fmt: skip
    worker = await RedisCampaign.open(url, "dawn", clock=fast_clock)
    async with campaign, worker, client_for(fake) as client:
        await campaign.load(recipients)
        assert await worker.run_worker(client)
        opened = fast_clock()
        report = await campaign.report()
    assert opened >= datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert (report.sent, report.deferred, report.not_attempted) == (12, 0, 0)
    assert fake.stats()["messages"] == 12


async def test_a_sqlite_store_warns_and_a_store_object_is_refused(
    redis_server: RedisServer, tmp_path: object
) -> None:
    from pathlib import Path

    from velstack_async import InvalidInputError
    from velstack_async._policy.opening import open_store

    path = Path(str(tmp_path)) / "policy.db"
    policy = SendingPolicy(str(path))  # the caller's: create() does not close it
    try:
        with pytest.warns(UserWarning, match="only workers on this machine"):
            campaign = await RedisCampaign.create(
                redis_server.url, "local-store", message="Hi", sender="SHOP", policy=policy
            )
        await campaign.aclose()
    finally:
        policy.close()
    reopened = await RedisCampaign.open(redis_server.url, "local-store")  # this machine
    await reopened.aclose()
    path.unlink()  # as on another machine: the file is not there
    with pytest.raises(CampaignError, match="not on this machine"):
        await RedisCampaign.open(redis_server.url, "local-store")
    assert not path.exists()  # no empty store made in its place
    store = open_store(str(path))
    try:
        with pytest.raises(InvalidInputError, match="redis:// URL"):
            await RedisCampaign.create(
                redis_server.url, "object-store", message="Hi", sender="SHOP",
                policy=SendingPolicy(store),
            )  # fmt: skip
    finally:
        store.close()


async def test_cli_campaign_create_takes_the_policy_flags(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    import os
    import sys

    env = {**os.environ, "VELSTACK_API_KEY": API_KEY, "VELSTACK_BASE_URL": fake.base_url}
    env.pop("VELSTACK_POLICY_STORE", None)
    command = [
        sys.executable, "-m", "velstack_async.cli", "campaign", "create", "flags",
        "--redis", redis_server.url, "-m", "Sale!", "--sender", "SHOP", "--chunk-size", "10",
        "--max-credits", "7", "--send-window", "00:00-23:59", "--no-wait-for-window",
        "--category", "transactional",
    ]  # fmt: skip
    created = await anyio.run_process(command, env=env, check=False)
    assert created.returncode == 0, created.stderr.decode()
    async with await RedisCampaign.open(redis_server.url, "flags") as campaign:
        options, spec = campaign.settings.options, campaign.settings.policy
        assert (options.max_credits, options.wait_for_window) == (7, False)
        assert options.category == "transactional"
        assert spec is not None
        assert spec.store == "campaign"  # the campaign's own Redis
        assert campaign.policy is not None
        assert campaign.policy.send_window is not None
        await campaign.load(numbers(20))
        async with client_for(fake) as client:
            await campaign.run_worker(client)
        report = await campaign.report()
    assert (report.sent, report.not_attempted) == (7, 13)
    assert fake.stats()["messages"] == 7


async def test_a_lost_workers_claim_stays_unknown_under_a_policy(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    import redis.asyncio as aioredis

    from velstack_async.distributed._store import keys_of

    url, recipients = redis_server.url, numbers(10)
    campaign = await RedisCampaign.create(
        url, "takeover", message="Sale!", sender="SHOP", chunk_size=10, lease=1,
        policy=SendingPolicy(url),
    )  # fmt: skip
    admin = client_for(fake, SendingPolicy(url))
    raw = aioredis.Redis.from_url(url, decode_responses=True)
    async with campaign, admin, raw, client_for(fake) as client:
        await campaign.load(recipients)
        # A worker claimed the first number, then died (as the claim script leaves it).
        _, _, state, counters, _, todo, owners, *_ = keys_of("takeover")
        seconds, micros = await raw.time()
        await raw.hset(state, "233200000000", "a:dead-run")
        await raw.hincrby(counters, "queued", -1)
        await raw.hincrby(counters, "attempting", 1)
        await raw.zadd(todo, {"0": seconds * 1000 + micros // 1000 + 300})
        await raw.hset(owners, "0", "dead-run")
        await admin.suppressions.add(recipients[:2], reason="STOP")  # after its claim
        assert await campaign.run_worker(client)
        report = await campaign.report()
    assert (report.sent, report.unknown, report.suppressed, report.not_attempted) == (8, 1, 1, 0)
    lost = [r for r in report.unsent if r.status == "unknown"]
    assert [r.recipient for r in lost] == [recipients[0]]  # may have been sent: not skipped
    assert fake.stats()["messages"] == 8


async def test_a_spend_cap_gives_back_the_frequency_counts_of_recipients_not_sent(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    """Admitted (and counted against the cap) in a batch, then stopped by the spend cap:
    those recipients were certainly not sent, so a later send may reach them."""
    url, recipients = redis_server.url, numbers(20)
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    campaign = await RedisCampaign.create(
        url, "given-back", message="Sale!", sender="SHOP", batch_size=1, chunk_size=20,
        max_credits=5, policy=SendingPolicy(url, frequency_cap=cap),
    )  # fmt: skip
    async with campaign:
        await campaign.load(recipients)
        async with client_for(fake) as client:
            await campaign.run_worker(client, concurrency=1)
        report = await campaign.report(keep_unsent=None)
    assert (report.sent, report.not_attempted, report.capped) == (5, 15, 0)
    sent = set(delivered(fake.log))
    unsent = [number for number in recipients if number not in sent]
    assert len(sent) == 5
    async with client_for(fake, SendingPolicy(url, frequency_cap=cap)) as local:
        again = await local.sms.send_bulk(unsent, message="Sale!", sender="SHOP")
        assert (again.sent, again.capped) == (15, 0)
        capped = await local.sms.send_bulk(sorted(sent), message="Sale!", sender="SHOP")
        assert (capped.sent, capped.capped) == (0, 5)  # those sent stay counted
    assert fake.stats()["messages"] == 20
