"""stream_bulk, leaving a campaign early, and cancellation."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import cast

import anyio
import pytest

from velstack_async import AsyncVelstack, BulkResult, BulkStatus
from velstack_async.testing import FakeVelstack

from .helpers import e164, numbers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instant_retries")]

#: trio warns (a ResourceWarning, hidden by default) about any async generator
#: dropped before it is exhausted, whatever it holds; asyncio does not.
abandons_generator = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_stream_yields_every_result_once(client: AsyncVelstack, fake: FakeVelstack) -> None:
    given = [*numbers(700), "0200000001", "bad"]
    callback: list[int] = []
    results = [
        r
        async for r in client.sms.stream_bulk(
            given,
            message="Hi",
            sender="VELSTACK",
            concurrency=8,
            on_result=lambda r: callback.append(r.index),
        )
    ]
    assert sorted(r.index for r in results) == list(range(702))
    assert sorted(callback) == list(range(702))
    statuses = [r.status for r in sorted(results, key=lambda r: r.index)]
    assert statuses == [BulkStatus.SENT] * 700 + [BulkStatus.SKIPPED] * 2
    assert results[0].summary is not None
    assert fake.message_count == 700


@pytest.mark.parametrize("batch_size", [1, 10])
async def test_first_results_come_after_a_small_burst(
    client: AsyncVelstack, fake: FakeVelstack, batch_size: int
) -> None:
    stream = client.sms.stream_bulk(
        numbers(1000), message="Hi", sender="VELSTACK", concurrency=4, batch_size=batch_size
    )
    async with aclosing(cast(AsyncGenerator[BulkResult, None], stream)) as results:
        await results.__anext__()
        # The first burst is `concurrency` results (plus the requests in flight with them).
        assert 4 <= fake.message_count < 8 * batch_size
    assert fake.message_count < 8 * batch_size


async def test_stream_checks_arguments_when_iterated(client: AsyncVelstack) -> None:
    stream = client.sms.stream_bulk(numbers(2), message="Hi", sender="no spaces allowed")
    with pytest.raises(ValueError, match="sender"):
        await stream.__anext__()


@abandons_generator
async def test_break_stops_sending_and_is_safe_without_aclosing(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path
) -> None:
    """A plain ``break`` leaves nothing running: no task group is held across a yield."""
    fake.faults.latency = 0.001
    journal = tmp_path / "campaign.journal"
    recipients = numbers(800)
    got = 0
    async for _ in client.sms.stream_bulk(
        recipients, message="Hi", sender="VELSTACK", concurrency=16, journal=journal
    ):
        got += 1
        if got == 10:
            break
    gc.collect()  # finalise the abandoned generator now
    sent = fake.message_count
    await anyio.sleep(0.05)
    assert fake.message_count == sent  # nothing kept sending in the background
    assert 10 <= sent < 800

    # The journal was closed consistently: a rerun sends exactly the rest.
    report = await client.sms.send_bulk(
        recipients, message="Hi", sender="VELSTACK", concurrency=16, journal=journal
    )
    assert report.sent == 800 - sent
    assert report.skipped == sent
    assert {r.reason for r in report.unsent} == {"already sent (journal of an earlier run)"}
    fake.assert_no_duplicates()
    assert fake.message_count == 800


async def test_leaving_early_with_aclosing(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path
) -> None:
    journal = tmp_path / "campaign.journal"
    stream = client.sms.stream_bulk(numbers(800), message="Hi", sender="VELSTACK", journal=journal)
    # stream_bulk is an async generator, annotated AsyncIterator for the sync facade.
    async with aclosing(cast(AsyncGenerator[BulkResult, None], stream)):
        async for result in stream:
            if result.index >= 0:
                break
    sent = fake.message_count
    # Closed on the spot: the journal is free for the next run at once.
    report = await client.sms.send_bulk(
        numbers(800), message="Hi", sender="VELSTACK", journal=journal
    )
    assert report.sent == 800 - sent
    fake.assert_no_duplicates()


@abandons_generator
async def test_an_error_in_the_consumer_stops_the_stream(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    async def consume() -> None:
        async for result in client.sms.stream_bulk(numbers(2000), message="Hi", sender="VELSTACK"):
            if result.index >= 0:
                raise KeyError("consumer bug")

    with pytest.raises(KeyError):
        await consume()
    sent = fake.message_count
    await anyio.sleep(0.02)
    assert fake.message_count == sent < 2000


@pytest.mark.parametrize("batch_size", [1, 10])
async def test_cancelling_send_bulk_leaves_a_consistent_journal(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path, batch_size: int
) -> None:
    fake.faults.latency = 0.002
    journal = tmp_path / "j.sqlite"
    recipients = numbers(600)

    with anyio.CancelScope() as scope:

        def cancel_midway(result: BulkResult) -> None:
            if fake.message_count >= 150:
                scope.cancel()

        await client.sms.send_bulk(
            recipients,
            message="Hi",
            sender="VELSTACK",
            concurrency=8,
            journal=journal,
            on_result=cancel_midway,
            batch_size=batch_size,
        )
    assert scope.cancelled_caught
    first = fake.message_count
    assert 150 <= first < 600

    report = await client.sms.send_bulk(
        recipients, message="Hi", sender="VELSTACK", concurrency=8, journal=journal
    )
    fake.assert_no_duplicates()
    delivered = {m.recipient for m in fake.messages}
    unknown = {e164(r.recipient) for r in report.unsent if r.status == BulkStatus.UNKNOWN}
    # Cancelled in flight: at most one request per worker is "unknown" (maybe sent), so
    # at most concurrency x batch_size recipients; never resent.
    assert len(unknown) <= 8 * batch_size
    assert delivered | unknown == set(map(e164, recipients))
    assert report.sent + report.skipped + report.unknown == 600


@abandons_generator
async def test_cancelling_a_stream_consumer(client: AsyncVelstack, fake: FakeVelstack) -> None:
    fake.faults.latency = 0.001
    got: list[BulkResult] = []
    with anyio.move_on_after(0.05):
        async for result in client.sms.stream_bulk(
            numbers(20_000), message="Hi", sender="VELSTACK", concurrency=4
        ):
            got.append(result)
    sent = fake.message_count
    await anyio.sleep(0.02)
    assert fake.message_count == sent < 20_000
    assert len(got) <= sent
