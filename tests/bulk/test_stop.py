"""`CampaignStop`: a caller's graceful stop, against the fake served on loopback.

In-flight sends finish and are reported, every later recipient is reported
``not_attempted``, the report says ``stopped_reason``, and what the server
received is exactly what the report calls sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from velstack_async import (
    AsyncVelstack,
    BulkResult,
    BulkStatus,
    CampaignOptions,
    CampaignStop,
    Velstack,
)
from velstack_async.testing import FakeVelstack, LoopbackServer

from .helpers import numbers

pytestmark = pytest.mark.anyio

STOPPED = "stopped by the caller"


@pytest.fixture
def slow_fake() -> FakeVelstack:
    fake = FakeVelstack(seed=4, balance=1_000_000)
    fake.faults.latency = 0.01  # sends are in flight when the stop comes
    return fake


@pytest.fixture
def served(slow_fake: FakeVelstack) -> Iterator[LoopbackServer]:
    with LoopbackServer(slow_fake) as server:
        yield server


def options(**kwargs: object) -> CampaignOptions:
    settings: dict[str, object] = {"message": "Hi", "sender": "SHOP", "concurrency": 4}
    return CampaignOptions(**{**settings, **kwargs})  # type: ignore[arg-type]


def check_stopped(results: list[BulkResult], count: int, fake: FakeVelstack, reason: str) -> int:
    """Every input row reported once; the sent ones are exactly the ones the server has."""
    assert sorted(r.index for r in results) == list(range(count))
    sent = [r for r in results if r.status is BulkStatus.SENT]
    rest = [r for r in results if r.status is not BulkStatus.SENT]
    assert {m.recipient for m in fake.messages} == {"+233" + r.recipient[1:] for r in sent}
    assert rest
    assert all(r.status is BulkStatus.NOT_ATTEMPTED for r in rest)
    assert {r.reason for r in rest} == {reason}
    assert not fake.duplicates()
    return len(sent)


async def test_stop_from_on_result(served: LoopbackServer, slow_fake: FakeVelstack) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []

    def on_result(result: BulkResult) -> None:
        results.append(result)
        if len(results) == 20:
            stop.set()

    async with AsyncVelstack(api_key=slow_fake.api_key, base_url=served.base_url) as client:
        report = await client.sms.send_campaign(
            numbers(300), options(batch_size=5), on_result=on_result, stop=stop
        )
    sent = check_stopped(results, 300, slow_fake, STOPPED)
    assert report.stopped_reason == STOPPED
    assert (report.total, report.sent, report.not_attempted) == (300, sent, 300 - sent)
    # The 20 reported, plus at most the other 3 batches of 5 in flight.
    assert 20 <= sent <= 20 + 3 * 5
    assert report.unknown == report.failed == 0


async def test_stop_set_before_the_start_sends_nothing(
    served: LoopbackServer, slow_fake: FakeVelstack
) -> None:
    stop = CampaignStop()
    stop.set("not today")
    stop.set("ignored: the first reason wins")
    async with AsyncVelstack(api_key=slow_fake.api_key, base_url=served.base_url) as client:
        report = await client.sms.send_campaign(numbers(50), options(), stop=stop)
    assert (report.sent, report.not_attempted, report.stopped_reason) == (0, 50, "not today")
    assert slow_fake.request_count == 0
    assert stop.reason == "not today"


async def test_stream_campaign_stops_too(served: LoopbackServer, slow_fake: FakeVelstack) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []
    async with AsyncVelstack(api_key=slow_fake.api_key, base_url=served.base_url) as client:
        async for result in client.sms.stream_campaign(
            numbers(400), options(batch_size=1), stop=stop
        ):
            results.append(result)
            if len(results) == 10:
                stop.set("enough")
    sent = check_stopped(results, 400, slow_fake, "enough")
    assert 10 <= sent < 400


async def test_a_stopped_campaign_resumes_from_its_journal(
    served: LoopbackServer, slow_fake: FakeVelstack, tmp_path: Path
) -> None:
    journal = tmp_path / "c.journal"
    stop = CampaignStop()

    def on_result(result: BulkResult) -> None:
        if result.status is BulkStatus.SENT:
            stop.set()

    async with AsyncVelstack(api_key=slow_fake.api_key, base_url=served.base_url) as client:
        first = await client.sms.send_campaign(
            numbers(200), options(journal=journal, batch_size=10), on_result=on_result, stop=stop
        )
        second = await client.sms.send_campaign(numbers(200), options(journal=journal))
    assert first.stopped_reason == STOPPED
    assert 0 < first.sent < 200
    assert (second.sent, second.skipped) == (first.not_attempted, first.sent)
    assert len(slow_fake.messages) == 200
    assert not slow_fake.duplicates()


def test_sync_client_stopped_from_another_thread(
    served: LoopbackServer, slow_fake: FakeVelstack
) -> None:
    stop = CampaignStop()
    results: list[BulkResult] = []

    def operator() -> None:
        deadline = time.monotonic() + 30
        while len(slow_fake.messages) < 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        stop.set("operator stop")

    thread = threading.Thread(target=operator)
    thread.start()
    with Velstack(api_key=slow_fake.api_key, base_url=served.base_url) as client:
        report = client.sms.send_campaign(
            numbers(500), options(batch_size=1, concurrency=2), on_result=results.append, stop=stop
        )
    thread.join()
    sent = check_stopped(results, 500, slow_fake, "operator stop")
    assert report.stopped_reason == "operator stop"
    assert 10 <= sent < 500
    assert report.sent == sent


def test_reason_must_be_text() -> None:
    with pytest.raises(TypeError):
        CampaignStop().set("")
    assert not CampaignStop().is_set()
