"""Simulated time for the pacer's tests: a clock whose sleep moves it, nginx's
``limit_req``, and a campaign's workers sending through a pacer with a round trip."""

from __future__ import annotations

import heapq

from velstack_async._bulk.pacer import Pacer

__all__ = ["Clock", "Limiter", "Network"]


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


class Network:
    """``workers`` workers sending through one pacer, on simulated time: each answer comes
    ``rtt`` seconds after its request (refused when ``limiter`` says so, with ``status``),
    and the pacer's sleeps deliver the answers due meanwhile. A 503 the pacer does not take
    as throttling is backed off 0.1 s."""

    def __init__(self, workers: int, rtt: float, limiter: Limiter | None, status: int = 429):
        self.clock = Clock()
        self.pacer = Pacer(clock=self.clock, sleep=self.sleep)
        self.free, self.rtt, self.limiter, self.status = workers, rtt, limiter, status
        #: Heap of (due, ticket, accepted): answers to come; ticket 0: a backoff's end.
        self.due: list[tuple[float, int, bool]] = []
        self.in_flight = self.most_in_flight = 0
        self.accepted: list[float] = []
        self.refused = 0

    def send(self, ticket: int) -> None:
        now = self.clock.now
        ok = self.limiter is None or self.limiter.allows(now)
        heapq.heappush(self.due, (now + self.rtt, ticket, ok))
        self.free -= 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def answer(self) -> None:
        due, ticket, ok = heapq.heappop(self.due)
        self.clock.now = max(self.clock.now, due)
        self.free += 1
        if not ticket:
            return
        self.in_flight -= 1
        if ok:
            self.accepted.append(self.clock.now)
            self.pacer.accepted()
            return
        self.refused += 1
        if self.status == 429:
            self.pacer.throttle(ticket, None)
        elif not self.pacer.unavailable(ticket, None):
            self.free -= 1
            heapq.heappush(self.due, (self.clock.now + 0.1, 0, False))

    async def sleep(self, seconds: float) -> None:
        until = self.clock.now + seconds
        while self.due and self.due[0][0] <= until:
            self.answer()
        self.clock.now = until

    async def run(self, seconds: float) -> None:
        """Every free worker sends as soon as the pacer lets it, for ``seconds``."""
        end = self.clock.now + seconds
        while self.clock.now < end:
            while self.free and (ticket := self.pacer.ticket()) is not None:
                self.send(ticket)
            if self.free and self.pacer.rate is not None:
                self.send(await self.pacer.acquire())  # its wait delivers the answers due
            elif self.due[0][0] > end:
                self.clock.now = end
            else:  # every worker is busy, or the start window is full
                self.answer()
