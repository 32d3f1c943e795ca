"""Read timeouts for many concurrent requests on one timer (the aiohttp fast path).

aiohttp enforces ``sock_read`` by re-arming an event-loop timer on every read:
two or three timer handles per request, each created, pushed on the loop's
heap and cancelled. At thousands of requests a second that was about a tenth
of a bulk send's CPU. Here a request only records its deadline in a dict; one
timer per event loop wakes at the earliest deadline, cancels the requests
that are overdue, and re-arms for the next one. A cancelled request learns
from `Deadlines.clear` that the cancellation was a timeout (and undoes it with
``Task.uncancel``), so a cancellation from anyone else still propagates.

Needs ``Task.uncancel`` (Python 3.11+); older Pythons keep aiohttp's own
``sock_read``.
"""

from __future__ import annotations

import asyncio
import math
import sys
from typing import Any

__all__ = ["SUPPORTED", "Deadlines", "Watch"]

#: Whether this Python can tell our cancellations from others (``Task.uncancel``).
SUPPORTED = sys.version_info >= (3, 11)
#: A timer may fire this early (the loop's clock resolution); still counts as due.
_EARLY = 0.001

Task = asyncio.Task[Any]


class Deadlines:
    """The read deadlines of one event loop's in-flight requests."""

    __slots__ = ("_deadlines", "_expired", "_loop", "_timer", "_timer_at")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._deadlines: dict[Task, float] = {}
        self._expired: set[Task] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def __len__(self) -> int:
        return len(self._deadlines)

    def watch(self, seconds: float) -> Watch | None:
        """A read deadline of ``seconds`` for the current task (None outside a task)."""
        task = asyncio.current_task(self._loop)
        return None if task is None else Watch(self, task, seconds)

    def set(self, task: Task, seconds: float) -> None:
        """``task`` times out unless `clear` or `set` again within ``seconds`` from now."""
        when = self._loop.time() + seconds
        self._deadlines[task] = when
        if when < self._timer_at:
            self._arm(when)

    def clear(self, task: Task) -> bool:
        """Forget ``task``'s deadline. True when it had expired: its cancellation came from here."""
        self._deadlines.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, math.inf

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        due = self._loop.time() + _EARLY
        earliest = math.inf
        for task, when in list(self._deadlines.items()):
            if when <= due:
                del self._deadlines[task]
                if not task.done():
                    self._expired.add(task)
                    task.cancel()
            elif when < earliest:
                earliest = when
        if earliest < math.inf:
            self._arm(earliest)


class Watch:
    """One request's read deadline: `reset` before each wait for data, then `end`."""

    __slots__ = ("_deadlines", "_seconds", "_task")

    def __init__(self, deadlines: Deadlines, task: Task, seconds: float) -> None:
        self._deadlines = deadlines
        self._task = task
        self._seconds = seconds

    def reset(self) -> None:
        """The deadline is ``seconds`` from now."""
        self._deadlines.set(self._task, self._seconds)

    def end(self) -> bool:
        """Stop watching. True when the deadline had passed and the task was cancelled for it;
        that cancellation is then withdrawn (`Task.uncancel`)."""
        if not self._deadlines.clear(self._task):
            return False
        if sys.version_info >= (3, 11):
            self._task.uncancel()
        return True

    def timed_out(self) -> bool:
        """On ``CancelledError``: stop watching; True when the cancellation was this
        deadline's alone (withdrawn), False when it must propagate."""
        if not self.end():
            return False
        if sys.version_info >= (3, 11):
            return self._task.cancelling() == 0
        return False  # not reached: deadlines are only used where SUPPORTED
