"""A 422 on a batch of a distributed chunk: split until the offending number fails alone.

The fake serves over real HTTP on loopback (in a thread of this process, so the
test can read what it accepted and change ``max_recipients``); Redis is real.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from velstack_async import AsyncVelstack, BulkMessage, BulkStatus
from velstack_async.distributed import RedisCampaign
from velstack_async.testing import FakeResponse, FakeVelstack

from .helpers import on_quick_sms, recipients
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

#: A valid Nigerian mobile number: the SDK accepts it, the (Ghana-only) fake refuses it
#: with a 422 on ``recipient`` that refuses the whole request.
FOREIGN = "+2348031234567"
BALANCE = 1_000_000


class Served:
    """The fake, its base URL, and the size of every quick SMS request it answered."""

    def __init__(self, fake: FakeVelstack, base_url: str) -> None:
        self.fake = fake
        self.base_url = base_url
        #: (recipients named, HTTP status) of each quick SMS, in arrival order.
        self.sends: list[tuple[int, int]] = []
        #: A sender ID the account may not use: a Laravel 422 on ``sender`` (whole request).
        self.refused_sender: str | None = None
        on_quick_sms(fake, self._answer)

    def _answer(self, data: dict[str, Any], forward: Callable[[], FakeResponse]) -> FakeResponse:
        if data["sender"] == self.refused_sender:
            refusal = {"sender": ["The selected sender is invalid."]}
            text = json.dumps({"message": refusal["sender"][0], "errors": refusal})
            response = FakeResponse(422, (("content-type", "application/json"),), text.encode())
        else:
            response = forward()
        self.sends.append((data["recipient"].count(",") + 1, response.status))
        return response

    def client(self) -> AsyncVelstack:
        return AsyncVelstack(api_key=self.fake.api_key, base_url=self.base_url)

    def delivered(self) -> Counter[str]:
        return Counter(message.recipient for message in self.fake.messages)


@pytest.fixture
def served() -> Iterator[Served]:
    fake = FakeVelstack(balance=BALANCE, seed=16)
    served = Served(fake, "")
    with fake.serve_in_thread() as base_url:
        served.base_url = base_url
        yield served


def e164(national: str) -> str:
    return "+233" + national[1:]


async def test_a_bad_number_in_a_batch_fails_alone(
    redis_server: RedisServer, served: Served
) -> None:
    numbers = recipients(200, 0)
    inputs = [*numbers[:77], FOREIGN, *numbers[77:]]
    campaign = await RedisCampaign.create(
        redis_server.url, "bad-number", message="Hi", sender="SHOP", batch_size=50, chunk_size=100
    )
    async with campaign:
        assert await campaign.load(inputs) == 201
        async with served.client() as client:
            await campaign.run_worker(client, concurrency=4)
        report = await campaign.report()
        status = await campaign.status()
    fake = served.fake
    # Every good number went out exactly once; the foreign one never did.
    fake.assert_no_duplicates()
    assert served.delivered() == Counter(e164(n) for n in numbers)
    assert (report.total, report.sent, report.failed) == (201, 200, 1)
    assert report.unknown == report.skipped == report.not_attempted == 0
    [failed] = report.unsent
    assert (failed.recipient, failed.index, failed.status) == (FOREIGN, 77, BulkStatus.FAILED)
    assert "invalid phone number" in (failed.reason or "")
    # The refusals were split, never retried whole: only the batch holding the bad number
    # was refused, one refused request per halving (50, 25, 13, 7, 4, 2, 1 at most).
    refused = [named for named, code in served.sends if code == 422]
    accepted = [named for named, code in served.sends if code == 200]
    assert refused[0] == 50
    assert refused[-1] == 1
    assert refused == sorted(refused, reverse=True)
    assert len(refused) <= 7
    assert sum(accepted) == 200
    # Every request counted once, refused ones included; credits as the fake charged them.
    assert report.requests == status["requests"] == len(served.sends) == fake.request_count
    assert report.credit_used == Decimal(200) == BALANCE - fake.balance()
    assert status["sent"] == 200
    assert status["failed"] == 1
    assert status["queued"] == status["attempting"] == 0


async def test_too_many_recipients_halves_the_batches(
    redis_server: RedisServer, served: Served
) -> None:
    served.fake.max_recipients = 30
    numbers = recipients(300, 10)
    campaign = await RedisCampaign.create(
        redis_server.url, "too-many", message="Hi", sender="SHOP", batch_size=100, chunk_size=150
    )
    async with campaign:
        assert await campaign.load(numbers) == 310
        async with served.client() as client:
            await campaign.run_worker(client, concurrency=3)
        report = await campaign.report()
    fake = served.fake
    fake.assert_no_duplicates()
    assert served.delivered() == Counter(e164(n) for n in numbers[:300])
    assert (report.total, report.sent, report.skipped) == (310, 300, 10)
    assert report.failed == report.unknown == report.not_attempted == 0
    assert all(result.reason == "duplicate" for result in report.unsent)
    refused = [named for named, code in served.sends if code == 422]
    accepted = [named for named, code in served.sends if code == 200]
    # Nothing over the limit was ever accepted; everything at or under it was.
    assert min(refused) > 30
    assert max(accepted) <= 30
    assert sum(accepted) == 300
    # A chunk learns the limit for good: 100 then 50 refused, 25 from then on (each of
    # the 2 chunks learns it; 3 batches in flight at once may each be refused once).
    assert 2 <= len(refused) <= 2 * 3
    assert set(accepted) == {25}
    assert report.requests == len(served.sends) == fake.request_count
    assert report.credit_used == Decimal(300) == BALANCE - fake.balance()


async def test_a_422_about_the_sender_fails_the_batch_without_splitting(
    redis_server: RedisServer, served: Served
) -> None:
    served.refused_sender = "BLOCKED"
    numbers = recipients(60, 0)
    campaign = await RedisCampaign.create(
        redis_server.url, "bad-sender", message="Hi", sender="BLOCKED", batch_size=20
    )
    async with campaign:
        await campaign.load([*numbers[:30], BulkMessage(numbers[30], sender="SHOP"), *numbers[31:]])
        async with served.client() as client:
            await campaign.run_worker(client, concurrency=2)
        report = await campaign.report()
    # Fewer numbers cannot help: one request per batch, never split into single numbers.
    assert sorted(served.sends) == [(1, 200), (19, 422), (20, 422), (20, 422)]
    assert (report.sent, report.failed, report.requests) == (1, 59, 4)
    assert {result.reason for result in report.unsent} == {"The selected sender is invalid."}
    assert served.delivered() == Counter([e164(numbers[30])])
