"""One outcome policy: ``send_bulk`` and a one-worker `RedisCampaign` end every recipient alike.

The same 404 recipients (a foreign number among them in one case), batches of 50, one
request at a time, against the fake served over real HTTP with the same rules and
faults; Redis is real. Every recipient must end with the same status and reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from velstack_async import AsyncVelstack, BulkResult
from velstack_async.distributed import RedisCampaign
from velstack_async.testing import FakeResponse, FakeVelstack

from .helpers import on_quick_sms, recipients
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

COUNT = 404
FOREIGN = "+2348031234567"  # valid for the SDK; the Ghana-only fake refuses it (422)
DROPPED = [7, 60, 61, 200, 399]


def too_large(limit: int) -> Callable[[FakeVelstack], None]:
    """A gateway in front that refuses a list longer than ``limit`` with a 413."""

    def setup(fake: FakeVelstack) -> None:
        def answer(data: dict[str, Any], forward: Callable[[], FakeResponse]) -> FakeResponse:
            if data["recipient"].count(",") + 1 > limit:
                body = json.dumps({"message": "Request Entity Too Large"}).encode()
                return FakeResponse(413, (("content-type", "application/json"),), body)
            return forward()

        on_quick_sms(fake, answer)

    return setup


def numbers() -> list[str]:
    return recipients(COUNT, 0)


def drop_from_echo(fake: FakeVelstack) -> None:
    fake.drop_from_answer = [numbers()[i] for i in DROPPED]


def at_most_20(fake: FakeVelstack) -> None:
    fake.max_recipients = 20


def drop_an_answer(fake: FakeVelstack) -> None:
    fake.faults.drop_mode = "disconnect"
    fake.faults.schedule("drop", 1)


def broke(fake: FakeVelstack) -> None:
    at_most_20(fake)
    drop_from_echo(fake)


#: case -> (fake setup, balance, inputs)
CASES: dict[str, tuple[Callable[[FakeVelstack], None], int, Callable[[], list[str]]]] = {
    "plain": (lambda fake: None, 100_000, numbers),
    "dropped_from_echo": (drop_from_echo, 100_000, numbers),
    "422_size": (at_most_20, 100_000, numbers),
    "413_size": (too_large(20), 100_000, numbers),
    "422_one_number": (lambda fake: None, 100_000, lambda: [*numbers()[:130], FOREIGN]),
    "503_run": (lambda fake: fake.faults.schedule("unavailable", 3), 100_000, numbers),
    "429_without_retry_after": (
        lambda fake: fake.faults.throttle_next(2, retry_after=None),
        100_000,
        numbers,
    ),
    "dropped_answer": (drop_an_answer, 100_000, numbers),
    "insufficient_balance": (broke, 250, numbers),
}


@contextmanager
def served(case: str) -> Iterator[tuple[FakeVelstack, str]]:
    setup, balance, _ = CASES[case]
    fake = FakeVelstack(balance=balance, seed=22)
    setup(fake)
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


Outcomes = dict[int, tuple[str, str | None]]


def delivered_indices(fake: FakeVelstack, inputs: list[str]) -> set[int]:
    got = {m.recipient for m in fake.messages}
    return {i for i, n in enumerate(inputs) if n.startswith("0") and "+233" + n[1:] in got}


async def local_run(case: str, inputs: list[str]) -> tuple[Outcomes, set[int]]:
    results: list[BulkResult] = []
    with served(case) as (fake, base_url):
        async with AsyncVelstack(api_key=fake.api_key, base_url=base_url) as client:
            await client.sms.send_bulk(
                inputs,
                message="Hi",
                sender="SHOP",
                batch_size=50,
                concurrency=1,
                on_result=results.append,
            )
        delivered = delivered_indices(fake, inputs)
    return {r.index: (str(r.status), r.reason) for r in results}, delivered


async def redis_run(url: str, case: str, inputs: list[str]) -> tuple[Outcomes, set[int]]:
    campaign = await RedisCampaign.create(
        url, f"eq-{case}", message="Hi", sender="SHOP", batch_size=50, chunk_size=1000
    )
    with served(case) as (fake, base_url):
        async with campaign:
            await campaign.load(inputs)
            async with AsyncVelstack(api_key=fake.api_key, base_url=base_url) as client:
                await campaign.run_worker(client, concurrency=1)
            report = await campaign.report(keep_unsent=None)
        delivered = delivered_indices(fake, inputs)
    outcomes: Outcomes = {r.index: (str(r.status), r.reason) for r in report.unsent}
    # Sent and not-attempted recipients have no stored result: the fake says which went out.
    for index in range(len(inputs)):
        if index not in outcomes:
            sent = index in delivered
            outcomes[index] = ("sent", None) if sent else ("not_attempted", report.stopped_reason)
    return outcomes, delivered


@pytest.mark.parametrize("case", list(CASES))
async def test_send_bulk_and_a_redis_campaign_decide_alike(
    redis_server: RedisServer, case: str
) -> None:
    inputs = CASES[case][2]()
    local, local_delivered = await local_run(case, inputs)
    distributed, redis_delivered = await redis_run(redis_server.url, case, inputs)
    assert len(local) == len(inputs)
    assert local_delivered == redis_delivered
    differ = {i: (local[i], distributed[i]) for i in local if local[i] != distributed[i]}
    assert not differ
    statuses = {status for status, _ in local.values()}
    if case == "plain":
        assert statuses == {"sent"}
    elif case == "insufficient_balance":
        assert len(local_delivered) == 250 - len(DROPPED) or len(local_delivered) == 250
        assert "not_attempted" in statuses
    elif case == "dropped_answer":
        assert "unknown" in statuses
    elif case in ("dropped_from_echo", "422_one_number"):
        assert "failed" in statuses
