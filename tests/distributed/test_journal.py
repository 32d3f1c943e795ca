"""RedisJournal against a real Redis: the SQLite journal's contract, and send_bulk with it."""

from __future__ import annotations

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
    await journal.record(1, Row.SENT, "m-1")
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
