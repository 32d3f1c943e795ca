"""When and how long to wait before trying a request again.

Exponential backoff with full jitter (``uniform(0, min(cap, base * 2**n))``),
``Retry-After`` honoured up to a ceiling, and a testing switch, as in stamina:
`set_testing(True)` makes every wait instant while keeping the attempt count.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import anyio
from attrs import define, field

__all__ = ["RetryPolicy", "set_testing"]

_testing = False
#: The longest ``Retry-After`` honoured (seconds).
MAX_RETRY_AFTER = 60.0


def set_testing(enabled: bool) -> None:
    """Skip every backoff and ``Retry-After`` wait (attempts still happen).

    For users' test suites: retries stay observable, tests stay fast.
    """
    global _testing
    _testing = enabled


def is_testing() -> bool:
    return _testing


@define
class RetryPolicy:
    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = MAX_RETRY_AFTER
    rng: random.Random = field(factory=random.Random)

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0-based), full jitter."""
        return self.rng.uniform(0, min(self.max_backoff, self.initial_backoff * 2**retry))

    async def sleep(self, seconds: float) -> None:
        if seconds > 0 and not _testing:
            await anyio.sleep(seconds)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(0.0, seconds)


class PauseGate:
    """A pause shared by every request of one connection pool.

    A 429 with ``Retry-After`` closes the gate until that time; every request,
    from every task, waits at the gate before it is sent, so one throttle
    pauses all workers instead of each finding out on its own.
    """

    __slots__ = ("_until",)

    def __init__(self) -> None:
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    def closed(self) -> bool:
        """Whether requests must wait now (a cheap check before `wait`)."""
        return self._until > time.monotonic()

    async def wait(self, policy: RetryPolicy) -> None:
        # Loop: another 429 may extend the pause while we wait.
        while (remaining := self._until - time.monotonic()) > 0:
            await policy.sleep(remaining)
            if _testing:
                return
