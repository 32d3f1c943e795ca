"""send_bulk when things go wrong: retries, throttling, balance, auth, ambiguous sends."""

from __future__ import annotations

import time

import anyio
import pytest

from velstack_async import (
    AsyncVelstack,
    AuthenticationError,
    BulkStatus,
    InsufficientBalanceError,
    ServerError,
)
from velstack_async.testing import FakeVelstack

from .helpers import Probe, e164, numbers

pytestmark = pytest.mark.anyio


@pytest.mark.stress
@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("batch_size", [1, 100])
async def test_ten_thousand_with_a_fifth_failing_all_sent_exactly_once(
    client: AsyncVelstack, fake: FakeVelstack, anyio_backend: str, batch_size: int
) -> None:
    fake.faults.fail_rate = 0.2
    count = 10_000 if anyio_backend == "asyncio" else 2_000  # the same engine; keep the run short
    recipients = numbers(count)
    report = await client.sms.send_bulk(
        iter(recipients), message="Sale", sender="VELSTACK", batch_size=batch_size
    )

    # Every request the campaign made reached the fake; a fifth of them were 503s.
    assert report.requests == fake.request_count
    assert fake.fault_counts["unavailable"] > report.requests * 0.12
    assert report.requests >= count // batch_size
    assert report.throttled == fake.fault_counts["unavailable"]
    assert (report.sent, report.total, report.unsent) == (count, count, ())
    assert fake.message_count == count
    fake.assert_no_duplicates()
    assert {m.recipient for m in fake.messages} == set(map(e164, recipients))


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("concurrency", [1, 7])
async def test_in_flight_never_exceeds_concurrency(
    client: AsyncVelstack, fake: FakeVelstack, probe: Probe, concurrency: int
) -> None:
    fake.faults.latency = 0.001
    fake.faults.latency_jitter = 0.002
    fake.faults.fail_rate = 0.1
    report = await client.sms.send_bulk(
        numbers(150), message="Hi", sender="VELSTACK", concurrency=concurrency, batch_size=1
    )
    assert report.sent == 150
    assert probe.max_in_flight == concurrency


async def test_a_429_pauses_every_worker(
    client: AsyncVelstack, fake: FakeVelstack, probe: Probe
) -> None:
    """Real waiting (no instant_retries): the fake asks for Retry-After: 1."""
    fake.faults.latency = 0.002
    sent_before_throttle = 40
    throttled_at: list[float] = []

    def throttle_once(result: object) -> None:
        if fake.message_count >= sent_before_throttle and not throttled_at:
            fake.faults.throttle_next(3, retry_after=1)
            throttled_at.append(time.monotonic())

    report = await client.sms.send_bulk(
        numbers(150),
        message="Hi",
        sender="VELSTACK",
        concurrency=8,
        on_result=throttle_once,
        batch_size=1,
    )

    assert report.sent == 150
    assert fake.fault_counts["throttle"] == 3
    # The first 429 answered a request that arrived right after the throttle was set;
    # requests already in flight may land just after it, then nothing for about 1 s.
    start = throttled_at[0]
    window = [t for t in probe.arrivals if start + 0.1 < t < start + 0.9]
    assert window == []
    assert any(t >= start + 0.9 for t in probe.arrivals)
    fake.assert_no_duplicates()


