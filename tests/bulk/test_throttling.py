"""A throttled campaign slows down to what the server sustains and never gives up for it.

The pacer's own tests run on a fake clock whose sleep moves it (`Clock`): each
wait for a slot takes simulated time, so the rate, the slots and
``settled_rate`` are exact, not timed. `Limiter` stands in for nginx's
``limit_req`` (a leaky bucket with a burst, refusing the excess at once).
"""

from __future__ import annotations

import httpx
import pytest

from velstack_async import AsyncVelstack
from velstack_async._bulk.pacer import DECREASE, MIN_RATE, RELEASE, ROUND, STEP, Pacer
from velstack_async._retry import MAX_RETRY_AFTER
from velstack_async.testing import FakeVelstack

from .helpers import numbers

pytestmark = pytest.mark.anyio


class Clock:
    """Simulated time: `sleep` moves it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        #: Seconds each sleep wakes up late (a busy event loop).
        self.late = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.late


class Limiter:
    """nginx's ``limit_req`` with ``nodelay``: ``rate`` per second, ``burst`` more at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.excess = 0.0
        self.last: float | None = None

    def allows(self, now: float) -> bool:
        elapsed = 0.0 if self.last is None else now - self.last
        excess = max(0.0, self.excess - self.rate * elapsed) + 1
        if excess > self.burst + 1:
            return False
        self.excess, self.last = excess, now
        return True


async def next_round(pacer: Pacer, clock: Clock) -> None:
    """`ROUND` seconds of slots, each taken once free (pacing does not bind: no growth)."""
    rate = pacer.rate
    assert rate is not None
    for _ in range(int(rate * ROUND) + 1):
        clock.now += 1.01 / rate
        await pacer.acquire()


async def paced(rate: float) -> tuple[Pacer, float, Clock]:
    """A pacer on a fake clock, paced at about ``rate`` (returned exactly) after its slow
    start ended."""
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    per_minute = httpx.Headers({"X-RateLimit-Limit": str(rate / DECREASE * 60)})
    pacer.throttle(pacer.ticket() or 0, per_minute)  # seeded at rate / DECREASE
    await next_round(pacer, clock)
    pacer.throttle(await pacer.acquire(), None)  # the first decrease: slow start ends
    paced_at = pacer.rate
    assert paced_at is not None
    assert paced_at == pytest.approx(rate, rel=0.02)
    return pacer, paced_at, clock


async def test_a_429_decreases_the_rate_once_per_round() -> None:
    pacer, _r, clock = await paced(100.0)
    await next_round(pacer, clock)
    old = [await pacer.acquire() for _ in range(5)]
    before = pacer.rate
    assert before is not None
    pacer.throttle(old[0], None)
    assert pacer.rate == pytest.approx(before * DECREASE)
    # Answers to requests started before that decrease were asked at the old rate.
    for ticket in old[1:]:
        pacer.throttle(ticket, None)
    assert pacer.rate == pytest.approx(before * DECREASE)
    # Nor within `ROUND` of it (a fixed-window limiter refuses the rest of its window).
    ticket = await pacer.acquire()
    unchanged = pacer.rate
    pacer.throttle(ticket, None)
    assert pacer.rate == unchanged
    await next_round(pacer, clock)
    ticket = await pacer.acquire()
    before = pacer.rate
    assert before is not None
    pacer.throttle(ticket, None)
    assert pacer.rate == pytest.approx(before * DECREASE)
    assert pacer.throttled == 2 + 7


async def test_once_paced_a_503_decreases_the_rate_as_a_429_does() -> None:
    pacer, _r, _clock = await paced(100.0)
    for _ in range(2):
        for _ in range(120):  # a second of answers at the rate, no 503 among them
            await pacer.acquire()
            pacer.accepted()
        ticket = await pacer.acquire()
        before = pacer.rate
        assert before is not None
        assert pacer.unavailable(ticket, None) is True  # no other wait is due
        assert pacer.rate == pytest.approx(before * DECREASE, rel=0.02)
    # A 503 right after another, not one of a run: a flaky backend's, or of the same
    # round: the caller backs off, the rate stays.
    ticket = await pacer.acquire()
    before = pacer.rate
    assert pacer.unavailable(ticket, None) is False
    assert pacer.rate == before
    assert pacer.throttled == 2 + 3


async def test_requests_are_spaced_by_the_rate_and_it_grows_back_additively() -> None:
    pacer, _r, clock = await paced(100.0)
    await next_round(pacer, clock)
    pacer.throttle(await pacer.acquire(), None)  # a decrease: the step's unit
    base = pacer.rate
    assert base is not None
    start = clock.now
    for _ in range(200):  # every request waits for its slot: pacing binds
        await pacer.acquire()
    seconds = clock.now - start
    rate = pacer.rate
    assert rate is not None
    # Linear growth of STEP of the decreased rate per second, no more.
    assert rate == pytest.approx(base + STEP * base * seconds, rel=0.001)
    # The slots were spaced by the rate of their moment: between `base` and `rate` per second.
    assert 200 / rate <= seconds <= 200 / base


async def test_a_late_wake_up_keeps_the_schedule() -> None:
    """A busy event loop wakes each waiter 2 ms late: the slots still come at the rate
    (before, each late wake-up pushed every later slot back: 100/s became about 84/s)."""
    pacer, _r, clock = await paced(100.0)
    await next_round(pacer, clock)
    pacer.throttle(await pacer.acquire(), None)
    base = pacer.rate
    assert base is not None
    clock.late = 0.002
    start = clock.now
    for _ in range(500):
        await pacer.acquire()
    assert clock.now - start <= 500 / base


