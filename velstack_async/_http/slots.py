"""The aiohttp adapter's bound on requests in flight (``limits.max_connections``).

A counting semaphore whose free path is a comparison and a subtraction: an
``asyncio.Semaphore`` costs a coroutine and two scans of its waiters per request
(about 8,600 instructions per message in the client-bound cell, callgrind,
``benchmarks/instructions.py``). Waiters are served in turn, each for at most the
pool timeout.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Slots"]


class Slots:
    """``size`` slots: `take` one at once, else `wait` for one; `release` it after."""

    __slots__ = ("_waiters", "free")

    def __init__(self, size: int) -> None:
        self.free = size
        #: Futures of the requests waiting, in turn: True when handed a slot, False on timeout.
        self._waiters: deque[asyncio.Future[bool]] = deque()

    def take(self) -> bool:
        """A slot at once, if one is free (never while a request waits: `release` hands a
        freed slot to the first waiting)."""
        if self.free > 0:
            self.free -= 1
            return True
        return False

    async def wait(self, timeout: float | None) -> bool:
        """Wait in turn for a slot; False when ``timeout`` seconds passed first."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        except BaseException:  # cancelled: a slot handed over meanwhile goes on to the next
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if waiter in self._waiters:  # timed out or cancelled while waiting
                self._waiters.remove(waiter)

    def release(self) -> None:
        """Free a slot: the first request still waiting takes it."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self.free += 1


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)
