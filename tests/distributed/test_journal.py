"""RedisJournal against a real Redis: the SQLite journal's contract, and send_bulk with it."""

from __future__ import annotations

from typing import Any

import pytest

from velstack_async import AsyncVelstack, InvalidInputError
from velstack_async._bulk.journal import Row, Verdict
from velstack_async.distributed import CampaignFencedError, RedisJournal

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio


async def test_runs_duplicates_and_unknown(redis_server: RedisServer) -> None:
    journal = await RedisJournal(redis_server.url, "j").open_journal("c1", resend_unknown=False)
    assert await journal.aclassify([1, 2, 1]) == [Verdict.NEW, Verdict.NEW, Verdict.DUPLICATE]
    await journal.record_many([(Row.ATTEMPTING, None, 1), (Row.ATTEMPTING, None, 2)])
    await journal.record_many([(Row.SENT, "m-1", 1)])
    await journal.aclose()  # "killed" with 2 attempting

    again = await RedisJournal(redis_server.url, "j").open_journal("c1", resend_unknown=False)
    assert await again.states() == {1: Row.SENT, 2: Row.UNKNOWN}
    verdicts = await again.aclassify([1, 2, 3])
    assert verdicts == [Verdict.ALREADY_SENT, Verdict.ALREADY_UNKNOWN, Verdict.NEW]
    await again.aclose()

    resend = await RedisJournal(redis_server.url, "j").open_journal("c1", resend_unknown=True)
    assert await resend.aclassify([2]) == [Verdict.NEW]
    await resend.aclose()


async def test_other_campaign_and_lost_data_are_refused(redis_server: RedisServer) -> None:
    journal = await RedisJournal(redis_server.url, "j").open_journal("c1", resend_unknown=False)
    with pytest.raises(InvalidInputError, match="another campaign"):
        await RedisJournal(redis_server.url, "j").open_journal("c2", resend_unknown=False)
    redis_server.wipe()
    redis_server.start()
    with pytest.raises(CampaignFencedError):
        await journal.aclassify([5])
    await journal.aclose()


async def test_send_bulk_with_a_redis_journal(redis_server: RedisServer, fake: FakeProcess) -> None:
    numbers = [f"020{i:07d}" for i in range(120)]
    journal = RedisJournal(redis_server.url, "bulk")
    async with AsyncVelstack(api_key=API_KEY, base_url=fake.base_url) as client:
        report = await client.sms.send_bulk(numbers, message="Hi", sender="SHOP", journal=journal)
        assert report.sent == 120
        rerun = await client.sms.send_bulk(numbers, message="Hi", sender="SHOP", journal=journal)
    assert rerun.skipped == 120
    assert sum(delivered(fake.log).values()) == 120


async def test_policy_verdicts_are_kept_on_resume(redis_server: RedisServer) -> None:
    journal = await RedisJournal(redis_server.url, "p").open_journal("c1", resend_unknown=True)
    assert await journal.aclassify([1, 2, 3]) == [Verdict.NEW] * 3
    await journal.record_many([(Row.SUPPRESSED, None, 1), (Row.CAPPED, None, 2)])
    await journal.aclose()
    again = await RedisJournal(redis_server.url, "p").open_journal("c1", resend_unknown=True)
    verdicts = await again.aclassify([1, 2, 3])
    assert verdicts == [Verdict.ALREADY_SUPPRESSED, Verdict.ALREADY_CAPPED, Verdict.NEW]
    assert await again.states() == {1: Row.SUPPRESSED, 2: Row.CAPPED, 3: Row.QUEUED}
    await again.aclose()


async def test_a_resumed_send_bulk_keeps_the_policys_skips(redis_server: RedisServer) -> None:
    from datetime import datetime, timedelta, timezone

    from velstack_async import FrequencyCap, SendingPolicy
    from velstack_async.testing import FakeVelstack

    numbers = ["0205550000", "0205550001", "0205550002", "0205550003"]
    fake = FakeVelstack(balance=10_000)
    now = [datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)]
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    policy = SendingPolicy(redis_server.url, frequency_cap=cap, clock=lambda: now[0])
    options: dict[str, Any] = {"message": "Sale!", "sender": "SHOP"}
    journal = RedisJournal(redis_server.url, "sale")
    http = fake.async_http_client()
    async with AsyncVelstack(api_key=fake.api_key, http_client=http, policy=policy) as client:
        await client.sms.send(
            recipient=numbers[0], message="a", sender="SHOP", category="marketing"
        )
        await client.suppressions.add(numbers[1], reason="STOP")
        first = await client.sms.send_bulk(numbers, journal=journal, **options)
        assert (first.sent, first.capped, first.suppressed) == (2, 1, 1)
        # The cap lapsed and the opt-out was withdrawn: a resumed run keeps both verdicts
        # from its journal instead of asking the policy again.
        now[0] += timedelta(days=2)
        await client.suppressions.remove(numbers[1])
        resumed = await client.sms.send_bulk(numbers, journal=journal, **options)
    policy.close()
    assert (resumed.sent, resumed.skipped, resumed.capped, resumed.suppressed) == (0, 4, 1, 1)
    assert all("earlier run" in (r.reason or "") for r in resumed.unsent if r.index < 2)
    assert fake.message_count == 1 + 2
