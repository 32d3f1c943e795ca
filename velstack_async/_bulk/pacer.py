"""The campaign's adaptive request rate: slow down when Velstack throttles, speed up after.

Unpaced until the first 429 (or a run of 503s: at least `BUSY_SHARE` of the
last `WINDOW` answers, as a rate limiter answering 503 gives, unlike a flaky
backend's occasional one). Then requests start at most ``rate`` per second
across all workers. A rate limiter lets through what it sustains, so what the
server *accepted* over the last `MEASURE` second, while the campaign asked for
more, estimates its limit:

- a throttle answer to a request started after the last decrease sets the
  rate just under that estimate (`_MARGIN`), cutting by 10 % to 50 % (the
  first one seeds it: at least ``X-RateLimit-Limit`` per minute when the
  server sends it, as Laravel's throttle counts per minute; half the last
  second's request rate when nothing was accepted yet);
- every second without one multiplies the rate by `_GROWTH` (by `_START_GROWTH`
  until the first decrease after the seed, as TCP's slow start), so a low
  seed or a short burst of 429s costs seconds, not the rest of the campaign
  (never past twice the rate requests really start at, so a campaign that
  cannot go faster does not build up a rate it would overshoot with);
- after `RELEASE` seconds without a throttle answer the campaign runs
  unpaced again (the next throttle seeds a new rate).

Throttling is never a failure: it only moves this rate. `is_testing` (the
``set_testing`` switch) skips every pacing wait, as it skips backoff.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

import anyio

from .._retry import is_testing

__all__ = ["Pacer"]

#: The rate never drops below this many requests per second.
MIN_RATE = 0.2
#: Answers remembered to tell a rate limiter's 503s from occasional ones.
WINDOW = 32
#: The share of 503s among the last `WINDOW` answers that counts as throttling.
BUSY_SHARE = 0.3
#: Seconds without a throttle answer after which pacing stops.
RELEASE = 10.0
#: Seconds of accepted answers the rate estimate is measured over.
MEASURE = 1.0
_BUCKET = 0.1
#: A decrease keeps at most this share of the rate, and at least `_MOST_CUT`.
_LEAST_CUT = 0.9
_MOST_CUT = 0.5
#: Pace just under the measured accepted rate.
_MARGIN = 0.95
#: The first rate without any accepted answer: this share of the last second's requests.
_SEED = 0.5
#: The rate's growth per second without a throttle answer.
_GROWTH = 1.25
#: The growth from the seed until the first decrease: a seed measured in the
#: campaign's first fraction of a second is often far below the limit.
_START_GROWTH = 2.0


class Pacer:
    """Shared by every worker of one campaign; `acquire` before each request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: float | None = None
        #: Accepted answers per `_BUCKET` of time, [bucket number, count], the last `MEASURE` s.
        self._accepted: deque[list[int]] = deque()
        self._lock = anyio.Lock()
        #: Growing from a seed, not yet decreased since.
        self._starting = False
        #: Requests per second, or None while unpaced.
        self._rate: float | None = None
        self._next = 0.0
        self._updated = 0.0
        self._last_throttle = 0.0
        #: Request starts in the previous and the current second: [second, previous, current].
        self._recent = [0, 0, 0]
        self._answers: deque[bool] = deque(maxlen=WINDOW)
        self._busy = 0
        self._tickets = 0
        #: A throttle answer to a request with a ticket up to this does not decrease again.
        self._floor_ticket = 0
        #: Throttle answers met (429, and 503).
        self.throttled = 0
        #: The last rate the campaign was paced at (requests/s), None if never.
        self.settled_rate: float | None = None

    @property
    def rate(self) -> float | None:
        """The current rate (requests/s), None while unpaced."""
        return self._rate

    async def acquire(self) -> int:
        """Wait for the next request slot; return its ticket (pass it to `throttle`).

        Paced, one waiter at a time takes the next slot, spaced by the rate of
        that moment: a change of rate applies to the very next request, not
        after slots booked at the old rate.
        """
        ticket = self.ticket()
        if ticket is not None:
            return ticket
        async with self._lock:
            while (rate := self._grow(self._clock())) is not None:
                now = self._clock()
                if self._next <= now or is_testing():
                    self._next = max(self._next, now) + 1.0 / rate
                    break
                await anyio.sleep(min(self._next - now, 0.1))
        self._count_start(self._clock())
        self._tickets += 1
        return self._tickets

    def ticket(self) -> int | None:
        """The next ticket at once while unpaced (no wait); None: `acquire` it."""
        now = self._clock()
        if self._started is None:
            self._started = now
        if self._rate is not None:
            if now - self._last_throttle <= RELEASE:
                return None
            self._rate = None
        self._count_start(now)
        self._tickets += 1
        return self._tickets

    def _grow(self, now: float) -> float | None:
        """The paced rate at ``now``, grown since the last update (None: unpaced)."""
        rate = self._rate
        if rate is not None and now > self._updated:
            growth = _START_GROWTH if self._starting else _GROWTH
            grown = rate * growth ** (now - self._updated)
            # Grow only while pacing binds: never past twice the rate requests start at.
            rate = self._rate = max(rate, min(grown, 2 * self._last_second(now)))
            self._updated = now
            self.settled_rate = rate
        return rate

    def accepted(self) -> None:
        """A request was answered (not throttled)."""
        self._answer(False)
        bucket = int(self._clock() / _BUCKET)
        accepted = self._accepted
        if accepted and accepted[-1][0] == bucket:
            accepted[-1][1] += 1
        else:
            accepted.append([bucket, 1])
            while bucket - accepted[0][0] >= MEASURE / _BUCKET:
                accepted.popleft()

    def unavailable(self, ticket: int, headers: Mapping[str, str] | None) -> bool:
        """A 503 answered the request with ``ticket``; True if it counts as throttling."""
        self.throttled += 1
        self._answer(True)
        answers = len(self._answers)
        if answers >= WINDOW // 4 and self._busy >= BUSY_SHARE * answers:
            self.throttle(ticket, headers, counted=True)
            return True
        return False

    def throttle(
        self, ticket: int, headers: Mapping[str, str] | None, *, counted: bool = False
    ) -> None:
        """A request with ``ticket`` was throttled (429): slow down, once per round."""
        if not counted:
            self.throttled += 1
        now = self._clock()
        self._last_throttle = now
        if ticket <= self._floor_ticket:
            return  # started before the last decrease: already accounted for
        self._floor_ticket = self._tickets
        measured = self._accepted_rate(now) * _MARGIN
        self._starting = self._rate is None
        if self._rate is None:
            rate = measured if measured > 0 else self._last_second(now) * _SEED
            rate = max(1.0, rate)
            limit = _header_limit(headers)
            if limit is not None:  # Laravel's limit is per minute: that much is sustainable
                rate = max(rate, limit / 60)
        else:
            current = self._rate
            rate = min(current * _LEAST_CUT, max(measured, current * _MOST_CUT))
        rate = max(MIN_RATE, rate)
        self._rate = self.settled_rate = rate
        self._updated = now
        # Slots booked at the old rate are pushed back to the new spacing.
        self._next = max(self._next, now + 1.0 / rate)

    def _answer(self, busy: bool) -> None:
        answers = self._answers
        if len(answers) == answers.maxlen and answers[0]:
            self._busy -= 1
        answers.append(busy)
        self._busy += busy

    def _count_start(self, now: float) -> None:
        second = int(now)
        recent = self._recent
        if second != recent[0]:
            recent[:] = [second, recent[2] if second == recent[0] + 1 else 0, 0]
        recent[2] += 1

    def _accepted_rate(self, now: float) -> float:
        """Accepted answers per second over the last `MEASURE` seconds (or since the start)."""
        bucket = int(now / _BUCKET)
        count = sum(n for b, n in self._accepted if bucket - b < MEASURE / _BUCKET)
        if not count or self._started is None:
            return 0.0
        # Not less than half a second: a limiter's first burst is no rate.
        return count / min(MEASURE, max(now - self._started, 0.5))

    def _last_second(self, now: float) -> float:
        """Requests started over about the last second."""
        second, previous, current = self._recent
        if int(now) != second:
            return float(current if int(now) == second + 1 else 0)
        return previous * (1.0 - (now - second)) + current


def _header_limit(headers: Mapping[str, str] | None) -> float | None:
    if headers is None:
        return None
    value = headers.get("x-ratelimit-limit")  # httpx's headers are case-insensitive; a dict not
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == "x-ratelimit-limit"), None)
    try:
        limit = float(value) if value is not None else None
    except ValueError:
        return None
    return limit if limit is not None and limit >= 1 else None
