"""A throttled campaign slows down to what the server sustains and never gives up for it.

The pacer's own tests run on a fake clock whose sleep moves it (`Clock`): each
wait for a slot takes simulated time, so the rate, the slots and
``settled_rate`` are exact, not timed. `Limiter` stands in for nginx's
``limit_req``; `Network` runs a campaign's workers through a pacer on that
clock, each answer a round trip after its request (``simulation``).
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack
from velstack_async._bulk.pacer import (
    DECREASE,
    MIN_RATE,
    RELEASE,
    ROUND,
    START,
    START_WINDOW,
    STEP,
    Pacer,
)
from velstack_async._retry import MAX_RETRY_AFTER
from velstack_async.testing import FakeVelstack

from .helpers import numbers
from .simulation import Clock, Limiter, Network

pytestmark = pytest.mark.anyio


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


async def test_once_paced_a_flaky_backends_scattered_503s_do_not_wear_the_rate_down() -> None:
    """One answer in ten a 503, at random, for a minute of pacing: each is backed off, none
    decreases the rate (a 503 after another within `QUIET` s is no limiter's edge). Before,
    each lone one of 32 answers cut it: it wore down to about 30 requests/s."""
    import random

    pacer, rate, clock = await paced(100.0)
    started = clock.now
    flaky = random.Random(7)
    decreases = 0
    for _ in range(6000):  # about a minute at the rate
        ticket = await pacer.acquire()
        if flaky.random() < 0.1:
            before = pacer.rate
            if pacer.unavailable(ticket, None):
                decreases += int(pacer.rate != before)
        else:
            pacer.accepted()
    assert decreases <= 2
    # It grew while requests waited, then, `RELEASE` s without a throttle, stopped pacing.
    assert pacer.rate is None
    assert clock.now - started <= 6000 / rate, clock.now - started


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
@pytest.mark.parametrize("concurrency", [32, 64, 256])
@pytest.mark.parametrize("rtt", [0.005, 0.05])
async def test_settles_just_under_a_limiter_and_reports_what_it_sustained(
    status: int, concurrency: int, rtt: float
) -> None:
    """nginx's limit_req at 300/s, burst 20, refusing without Retry-After, for a simulated
    minute from a campaign's start: at least 0.95 of the limit accepted, at most 1 % refused,
    and ``settled_rate`` is the accepted rate of the last seconds (not the paced rate).

    Before the start window, all ``concurrency`` requests left at once: at 256, 235 of them
    were refused (1.3 % of the minute's requests) before the first answer came back."""
    network = Network(concurrency, rtt, Limiter(300, 20), status)
    pacer = network.pacer
    start = network.clock.now
    await network.run(60)
    accepted, refused = network.accepted, network.refused
    assert len(accepted) / (network.clock.now - start) >= 0.95 * 300
    assert refused <= 0.01 * (len(accepted) + refused)
    assert pacer.throttled == refused
    sustained = len([t for t in accepted if t > network.clock.now - 5]) / 5
    assert pacer.settled_rate == pytest.approx(sustained, rel=0.02)
    assert pacer.settled_rate == pytest.approx(300, rel=0.03)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("rtt", [0.001, 0.05])
async def test_unthrottled_the_start_window_opens_in_a_few_round_trips(rtt: float) -> None:
    """The window doubles per round trip: 256 requests in flight after 4 of them, and it
    holds nothing back after (nor once `START` has gone by)."""
    network = Network(256, rtt, None)
    await network.run(rtt / 2)
    assert network.in_flight == START_WINDOW  # before any answer
    await network.run(4 * rtt)
    assert network.most_in_flight == network.in_flight == 256
    await network.run(START)
    assert network.in_flight == 256
    assert network.pacer.rate is None
    assert network.pacer.throttled == 0


async def test_a_request_past_the_start_window_waits_for_an_answer() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    out = [pacer.ticket() for _ in range(START_WINDOW)]
    assert None not in out
    assert pacer.ticket() is None
    waited: list[int] = []

    async def request() -> None:
        waited.append(await pacer.acquire())

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        assert waited == []
        pacer.accepted()  # a slot free, and the window one larger
        await anyio.wait_all_tasks_blocked()
        assert waited == [START_WINDOW + 1, START_WINDOW + 2]
        pacer.throttle(START_WINDOW, None)  # a refusal ends the start: paced from the seed
        assert pacer.rate is not None
    assert waited[2] == START_WINDOW + 3
    # A second on, without a refusal, the start is over: no window.
    other = Pacer(clock=clock, sleep=clock.sleep)
    assert None not in [other.ticket() for _ in range(START_WINDOW)]
    assert other.ticket() is None
    clock.now += START
    assert other.ticket() is not None


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