async def test_no_growth_while_requests_do_not_use_the_rate() -> None:
    pacer, r, clock = await paced(100.0)
    for _ in range(20):
        clock.now += 1.0  # one request a second: never waits for its slot
        await pacer.acquire()
    assert pacer.rate == r


async def test_retry_after_holds_every_slot_until_it() -> None:
    pacer, _r, clock = await paced(100.0)
    await next_round(pacer, clock)
    throttled_at = clock.now
    headers = httpx.Headers({"Retry-After": "3"})
    ticket = await pacer.acquire()
    before = pacer.rate
    assert before is not None
    pacer.throttle(ticket, headers)
    await pacer.acquire()
    assert clock.now >= throttled_at + 3
    assert pacer.rate == pytest.approx(before * DECREASE)  # and no growth over the pause
    # A Retry-After beyond the ceiling is held to it.
    pacer.throttle(await pacer.acquire(), httpx.Headers({"Retry-After": "86400"}))
    before = clock.now
    await pacer.acquire()
    assert clock.now - before == pytest.approx(MAX_RETRY_AFTER, abs=0.1)


async def test_refused_forever_it_paces_down_and_never_gives_up() -> None:
    """A server that refuses everything: the rate floors, tickets keep coming."""
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for i in range(400):
        ticket = await pacer.acquire()
        if i % 2:
            pacer.throttle(ticket, None)
        else:
            pacer.unavailable(ticket, None)
    assert pacer.throttled == 400
    # Down near the floor (each slot grows it a little, each refusal cuts it).
    rate = pacer.rate
    assert rate is not None
    assert MIN_RATE <= rate < 2 * MIN_RATE
    before = clock.now
    await pacer.acquire()  # still a ticket, one slot later
    assert clock.now - before == pytest.approx(1 / rate)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # simulated time: one loop is enough
@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("concurrency", [32, 64])
async def test_settles_just_under_a_limiter_and_reports_what_it_sustained(
    status: int, concurrency: int
) -> None:
    """nginx's limit_req at 300/s, burst 20, refusing without Retry-After, for a simulated
    minute: at least 0.95 of the limit accepted, at most 1 % refused, and ``settled_rate``
    is the accepted rate of the last seconds (not the paced rate).

    ``concurrency`` requests start unpaced at once (the first burst of a campaign)."""
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    limiter = Limiter(300, 20)
    accepted: list[float] = []
    refused = 0
    start = clock.now
    burst = [pacer.ticket() for _ in range(concurrency)]  # started together, unpaced
    for ticket in burst:
        assert ticket is not None
        if limiter.allows(clock.now):
            accepted.append(clock.now)
            pacer.accepted()
        else:
            refused += 1
            pacer.throttle(ticket, None) if status == 429 else pacer.unavailable(ticket, None)
    while clock.now - start < 60:
        ticket = await pacer.acquire()
        if limiter.allows(clock.now):
            accepted.append(clock.now)
            pacer.accepted()
        elif status == 429:
            refused += 1
            pacer.throttle(ticket, None)
        else:
            refused += 1
            if not pacer.unavailable(ticket, None):
                clock.now += 0.1  # a backoff
    assert len(accepted) / (clock.now - start) >= 0.95 * 300
    assert refused <= 0.01 * (len(accepted) + refused)
    assert pacer.throttled == refused
    sustained = len([t for t in accepted if t > clock.now - 5]) / 5
    assert pacer.settled_rate == pytest.approx(sustained, rel=0.02)
    assert pacer.settled_rate == pytest.approx(300, rel=0.03)


async def test_the_seed_is_what_was_accepted_or_a_per_minute_limit() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _ in range(200):  # a second of 200 accepted answers
        clock.now += 1 / 200
        pacer.ticket()
        pacer.accepted()
    pacer.throttle(pacer.ticket() or 0, None)
    assert pacer.rate == pytest.approx(200, rel=0.02)
    other = Pacer(clock=clock, sleep=clock.sleep)
    other.throttle(other.ticket() or 0, httpx.Headers({"X-RateLimit-Limit": "60000"}))
    assert other.rate == 1000  # Laravel's limit is per minute
    unusable = Pacer(clock=clock, sleep=clock.sleep)
    unusable.throttle(unusable.ticket() or 0, httpx.Headers({"X-RateLimit-Limit": "lots"}))
    assert unusable.rate == 0.5  # half the one request started


async def test_pacing_stops_after_a_quiet_spell_and_keeps_its_settled_rate() -> None:
    pacer, r, clock = await paced(50.0)
    assert pacer.settled_rate == r  # nothing accepted since pacing began: the rate
    for _ in range(100):
        await pacer.acquire()
        pacer.accepted()
    settled = pacer.settled_rate
    assert settled == pytest.approx(r * (1 + STEP), rel=0.05)
    clock.now += RELEASE + 1
    assert pacer.ticket() is not None  # unpaced: no wait
    assert pacer.rate is None
    assert pacer.settled_rate == settled


async def test_never_throttled_no_settled_rate() -> None:
    pacer = Pacer()
    for _ in range(10):
        await pacer.acquire()
        pacer.accepted()
    assert pacer.rate is None
    assert pacer.settled_rate is None


async def test_occasional_503s_do_not_start_pacing() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for i in range(100):
        ticket = await pacer.acquire()
        if i % 10 == 0:
            assert pacer.unavailable(ticket, None) is False  # back off, as for any 503
        else:
            pacer.accepted()
    assert pacer.rate is None
    busy = [pacer.unavailable(await pacer.acquire(), None) for _ in range(20)]
    assert any(busy)  # a run of them is a rate limiter
    assert pacer.rate is not None


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