@pytest.mark.usefixtures("instant_retries")
async def test_insufficient_balance_stops_dispatch(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.set_balance(50)
    report = await client.sms.send_bulk(
        numbers(400), message="Hi", sender="VELSTACK", concurrency=4, batch_size=1
    )

    assert report.sent == 50
    assert fake.message_count == 50
    assert 1 <= report.failed <= 4  # the refused send and any in flight with it
    assert report.not_attempted == 400 - 50 - report.failed
    assert report.total == 400
    assert report.stopped_reason is not None
    assert report.stopped_reason.startswith("insufficient balance")
    failed = [r for r in report.unsent if r.status == BulkStatus.FAILED]
    assert all(isinstance(r.error, InsufficientBalanceError) for r in failed)
    rest = [r for r in report.unsent if r.status == BulkStatus.NOT_ATTEMPTED]
    assert all(r.reason == report.stopped_reason for r in rest)
    assert report.credit_left == 0


@pytest.mark.usefixtures("instant_retries")
async def test_authentication_error_stops_at_once(fake: FakeVelstack, probe: Probe) -> None:
    async with AsyncVelstack(api_key="wrong-key", transport=probe) as client:
        report = await client.sms.send_bulk(
            numbers(300), message="Hi", sender="VELSTACK", concurrency=5, batch_size=1
        )
    assert report.sent == 0
    assert 1 <= report.failed <= 5
    assert report.not_attempted == 300 - report.failed
    assert len(probe.arrivals) == report.failed
    assert (report.stopped_reason or "").startswith("authentication failed")
    assert isinstance(report.unsent[0].error, AuthenticationError)


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("batch_size", [1, 10])
async def test_processed_but_unanswered_sends_are_unknown_never_resent(
    client: AsyncVelstack, fake: FakeVelstack, batch_size: int
) -> None:
    fake.faults.drop_rate = 0.3
    report = await client.sms.send_bulk(
        numbers(200), message="Hi", sender="VELSTACK", batch_size=batch_size
    )

    dropped = fake.fault_counts["drop"]
    assert dropped > 20 // batch_size
    # Every recipient of a request whose answer was lost is unknown, never resent.
    assert report.unknown == dropped * batch_size
    assert report.sent == 200 - dropped * batch_size
    assert report.requests == 200 // batch_size
    assert fake.message_count == 200  # the dropped ones were delivered: once
    fake.assert_no_duplicates()
    unknown = [r for r in report.unsent if r.status == BulkStatus.UNKNOWN]
    assert all(r.error is not None and r.error.may_have_been_sent for r in unknown)


@pytest.mark.usefixtures("instant_retries")
async def test_html_502_is_unknown_and_connection_resets_are_retried(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.faults.html_502_rate = 0.1
    fake.faults.reset_rate = 0.2
    report = await client.sms.send_bulk(numbers(200), message="Hi", sender="VELSTACK", batch_size=1)

    assert fake.fault_counts["reset"] > 20
    assert report.unknown == fake.fault_counts["bad_gateway"] > 0
    assert report.sent == 200 - report.unknown
    assert all(isinstance(r.error, ServerError) for r in report.unsent)


@pytest.mark.usefixtures("instant_retries")
async def test_max_failures_stops_the_campaign(client: AsyncVelstack, fake: FakeVelstack) -> None:
    fake.faults.drop_rate = 1.0
    report = await client.sms.send_bulk(
        numbers(100), message="Hi", sender="VELSTACK", concurrency=2, max_failures=5, batch_size=1
    )
    assert 5 <= report.unknown <= 6
    assert report.not_attempted == 100 - report.unknown
    assert (report.stopped_reason or "").startswith("max_failures reached")


@pytest.mark.usefixtures("instant_retries")
async def test_a_service_that_never_recovers_stops_the_campaign(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.faults.fail_rate = 1.0
    report = await client.sms.send_bulk(
        numbers(50), message="Hi", sender="VELSTACK", concurrency=2, batch_size=1, stall_timeout=0.3
    )
    assert report.sent == 0
    assert 1 <= report.failed <= 2
    assert report.not_attempted == 50 - report.failed
    assert "kept refusing sends: nothing accepted for" in (report.stopped_reason or "")
    assert report.throttled == fake.fault_counts["unavailable"] == report.requests
    assert fake.message_count == 0


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("refusal", ["503", "429"])
async def test_set_testing_reaches_the_default_stall_timeout_in_few_requests(
    client: AsyncVelstack, fake: FakeVelstack, refusal: str
) -> None:
    """set_testing skips the waits but counts them toward stall_timeout (600 s by default),
    so a test against a service that is down stops at once, not after 600 s of retries."""
    if refusal == "503":
        fake.faults.fail_rate = 1.0
    else:  # the first request is accepted, then every one is throttled without Retry-After
        fake.faults.rate_limit, fake.faults.rate_window = 1, 3600.0
        fake.faults.retry_after_header = False
    started = time.monotonic()
    with anyio.fail_after(60):
        report = await client.sms.send_bulk(
            numbers(40), message="Hi", sender="VELSTACK", concurrency=4, batch_size=10
        )
    assert time.monotonic() - started < 30  # not the 600 s of real time
    assert "kept refusing sends: nothing accepted for" in (report.stopped_reason or "")
    # About what production makes in 600 s of backoff or pacing, not millions.
    assert report.requests <= 2000
    assert report.sent == (0 if refusal == "503" else 10)
    assert report.sent + report.failed + report.not_attempted == 40


@pytest.mark.usefixtures("instant_retries")
async def test_set_testing_retries_can_still_be_cancelled(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    """Instant retries against the in-process fake still yield to the event loop, so a
    deadline cancels them (before, this spun without a checkpoint: fail_after never fired)."""
    fake.faults.fail_rate = 1.0
    started = time.monotonic()
    with pytest.raises(TimeoutError), anyio.fail_after(0.5):
        await client.sms.send_bulk(
            numbers(4), message="Hi", sender="VELSTACK", concurrency=2, stall_timeout=1e9
        )
    assert time.monotonic() - started < 10
    assert fake.fault_counts["unavailable"] > 10  # it kept retrying until cancelled
    assert fake.message_count == 0


async def test_rate_limit_spaces_sends(client: AsyncVelstack, probe: Probe) -> None:
    started = time.monotonic()
    report = await client.sms.send_bulk(
        numbers(11), message="Hi", sender="VELSTACK", concurrency=11, rate_limit=50, batch_size=1
    )
    assert report.sent == 11
    # One slot every 20 ms shared by all 11 workers: the 11th starts >= 200 ms in
    # (a lower bound: sleeps never end early).
    assert probe.arrivals[-1] - started >= 0.2
