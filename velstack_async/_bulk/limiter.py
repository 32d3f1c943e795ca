"""The campaign's fixed rate limits: one schedule of send slots shared by every worker."""

from __future__ import annotations

import anyio

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most ``rate`` units (messages or requests) per second across all workers, spaced:
    `acquire` books the next slot (``n / rate`` s after the last) and sleeps until it. After
    an idle spell the schedule restarts from now: unused slots do not pile up into a burst."""

    __slots__ = ("_interval", "_next")

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def acquire(self, n: int = 1) -> None:
        now = anyio.current_time()
        slot = self._next if self._next > now else now
        self._next = slot + self._interval * n
        if slot > now:
            await anyio.sleep(slot - now)
