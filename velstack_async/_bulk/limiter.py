"""The campaign's rate limit: one schedule of send slots shared by every worker."""

from __future__ import annotations

import anyio

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most ``rate`` sends per second across all workers, evenly spaced.

    Each `acquire` books the next free slot (``1 / rate`` seconds after the
    previous one) and sleeps until it. A slot left unused does not pile up:
    after an idle spell the schedule restarts from now, so there is no burst.
    """

    __slots__ = ("_interval", "_next")

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def acquire(self) -> None:
        now = anyio.current_time()
        slot = self._next if self._next > now else now
        self._next = slot + self._interval
        if slot > now:
            await anyio.sleep(slot - now)
