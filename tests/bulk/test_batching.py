"""Batched campaigns against the fake: one request for many recipients of the same text."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import anyio
import httpx
import pytest

from velstack_async import (
    AsyncVelstack,
    BulkMessage,
    BulkResult,
    BulkStatus,
    InsufficientBalanceError,
    ValidationError,
)
from velstack_async._bulk.outcome import NOT_ACCEPTED
from velstack_async.testing import FakeVelstack

from .helpers import Probe, e164, numbers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instant_retries")]

#: A valid Nigerian mobile number: the SDK accepts it, the (Ghana-only) fake refuses it.
FOREIGN = "+2348031234567"


def recipients_per_request(fake: FakeVelstack) -> Counter[str]:
    """How many recipients each accepted request had (by message id)."""
    return Counter(m.message_id for m in fake.messages)


async def test_a_plain_message_goes_out_in_batches(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    results: list[BulkResult] = []
    report = await client.sms.send_bulk(
        numbers(1000), message="Sale today", sender="SHOP", on_result=results.append
    )
    assert (report.sent, report.total, report.unsent) == (1000, 1000, ())
    assert report.requests == fake.request_count == 10
    assert sorted(recipients_per_request(fake).values()) == [100] * 10
    # Credits come from each request's credit_used, once per request.
    assert report.credit_used == Decimal(1000)
    assert report.credit_left == fake.balance()
    # Results stay per recipient; each carries its batch's summary.
    summaries = {r.summary.message_id for r in results if r.summary is not None}
    assert len(summaries) == 10
    assert {r.summary.total_contacts for r in results if r.summary is not None} == {100}
    fake.assert_no_duplicates()


async def test_batch_size_one_is_a_request_per_recipient(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    report = await client.sms.send_bulk(numbers(50), message="Hi", sender="SHOP", batch_size=1)
    assert report.sent == 50
    assert report.requests == fake.request_count == 50
    assert set(recipients_per_request(fake).values()) == {1}


async def test_a_template_batches_recipients_whose_texts_are_equal(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    towns = ["Accra", "Kumasi", "Tamale"]
    items = [BulkMessage(n, fields={"town": towns[i % 3]}) for i, n in enumerate(numbers(300))]
    # Another sender makes another group, even for the same text.
    items += [BulkMessage(n, fields={"town": "Accra"}, sender="OTHER") for n in numbers(20, 300)]
    report = await client.sms.send_bulk(
        items, message="Sale in {town} today", sender="SHOP", batch_size=100
    )
    assert report.sent == 320
    assert report.requests == 4
    groups = Counter((m.text, m.sender) for m in fake.messages)
    assert groups == {
        ("Sale in Accra today", "SHOP"): 100,
        ("Sale in Kumasi today", "SHOP"): 100,
        ("Sale in Tamale today", "SHOP"): 100,
        ("Sale in Accra today", "OTHER"): 20,
    }
    assert len(recipients_per_request(fake)) == 4


async def test_personalised_texts_are_one_request_each(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    items = [BulkMessage(n, fields={"code": str(i)}) for i, n in enumerate(numbers(40))]
    report = await client.sms.send_bulk(items, message="Your code is {code}", sender="SHOP")
    assert report.sent == report.requests == 40


@pytest.mark.parametrize("echo", ["as_sent", "national", "international", "e164"])
async def test_a_number_missing_from_the_answer_fails_and_is_never_resent(
    client: AsyncVelstack, fake: FakeVelstack, echo: str
) -> None:
    fake.echo_recipients = echo  # type: ignore[assignment]
    to = numbers(30)
    fake.drop_from_answer = [to[7]]
    report = await client.sms.send_bulk(to, message="Hi", sender="SHOP")
    # The others are matched whatever format the answer writes them in.
    assert (report.sent, report.failed, report.requests) == (29, 1, 1)
    [failed] = report.unsent
    assert failed.recipient == to[7]
    assert failed.status is BulkStatus.FAILED
    assert failed.reason == NOT_ACCEPTED
    assert failed.summary is not None  # the batch's answer, which left it out
    assert e164(to[7]) not in {m.recipient for m in fake.messages}
    assert report.credit_used == 29


async def test_a_422_on_the_recipient_count_halves_the_batch_for_good(
    fake: FakeVelstack, probe: Probe
) -> None:
    fake.max_recipients = 30
    sizes: list[int] = []

    def record(request: httpx.Request) -> None:
        sizes.append(json.loads(request.content)["recipient"].count(",") + 1)

    async with AsyncVelstack(api_key=fake.api_key, transport=probe) as client:
        probe.on_request = record
        report = await client.sms.send_bulk(
            numbers(400), message="Hi", sender="SHOP", concurrency=1
        )
    assert (report.sent, report.failed) == (400, 0)
    fake.assert_no_duplicates()
    # 100 refused, 50 refused, then 25 from then on: never a refused size again.
    assert sizes[:2] == [100, 50]
    assert max(sizes[2:]) == 25
    assert sizes.count(100) == 1
    assert sizes.count(50) == 1
    assert report.requests == len(sizes)
    # (A partial batch may leave after its short wait on a slow machine: a request more.)
    assert 2 + 400 // 25 <= len(sizes) <= 2 + 400 // 25 + 2
    assert max(recipients_per_request(fake).values()) == 25


async def test_a_413_also_halves_the_batch(fake: FakeVelstack) -> None:
    inner = fake.async_transport()

    class Gateway(httpx.AsyncBaseTransport):
        """A proxy in front of the API that refuses bodies over 12 numbers with 413."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            if body["recipient"].count(",") >= 12:
                return httpx.Response(413, text="<html>Request Entity Too Large</html>")
            return await inner.handle_async_request(request)

    async with AsyncVelstack(api_key=fake.api_key, transport=Gateway()) as client:
        report = await client.sms.send_bulk(numbers(100), message="Hi", sender="SHOP")
    assert report.sent == 100
    assert max(recipients_per_request(fake).values()) <= 12
    fake.assert_no_duplicates()


