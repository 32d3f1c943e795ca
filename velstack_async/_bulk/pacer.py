"""The request rate: fixed limits (`RateLimiter`) and, under throttling, AIMD over one rate.

Start window: `START_WINDOW` requests, one more per accepted answer, until a throttle or
`START` s. Paced from a 429 or a run of 503s (`BUSY_SHARE` of the last `WINDOW`): ``rate``
requests/s over all workers, spaced; seeded from the rate accepted over the last second (and
``X-RateLimit-Limit``), doubling per second until a decrease. Each 429, and once paced each
503 of a run or after a quiet spell (no other 503 in `WINDOW` answers and `QUIET` s; scattered
503s are backed off, never paced): `DECREASE` of the rate (or of the accepted rate, never below
half the rate), once per `ROUND`; then `STEP` more per second while requests wait.
``Retry-After``: no slot before it; `RELEASE` s without a throttle: unpaced. Throttling never
fails a request. `settled_rate`: accepted per second over the last `SETTLE` s of pacing.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import anyio

from .._retry import MAX_RETRY_AFTER, is_testing, parse_retry_after

__all__ = ["Pacer", "RateLimiter"]

START_WINDOW = 32
START = 1.0
MIN_RATE = 0.2
DECREASE = 0.95
ROUND = 0.5
STEP = 0.02
SLOW_START = 2.0
WINDOW = 32
BUSY_SHARE = 0.3
QUIET = 1.0
RELEASE = 30.0
SETTLE = 5.0
_MARK = 0.1  # the accepted count is marked at most this often
_SLACK = 0.02  # a late wake-up keeps the schedule within this many seconds

Headers = Mapping[str, str] | None


class RateLimiter:
    """A fixed limit: at most ``rate`` units (messages or requests) per second over all
    workers, spaced. After an idle spell the schedule restarts from now (no burst)."""

    __slots__ = ("_interval", "_next")

    def __init__(self, rate: float) -> None:
        self._interval, self._next = 1.0 / rate, 0.0

    async def acquire(self, n: int = 1) -> None:
        now = anyio.current_time()
        slot = max(self._next, now)
        self._next = slot + self._interval * n
        if slot > now:
            await anyio.sleep(slot - now)


class Pacer:
    """Shared by every worker of one campaign: `ticket` or `acquire` before each request."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = anyio.sleep,
    ) -> None:
        self._clock, self._sleep, self._lock = clock, sleep, anyio.Lock()
        self.rate: float | None = None  # requests per second; None while unpaced
        self.throttled = 0  # throttle answers met (429 and 503)
        self._base = 0.0  # the rate set at the last decrease; 0: slow start
        self._next = self._updated = self._last_throttle = self._paced_since = 0.0
        self._last_503 = -math.inf
        self._started = self._last_accepted = 0.0
        self._tickets = self._floor = 0
        self._room: int | None = START_WINDOW  # tickets the start window still grants
        self._opened: anyio.Event | None = None
        self._accepted = 0  # answers accepted, marked (time, count) for the rates below
        self._marks = deque([(-math.inf, 0)], maxlen=int(SETTLE / _MARK) + 1)
        self._answers: deque[bool] = deque(maxlen=WINDOW)  # True: a 503
        self._settled: float | None = None

    @property
    def settled_rate(self) -> float | None:
        """Requests/s accepted over the last `SETTLE` s of pacing; None if never paced."""
        if self.rate is None:
            return self._settled
        end = self._last_accepted
        count, seconds = self._accepted_since(max(end - SETTLE, self._paced_since), end)
        return count / seconds if seconds >= 1.0 else self._settled or self.rate

    def ticket(self) -> int | None:
        """The next ticket at once (unpaced, room in the start window); None: `acquire` it."""
        now = self._clock()
        if not self._tickets:
            self._started = now
        elif self._room is not None and now - self._started >= START:
            self._open(None)
        if self._room is not None:
            if self._room <= 0:
                return None
            self._room -= 1
        elif self.rate is not None:
            if now - self._last_throttle <= RELEASE:
                return None
            self._settled, self.rate = self.settled_rate, None
        self._tickets += 1
        return self._tickets

    async def acquire(self) -> int:
        """Wait for the next request slot; return its ticket (for `throttle`, `unavailable`)."""
        async with self._lock:
            while (ticket := self.ticket()) is None and self._room is not None:
                opened = self._opened = self._opened or anyio.Event()  # the window is full
                with anyio.move_on_after(self._started + START - self._clock()):
                    await opened.wait()
            if ticket is not None:
                return ticket
            waited = False
            while (rate := self.rate) is not None:
                now = self._clock()
                if self._next <= now or is_testing():
                    if waited or self._next > now:  # pacing binds: grow
                        elapsed = max(0.0, now - self._updated)
                        step = STEP * self._base * elapsed  # additive; doubling per s before
                        rate = self.rate = rate + step if self._base else rate * SLOW_START**elapsed
                    self._updated = now
                    self._next = max(self._next, now - _SLACK) + 1.0 / rate
                    break
                waited = True
                await self._sleep(min(self._next - now, 0.1))
        self._tickets += 1
        return self._tickets

    def accepted(self) -> None:
        """A request was answered, not throttled."""
        self._open(2)  # its place, and one more: the start window doubles per round trip
        self._answers.append(False)
        now = self._last_accepted = self._clock()
        if now - self._marks[-1][0] >= _MARK:
            self._marks.append((now, self._accepted))  # the count before this answer
        self._accepted += 1

    def unavailable(self, ticket: int, headers: Headers) -> bool:
        """A 503 answered ``ticket``. True: it throttles, as a 429 (one of a run, or the only
        one of the last `WINDOW` answers and `QUIET` s once paced); False: the caller backs off."""
        self._answers.append(True)
        busy, seen = self._answers.count(True), len(self._answers)
        now = self._clock()
        quiet, self._last_503 = busy == 1 and now - self._last_503 >= QUIET, now
        if (seen >= WINDOW // 4 and busy >= BUSY_SHARE * seen) or (quiet and self.rate):
            self.throttle(ticket, headers)
            return True
        self.throttled += 1
        self._open(1)
        return False

    def throttle(self, ticket: int, headers: Headers) -> None:
        """A 429 answered ``ticket``: slow down (once per round), honour ``Retry-After``."""
        self.throttled += 1
        self._open(None)
        now = self._last_throttle = self._clock()
        if ticket > self._floor:
            count, seconds = self._accepted_since(now - 1.0, now)  # the last second
            measured = count / max(seconds, 0.5) if count else 0.0
            if self.rate is None:  # the seed
                rate = max(MIN_RATE, measured, self._tickets / max(now - self._started, 1.0) / 2)
                with contextlib.suppress(ValueError):  # Laravel's throttle counts per minute
                    rate = max(rate, float((headers or {}).get("x-ratelimit-limit", 0)) / 60)
                self.rate, self._base, self._paced_since = rate, 0.0, now
            else:
                # not above the accepted rate, nor below half the rate (a latency spike)
                lower = DECREASE * max(min(self.rate, measured or self.rate), self.rate / 2)
                self.rate = self._base = max(MIN_RATE, lower)
            self._floor = self._tickets + int(self.rate * ROUND)
            self._updated = now
            self._next = max(self._next, now + 1.0 / self.rate)
        pause = parse_retry_after(headers.get("retry-after")) if headers else None
        if pause:
            self._next = self._updated = max(self._next, now + min(pause, MAX_RETRY_AFTER))

    def _open(self, more: int | None) -> None:
        """``more`` room in the start window (None: the window ends); wake its waiter."""
        if self._room is not None:
            self._room = None if more is None else self._room + more
            if self._opened is not None:
                self._opened.set()
                self._opened = None

    def _accepted_since(self, since: float, end: float) -> tuple[int, float]:
        """Answers accepted from the first mark at or after ``since`` to ``end``; the seconds."""
        at, count = next((m for m in self._marks if m[0] >= since), (end, self._accepted))
        return self._accepted - count, end - at
