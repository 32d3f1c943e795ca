"""The campaign's request rate under throttling: a plain AIMD over one rate.

The start window, as TCP's: at first at most `START_WINDOW` requests are out
(tickets granted, not yet answered: 429/503 or accepted), one more per accepted
answer (doubling per round trip), for `START` seconds; once past the
concurrency it holds nothing back. So a limiter meets a few dozen requests,
not ``concurrency`` of them at once. The first throttle answer ends it (the
seed below). A request that ends otherwise (a failure, a split) keeps its
place in the window until `START`.

Unpaced until the first 429, or a run of 503s (at least `BUSY_SHARE` of the
last `WINDOW` answers: a rate limiter answering 503, not a flaky backend's
occasional one). Then requests start at most ``rate`` per second across all
workers, spaced, and the rate moves by throttle answers:

- seed: what the server accepted over the last second (a rate limiter lets its
  rate through), at least half the rate requests started at (a limiter's first
  burst is no rate) and ``X-RateLimit-Limit`` per minute when it is sent
  (Laravel's throttle counts per minute); then the rate doubles every second
  (slow start) until the first decrease;
- decrease: a throttle answer (429, or a 503 of a run or once paced) sets the
  rate to `DECREASE` of itself, or of the rate accepted over the last second
  when that is lower (slow start overshoots, limits change). Once per round:
  answers to requests started before the decrease were asked at the old rate,
  and a fixed-window limiter refuses the rest of its window at any rate, so
  neither they nor the next `ROUND` seconds of slots decrease again;
- increase: `STEP` of the rate set at the last decrease, per second, while
  pacing binds (requests wait for their slot) and requests keep up (at most
  `CEILING` times the accepted rate). So the rate probes just past the limit
  every few seconds and spends the time between just under it;
- ``Retry-After`` (at most `MAX_RETRY_AFTER`): no slot before it (the
  requester's `PauseGate` also holds every request already past the pacer);
- `RELEASE` seconds without a throttle answer: unpaced again.

Throttling is never a failure: it only moves this rate. `settled_rate` is the
rate sustained while paced: accepted answers per second over the last
`SETTLE` seconds of pacing. `is_testing` (``set_testing``) skips every wait.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import anyio

from .._retry import MAX_RETRY_AFTER, is_testing, parse_retry_after

__all__ = ["Pacer"]

#: Requests out (tickets granted, not yet answered) before answers come back.
START_WINDOW = 32
#: Seconds the start window lasts at most.
START = 1.0
#: The rate never drops below this many requests per second.
MIN_RATE = 0.2
#: A decrease keeps this share of the rate.
DECREASE = 0.95
#: Seconds of slots after a decrease whose throttle answers do not decrease again.
ROUND = 0.5
#: The additive increase per second, as a share of the rate set at the last decrease.
STEP = 0.02
#: The growth per second from the seed until the first decrease.
SLOW_START = 2.0
#: Growth stops at this multiple of the rate accepted over the last second.
CEILING = 1.5
#: Answers remembered, and the share of 503s among them that starts pacing.
WINDOW = 32
BUSY_SHARE = 0.3
#: Seconds without a throttle answer after which pacing stops.
RELEASE = 30.0
#: Seconds of accepted answers that `settled_rate` measures.
SETTLE = 5.0
_BUCKET = 0.1
_SLACK = 0.02


class Pacer:
    """Shared by every worker of one campaign; `acquire` before each request."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = anyio.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = anyio.Lock()
        #: Requests per second, or None while unpaced.
        self._rate: float | None = None
        self._slow_start = False
        self._base = 0.0  # the rate set at the last decrease (the additive step's unit)
        self._next = self._updated = self._last_throttle = self._paced_since = 0.0
        self._last_accepted = self._started = 0.0
        self._tickets = 0
        #: The start window (None once over), answers while it lasts, its waiters' event.
        self._window: int | None = START_WINDOW
        self._answered = 0
        self._opened: anyio.Event | None = None
        self._floor = 0  # a throttled ticket up to this one does not decrease again
        #: Accepted answers per `_BUCKET` of time, [bucket, count], over the last `SETTLE` s.
        self._accepted: deque[list[int]] = deque()
        self._answers: deque[bool] = deque(maxlen=WINDOW)  # True: a 503
        self._settled: float | None = None
        #: Throttle answers met (429, and 503).
        self.throttled = 0

    @property
    def rate(self) -> float | None:
        """The current rate (requests/s), None while unpaced."""
        return self._rate

    @property
    def settled_rate(self) -> float | None:
        """Requests/s the server accepted over the last `SETTLE` s of pacing; None if never."""
        if self._rate is None:
            return self._settled
        end = self._last_accepted
        count, seconds = self._accepted_since(
            math.ceil(max(end - SETTLE, self._paced_since) / _BUCKET), end
        )
        if seconds < 1.0:  # too little to measure yet
            return self._settled or self._rate
        return count / seconds

    def ticket(self) -> int | None:
        """The next ticket at once while unpaced (no wait); None: `acquire` it."""
        now = self._clock()
        if not self._tickets:
            self._started = now
        elif self._window is not None and now - self._started >= START:
            self._end_start()
        if self._window is not None:
            if self._tickets - self._answered >= self._window:
                return None
        elif self._rate is not None:
            if now - self._last_throttle <= RELEASE:
                return None
            self._settled, self._rate = self.settled_rate, None
        self._tickets += 1
        return self._tickets

    async def acquire(self) -> int:
        """Wait for the next request slot; return its ticket (pass it to `throttle`)."""
        ticket = self.ticket()
        if ticket is not None:
            return ticket
        async with self._lock:
            while self._window is not None:  # full: wait for an answer (or `START`)
                if (ticket := self.ticket()) is not None:
                    return ticket
                opened = self._opened = self._opened or anyio.Event()
                with anyio.move_on_after(self._started + START - self._clock()):
                    await opened.wait()
            waited = False
            while (rate := self._rate) is not None:
                now = self._clock()
                if self._next <= now or is_testing():
                    if waited or self._next > now:  # pacing binds: grow
                        rate = self._rate = self._grown(rate, now)
                    self._updated = now
                    # A late wake-up (a busy loop) keeps the schedule, within `_SLACK`.
                    self._next = max(self._next, now - _SLACK) + 1.0 / rate
                    break
                waited = True
                await self._sleep(min(self._next - now, 0.1))
        self._tickets += 1
        return self._tickets

    def _grown(self, rate: float, now: float) -> float:
        elapsed = max(0.0, now - self._updated)
        if self._slow_start:
            grown = rate * math.pow(SLOW_START, elapsed)
        else:
            grown = rate + STEP * self._base * elapsed
        # Only while requests keep up: not past `CEILING` times what was accepted.
        accepted = self._accepted_rate(now)
        return min(grown, max(rate, CEILING * accepted)) if accepted else grown

    def _end_start(self) -> None:
        self._window = None
        self._wake()

    def _wake(self) -> None:
        """Wake the request waiting for the start window."""
        if self._opened is not None:
            self._opened.set()
            self._opened = None

    def accepted(self) -> None:
        """A request was answered (not throttled)."""
        if self._window is not None:  # its slot is free, and one more: doubling per round trip
            self._window += 1
            self._answered += 1
            self._wake()
        self._answers.append(False)
        now = self._last_accepted = self._clock()
        bucket = int(now / _BUCKET)
        accepted = self._accepted
        if accepted and accepted[-1][0] == bucket:
            accepted[-1][1] += 1
        else:
            accepted.append([bucket, 1])
            while bucket - accepted[0][0] > SETTLE / _BUCKET:
                accepted.popleft()

    def unavailable(self, ticket: int, headers: Mapping[str, str] | None) -> bool:
        """A 503 answered the request with ``ticket``; True if it counts as throttling (the
        pacer slows down, no other wait is due): one of a run (a rate limiter), or while
        paced the only one in the last `WINDOW` answers (a limiter's probe answer; a
        flaky backend's 503s, as they come, would cut the rate to nothing)."""
        answers = self._answers
        answers.append(True)
        busy = answers.count(True)
        if (len(answers) >= WINDOW // 4 and busy >= BUSY_SHARE * len(answers)) or (
            busy == 1 and self._rate is not None
        ):
            self.throttle(ticket, headers)
            return True
        self.throttled += 1
        if self._window is not None:  # its slot is free; the window stays
            self._answered += 1
            self._wake()
        return False

    def throttle(self, ticket: int, headers: Mapping[str, str] | None) -> None:
        """A request with ``ticket`` was throttled (429): slow down, once per round."""
        self.throttled += 1
        if self._window is not None:  # the start ends: pacing seeds from what it saw
            self._end_start()
        now = self._last_throttle = self._clock()
        if ticket > self._floor:
            self._decrease(now, headers)
        pause = parse_retry_after(headers.get("retry-after")) if headers else None
        if pause:  # no slot (nor growth) before it
            self._next = self._updated = max(self._next, now + min(pause, MAX_RETRY_AFTER))

    def _decrease(self, now: float, headers: Mapping[str, str] | None) -> None:
        measured = self._accepted_rate(now)
        if self._rate is None:
            # At least half the rate requests started at (a limiter's first burst is no rate).
            rate = max(measured, self._tickets / max(now - self._started, 1.0) / 2)
            limit = _per_minute(headers)
            if limit is not None:
                rate = max(rate, limit / 60)
            self._slow_start, self._paced_since = True, now
        else:  # not above what was accepted: slow start overshoots, limits change
            rate = DECREASE * min(self._rate, measured or self._rate)
            self._slow_start = False
        self._rate = self._base = max(MIN_RATE, rate)
        # Once per round: requests started before this were asked at the old rate, and
        # a fixed-window limiter refuses the rest of its window at any rate.
        self._floor = self._tickets + int(self._rate * ROUND)
        self._updated = now
        self._next = max(self._next, now + 1.0 / self._rate)

    def _accepted_rate(self, now: float) -> float:
        """Accepted answers per second over the last second (half a second at least)."""
        count, seconds = self._accepted_since(int(now / _BUCKET) - 9, now)
        return count / max(seconds, 0.5) if count else 0.0

    def _accepted_since(self, bucket: int, end: float) -> tuple[int, float]:
        """Answers accepted from the start of ``bucket`` (or the first kept) to ``end``."""
        if self._accepted:
            bucket = max(bucket, self._accepted[0][0])
        return sum(n for b, n in self._accepted if b >= bucket), end - bucket * _BUCKET


def _per_minute(headers: Mapping[str, str] | None) -> float | None:
    """``X-RateLimit-Limit`` (Laravel's throttle: requests per minute), if usable."""
    try:
        limit = float(headers.get("x-ratelimit-limit", "")) if headers else 0.0
    except ValueError:
        return None
    return limit if limit >= 1 else None
