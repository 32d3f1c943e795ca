"""A throttled campaign slows down to what the server sustains and never gives up for it.

Real waits here (no ``instant_retries``): pacing is what is under test.
"""

from __future__ import annotations

import pytest

from velstack_async import AsyncVelstack
from velstack_async._bulk import pacer as pacer_module
from velstack_async._bulk.pacer import Pacer
from velstack_async.testing import FakeVelstack

from .helpers import numbers

pytestmark = pytest.mark.anyio


@pytest.mark.stress
async def test_throttled_without_retry_after_at_concurrency_256_all_sent() -> None:
    """As nginx's limit_req answers: 429 with no Retry-After. Nothing fails, nothing stops."""
    fake = FakeVelstack(seed=7, balance=1_000_000)
    fake.faults.rate_limit = 200  # requests per 1 s window
    fake.faults.retry_after_header = False
    async with AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        report = await client.sms.send_bulk(
            numbers(600),
            message="Hi",
            sender="SHOP",
            concurrency=256,
            batch_size=1,
            max_failures=1,  # throttling never counts toward it
        )
    assert (report.sent, report.failed, report.unknown, report.not_attempted) == (600, 0, 0, 0)
    assert report.stopped_reason is None
    fake.assert_no_duplicates()
    throttled = fake.fault_counts["throttle"]
    assert throttled > 0
    assert report.throttled == throttled
    assert report.requests == 600 + throttled == fake.request_count
    assert report.settled_rate is not None
    # The shared pacing keeps the refused requests well below the accepted ones
    # (a plain retry loop at this concurrency sends several refused requests per message).
    assert throttled < 600


@pytest.mark.usefixtures("instant_retries")
async def test_occasional_503s_do_not_pace_the_campaign(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.faults.fail_rate = 0.1
    report = await client.sms.send_bulk(
        numbers(300), message="Hi", sender="SHOP", batch_size=1, max_failures=1
    )
    assert report.sent == 300
    assert report.throttled == fake.fault_counts["unavailable"] > 0
    assert report.settled_rate is None  # a flaky backend, not a rate limiter


@pytest.mark.usefixtures("instant_retries")  # no pacing waits: the decisions are under test
async def test_pacer_seeds_halves_once_per_round_and_recovers() -> None:
    pacer = Pacer()
    tickets = [await pacer.acquire() for _ in range(100)]
    assert pacer.rate is None
    pacer.throttle(tickets[-1], None)
    # Nothing accepted yet: seeded at half the last second's request rate.
    assert pacer.rate == pytest.approx(50, abs=1)
    seeded = pacer.rate
    assert seeded is not None
    # Answers to requests sent before that decrease do not decrease again.
    for ticket in tickets:
        pacer.throttle(ticket, None)
    assert pacer.rate == seeded
    assert pacer.throttled == 101
    after = await pacer.acquire()
    pacer.throttle(after, None)
    # Still nothing accepted: the most a decrease cuts, half.
    assert pacer.rate == pytest.approx(seeded * 0.5, rel=0.01)
    assert pacer.settled_rate == pacer.rate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.usefixtures("instant_retries")
async def test_pacer_settles_just_under_what_the_server_accepts() -> None:
    """A limiter passing 300/s while the campaign asks for more: the rate goes to ~285."""
    clock = Clock()
    pacer = Pacer(clock=clock)
    for _ in range(300):  # one second: 600 asked, 300 accepted
        clock.now += 1 / 300
        await pacer.acquire()
        await pacer.acquire()
        pacer.accepted()
    pacer.throttle(await pacer.acquire(), None)
    assert pacer.rate == pytest.approx(285, rel=0.02)
    clock.now += 1.0  # a quiet second after the seed: slow start doubles the rate
    await pacer.acquire()
    assert pacer.rate == pytest.approx(285 * 2, rel=0.02)
    for _ in range(300):  # a second more at 300 accepted, then throttled again
        clock.now += 1 / 300
        pacer.accepted()
    pacer.throttle(await pacer.acquire(), None)
    # Back to just under the measured limit (between half and 90 % of 570).
    assert pacer.rate == pytest.approx(285, rel=0.02)
    for _ in range(285):  # after a decrease, a quiet second at that rate grows it (x1.25 at most)
        clock.now += 1 / 285
        await pacer.acquire()
    grown = pacer.rate
    assert grown is not None
    assert 285 * 1.05 < grown <= 285 * 1.25 * 1.01
    clock.now += 5.0  # idle seconds (nothing started): pacing does not bind, no growth
    await pacer.acquire()
    assert pacer.rate == grown


@pytest.mark.usefixtures("instant_retries")
async def test_pacer_seed_is_at_least_a_per_minute_limit() -> None:
    pacer = Pacer()
    pacer.throttle(await pacer.acquire(), {"X-RateLimit-Limit": "6000"})
    assert pacer.rate == 100  # 6,000 a minute
    other = Pacer()
    other.throttle(await other.acquire(), {"X-RateLimit-Limit": "not a number"})
    assert other.rate == 1.0


@pytest.mark.usefixtures("instant_retries")
async def test_pacer_tells_a_rate_limiter_from_a_flaky_backend() -> None:
    pacer = Pacer()
    for i in range(100):
        ticket = await pacer.acquire()
        if i % 10 == 0:
            assert not pacer.unavailable(ticket, None)
        else:
            pacer.accepted()
    assert pacer.rate is None
    busy = [pacer.unavailable(await pacer.acquire(), None) for _ in range(20)]
    assert any(busy)
    assert pacer.rate is not None


@pytest.mark.usefixtures("instant_retries")
async def test_pacing_stops_after_a_quiet_spell(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    monkeypatch.setattr(pacer_module, "RELEASE", 0.05)
    pacer = Pacer()
    pacer.throttle(await pacer.acquire(), None)
    assert pacer.rate is not None
    await anyio.sleep(0.1)
    await pacer.acquire()
    assert pacer.rate is None
    assert pacer.settled_rate is not None
