"""Every recipient is reported on any stop: an abort (``set(hard=True)``) and a cancellation
cut the sends in flight off (``unknown``) and report every other one ``not_attempted``,
from the engine itself; the journal agrees, and a rerun resumes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import anyio
import pytest

from velstack_async import (
    AsyncVelstack,
    BulkMessage,
    BulkResult,
    BulkStatus,
    CampaignOptions,
    CampaignStop,
)
from velstack_async._bulk.outcome import ABORTED, CANCELLED
from velstack_async.testing import FakeVelstack

from .helpers import numbers

pytestmark = pytest.mark.anyio

COUNT = 2_000
CONCURRENCY = 8


@pytest.fixture
def slow_fake() -> FakeVelstack:
    fake = FakeVelstack(seed=5, balance=1_000_000)
    fake.faults.latency = 0.2  # every send is in flight for a while
    return fake


def messages() -> list[BulkMessage]:
    """One request per recipient (a personal text each)."""
    return [BulkMessage(n, fields={"n": str(i)}) for i, n in enumerate(numbers(COUNT))]


def journal_states(path: Path) -> Counter[int]:
    with closing(sqlite3.connect(path)) as conn:  # `with connect()` alone never closes it
        return Counter(dict(conn.execute("SELECT state, count(*) FROM recipients GROUP BY state")))


def check_every_row(results: list[BulkResult], fake: FakeVelstack) -> Counter[BulkStatus]:
    assert sorted(r.index for r in results) == list(range(COUNT))  # each once
    statuses = Counter(r.status for r in results)
    assert statuses[BulkStatus.UNKNOWN] >= 1
    assert statuses[BulkStatus.NOT_ATTEMPTED] > COUNT // 2
    assert set(statuses) <= {BulkStatus.SENT, BulkStatus.UNKNOWN, BulkStatus.NOT_ATTEMPTED}
    assert {r.reason for r in results if r.status is BulkStatus.UNKNOWN} == {ABORTED}
    # Nothing reported sent that the server did not get; an unknown one may have been.
    got = {m.recipient for m in fake.messages}
    sent = {"+233" + r.recipient[1:] for r in results if r.status is BulkStatus.SENT}
    unknown = {"+233" + r.recipient[1:] for r in results if r.status is BulkStatus.UNKNOWN}
    assert sent <= got <= sent | unknown
    return statuses


async def test_an_abort_reports_in_flight_unknown_and_the_rest_not_attempted(
    slow_fake: FakeVelstack, tmp_path: Path
) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []
    journal = tmp_path / "abort.journal"

    def on_result(result: BulkResult) -> None:
        results.append(result)
        if len(results) == 3 * CONCURRENCY:
            stop.set("operator abort", hard=True)

    async with AsyncVelstack(api_key=slow_fake.api_key, transport=slow_fake.async_transport()) as c:
        options = CampaignOptions(
            message="Hi {n}", sender="SHOP", concurrency=CONCURRENCY, journal=journal
        )
        report = await c.sms.send_campaign(messages(), options, on_result=on_result, stop=stop)
    statuses = check_every_row(results, slow_fake)
    assert report.total == COUNT
    assert 1 <= report.unknown == statuses[BulkStatus.UNKNOWN] <= CONCURRENCY
    assert report.stopped_reason == "operator abort"
    assert {r.reason for r in results if r.status is BulkStatus.NOT_ATTEMPTED} == {"operator abort"}
    states = journal_states(journal)  # 2 sent, 4 unknown, 0 queued; nothing left attempting
    assert (states[2], states[4], states[1]) == (report.sent, report.unknown, 0)
    # A rerun resumes: it sends the rest, and never the unknown ones.
    slow_fake.faults.latency = 0.0
    async with AsyncVelstack(api_key=slow_fake.api_key, transport=slow_fake.async_transport()) as c:
        again = await c.sms.send_bulk(
            messages(), message="Hi {n}", sender="SHOP", journal=journal, concurrency=CONCURRENCY
        )
    assert again.sent == report.not_attempted
    assert again.unknown == report.unknown
    slow_fake.assert_no_duplicates()


async def test_a_cancelled_campaign_still_reports_every_row(slow_fake: FakeVelstack) -> None:
    results: list[BulkResult] = []
    async with AsyncVelstack(api_key=slow_fake.api_key, transport=slow_fake.async_transport()) as c:
        with anyio.move_on_after(0.5) as scope:
            await c.sms.send_bulk(
                messages(),
                message="Hi {n}",
                sender="SHOP",
                concurrency=CONCURRENCY,
                on_result=results.append,
            )
    assert scope.cancelled_caught
    check_every_row(results, slow_fake)
    assert {r.reason for r in results if r.status is BulkStatus.NOT_ATTEMPTED} == {CANCELLED}


async def test_a_graceful_stop_lets_the_sends_in_flight_finish(slow_fake: FakeVelstack) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []

    def on_result(result: BulkResult) -> None:
        results.append(result)
        stop.set()

    async with AsyncVelstack(api_key=slow_fake.api_key, transport=slow_fake.async_transport()) as c:
        options = CampaignOptions(message="Hi {n}", sender="SHOP", concurrency=CONCURRENCY)
        report = await c.sms.send_campaign(messages(), options, on_result=on_result, stop=stop)
    assert sorted(r.index for r in results) == list(range(COUNT))
    assert report.unknown == 0
    assert 1 <= report.sent == len(slow_fake.messages) <= CONCURRENCY
    assert report.not_attempted == COUNT - CONCURRENCY


async def test_an_aborted_stream_reports_every_row_in_bursts(slow_fake: FakeVelstack) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []
    options = CampaignOptions(message="Hi {n}", sender="SHOP", concurrency=CONCURRENCY)
    async with AsyncVelstack(api_key=slow_fake.api_key, transport=slow_fake.async_transport()) as c:
        async for result in c.sms.stream_campaign(messages(), options, stop=stop):
            results.append(result)
            if len(results) == 2 * CONCURRENCY:
                stop.set("operator abort", hard=True)
    # Nothing is in flight while the stream is at a yield: no unknown; the rest come in
    # bursts as not_attempted (never all at once).
    assert sorted(r.index for r in results) == list(range(COUNT))
    statuses = Counter(r.status for r in results)
    assert statuses[BulkStatus.SENT] == len(slow_fake.messages)
    assert statuses[BulkStatus.NOT_ATTEMPTED] == COUNT - len(slow_fake.messages)
