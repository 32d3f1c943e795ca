"""The campaign's adaptive request rate: slow down when Velstack throttles, speed up after.

Unpaced until the first 429 (or a run of 503s: at least `BUSY_SHARE` of the
last `WINDOW` answers, as a rate limiter answering 503 gives, unlike a flaky
backend's occasional one). Then requests start at most ``rate`` per second
across all workers, an additive-increase / multiplicative-decrease rate (as
TCP's congestion control): each throttle answer to a request started after the
last decrease cuts the rate by 30 %; every second without one adds a quarter of the
rate that decrease left. The first rate is half the request rate of the last
second, and at least ``X-RateLimit-Limit`` per minute when the server sends it
(Laravel's throttle counts per minute). After
`RELEASE` seconds without a throttle answer the campaign runs unpaced again
(the next throttle seeds a new rate), so a short burst of 429s does not slow
the rest of a long campaign.

Throttling is never a failure: it only moves this rate. `is_testing` (the
``set_testing`` switch) skips every pacing wait, as it skips backoff.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

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
RELEASE = 3.0
_DECREASE = 0.7
#: The first rate: this share of the request rate of the last second.
_SEED = 0.5
_INCREASE = 0.25


class Pacer:
    """Shared by every worker of one campaign; `acquire` before each request."""

    def __init__(self) -> None:
        #: Requests per second, or None while unpaced.
        self._rate: float | None = None
        self._increase = 1.0
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
        """Wait for the next request slot; return its ticket (pass it to `throttle`)."""
        now = anyio.current_time()
        self._count_start(now)
        self._tickets += 1
        ticket = self._tickets
        rate = self._rate
        if rate is None:
            return ticket
        if now - self._last_throttle > RELEASE:
            self._rate = None
            return ticket
        if now > self._updated:
            rate = self._rate = rate + self._increase * (now - self._updated)
            self._updated = now
            self.settled_rate = rate
        slot = self._next if self._next > now else now
        self._next = slot + 1.0 / rate
        if slot > now and not is_testing():
            await anyio.sleep(slot - now)
        return ticket

    def accepted(self) -> None:
        """A request was answered (not throttled)."""
        self._answer(False)

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
        now = anyio.current_time()
        self._last_throttle = now
        if ticket <= self._floor_ticket:
            return  # started before the last decrease: already accounted for
        self._floor_ticket = self._tickets
        if self._rate is None:
            rate = max(1.0, self._last_second(now) * _SEED)
            limit = _header_limit(headers)
            if limit is not None:  # Laravel's limit is per minute: that much is sustainable
                rate = max(rate, limit / 60)
        else:
            rate = self._rate * _DECREASE
        rate = max(MIN_RATE, rate)
        self._rate = self.settled_rate = rate
        self._increase = rate * _INCREASE
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