async def test_a_bad_number_inside_a_batch_fails_alone(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    to = numbers(99)
    to.insert(40, FOREIGN)
    report = await client.sms.send_bulk(to, message="Hi", sender="SHOP")
    assert (report.sent, report.failed) == (99, 1)
    [failed] = report.unsent
    assert failed.recipient == FOREIGN
    assert isinstance(failed.error, ValidationError)
    assert failed.error.status_code == 422
    assert fake.message_count == 99
    fake.assert_no_duplicates()
    # Halving isolates it: at most 1 + 2 * log2(100) requests.
    assert report.requests <= 1 + 2 * 7


async def test_a_422_about_the_message_fails_the_batch_without_splitting(
    fake: FakeVelstack,
) -> None:
    requests: list[int] = []

    class Gateway(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            requests.append(1)
            errors = {"sender": ["The selected sender is invalid."]}
            return httpx.Response(422, json={"message": errors["sender"][0], "errors": errors})

    async with AsyncVelstack(api_key=fake.api_key, transport=Gateway()) as client:
        report = await client.sms.send_bulk(numbers(100), message="Hi", sender="SHOP")
    assert (report.failed, report.requests, len(requests)) == (100, 1, 1)
    assert all(isinstance(r.error, ValidationError) for r in report.unsent)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_balance_that_runs_out_mid_batch_is_used_up(
    client: AsyncVelstack, fake: FakeVelstack, concurrency: int
) -> None:
    fake.set_balance(250)
    report = await client.sms.send_bulk(
        numbers(600), message="Hi", sender="SHOP", concurrency=concurrency
    )
    # Batches larger than the credit left are split until it is all used.
    assert report.sent == fake.message_count == 250
    assert fake.balance() == 0
    assert report.credit_left == 0
    assert (report.stopped_reason or "").startswith("insufficient balance")
    assert 1 <= report.failed <= concurrency
    assert all(
        isinstance(r.error, InsufficientBalanceError)
        for r in report.unsent
        if r.status is BulkStatus.FAILED
    )
    assert report.not_attempted == 600 - 250 - report.failed
    fake.assert_no_duplicates()


async def test_faults_at_batch_level_never_send_twice(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.faults.fail_rate = 0.15
    fake.faults.reset_rate = 0.1
    fake.faults.drop_rate = 0.1
    fake.faults.html_502_rate = 0.05
    to = numbers(5000)
    report = await client.sms.send_bulk(to, message="Hi", sender="SHOP", batch_size=50)
    fake.assert_no_duplicates()
    counts = fake.fault_counts
    assert min(counts["unavailable"], counts["reset"], counts["drop"], counts["bad_gateway"]) > 0
    assert report.sent + report.unknown == 5000
    assert report.failed == report.not_attempted == 0
    delivered = {m.recipient for m in fake.messages}
    sent = set(map(e164, to)) - {e164(r.recipient) for r in report.unsent}
    assert sent <= delivered
    # Ambiguous requests made all their recipients unknown: whole batches of 50.
    assert report.unknown % 50 == 0
    # (A reset fails before the fake reads the request: certainly not processed, retried.)
    assert report.unknown // 50 == counts["drop"] + counts["bad_gateway"]


async def test_a_partial_batch_waits_only_a_short_time(client: AsyncVelstack) -> None:
    """An input that trickles in: each recipient goes out soon, not when a batch is full."""
    arrived: dict[int, float] = {}
    finished: dict[int, float] = {}

    async def trickle() -> AsyncIterator[str]:
        for i, number in enumerate(numbers(30)):
            arrived[i] = time.monotonic()
            yield number
            await anyio.sleep(0.05)

    def done(result: BulkResult) -> None:
        finished[result.index] = time.monotonic()

    report = await client.sms.send_bulk(
        trickle(), message="Hi", sender="SHOP", concurrency=4, on_result=done
    )
    assert report.sent == 30
    assert report.requests > 3  # partial batches went out as the input came
    # The input takes 1.5 s: the first two thirds were answered before its last recipient
    # came (a batch waiting to fill would hold them to the end), which leaves a loaded
    # machine half a second of slack.
    late = {i: finished[i] - arrived[29] for i in range(20) if finished[i] >= arrived[29]}
    assert not late, late


async def test_request_rate_limit_spaces_requests(client: AsyncVelstack, probe: Probe) -> None:
    started = time.monotonic()
    report = await client.sms.send_bulk(
        numbers(1000), message="Hi", sender="SHOP", concurrency=10, request_rate_limit=20
    )
    assert report.sent == 1000
    assert report.requests == 10
    # One request every 50 ms across workers: the 10th starts >= 450 ms in.
    assert probe.arrivals[-1] - started >= 0.45
