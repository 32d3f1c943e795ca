"""What one request on the aiohttp adapter told (a reused connection, a body handed
over), and the read timeouts of the requests in flight, on one timer.

Public aiohttp API only, and no trace hooks of the SDK's own (with one ``TraceConfig``
aiohttp runs its tracing machinery for every request: about 74,000 instructions per
message, callgrind, ``benchmarks/instructions.py``): the pool's documented
``BaseConnector.connect`` and ``Connection.transport`` say whether a connection was handed
out before, the request body (an ``aiohttp.BytesPayload``) whether aiohttp began writing it.

The read timeout (Python 3.11 on) is not aiohttp's ``sock_read``, which sets a timer for
each request and again for each read (about 40,000 instructions per message, a third of
the SDK's cost over raw aiohttp's): `ReadWatch` keeps every request's deadline and one
timer, due at the earliest. A request past its deadline has its task cancelled, as
``asyncio.timeout`` does, and the adapter reports a read timeout, not a cancellation
(``Task.uncancel``; not by aborting the connection: aiohttp resends an idempotent request
once when its kept-alive connection drops). On 3.10 (no ``Task.uncancel``) the adapter
keeps ``sock_read``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import sys
import weakref
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any

import aiohttp

__all__ = ["CURRENT", "Attempt", "Body", "ReadWatch", "ReuseConnector"]


class Attempt:
    """One request's attempt: whether its connection is a reused one, whether its body reached
    the writer, and its read deadline (kept by ``watch``, from the connection on)."""

    __slots__ = (
        "body_handed",
        "cancelling",
        "deadline",
        "read",
        "reused",
        "task",
        "timed_out",
        "watch",
    )

    def __init__(self, watch: ReadWatch | None = None, read: float | None = None) -> None:
        self.reused = False
        self.body_handed = False
        self.timed_out = False
        self.watch = watch if read is not None else None
        self.read = read
        self.deadline = math.inf
        self.task: asyncio.Task[Any] | None = None
        self.cancelling = 0

    def connected(self) -> None:
        """The request has its connection (in its own task): its read clock starts."""
        if self.watch is not None and sys.version_info >= (3, 11):
            # The loop named: without it, asyncio looks it up (a getpid() system call).
            task = self.task = asyncio.current_task(self.watch.loop)
            if task is not None:
                self.cancelling = task.cancelling()
                self.watch.start(self)

    def restart(self) -> None:
        """Before another read: the read timeout applies to each."""
        if self.watch is not None and self.task is not None:
            self.watch.start(self)

    def time_out(self) -> None:
        """Past the deadline: cancel the request's task (`cancelled_by_timeout` tells)."""
        self.timed_out = True
        if self.task is not None:
            self.task.cancel("read timeout")

    def cancelled_by_timeout(self) -> bool:
        """Whether the read timeout cancelled the task and no one else did. Its cancellation
        is then spent (``Task.uncancel``, once, as ``asyncio.timeout`` does) and the request
        fails as a read timeout; a caller's cancellation goes on."""
        task, self.task = self.task, None
        if not self.timed_out or task is None or sys.version_info < (3, 11):
            return False
        return task.uncancel() <= self.cancelling


class ReadWatch:
    """The read deadlines of one event loop's requests in flight, checked by one timer.

    `start` (again before each read of a body) sets a request's deadline ``read`` seconds
    ahead; `stop` forgets it. The timer is due at the earliest deadline; deadlines only
    move later, so a request rarely re-arms it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._watched: set[Attempt] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._due = math.inf

    def start(self, attempt: Attempt) -> None:
        """(Re)start ``attempt``'s read clock."""
        assert attempt.read is not None
        deadline = attempt.deadline = self.loop.time() + attempt.read
        self._watched.add(attempt)
        if deadline < self._due:
            self._arm(deadline)

    def stop(self, attempt: Attempt) -> None:
        self._watched.discard(attempt)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._due = None, math.inf
        self._watched.clear()

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._due = when
        self._timer = self.loop.call_at(when, self._check)

    def _check(self) -> None:
        self._timer, self._due = None, math.inf
        now = self.loop.time()
        late = [attempt for attempt in self._watched if attempt.deadline <= now]
        for attempt in late:
            self._watched.discard(attempt)
            attempt.time_out()
        if self._watched:
            self._arm(min(attempt.deadline for attempt in self._watched))


#: The attempt of the request the running task is sending (read by `ReuseConnector.connect`).
CURRENT: ContextVar[Attempt | None] = ContextVar("velstack_aiohttp_attempt", default=None)


class ReuseConnector(aiohttp.TCPConnector):
    """aiohttp's pool, telling the running request its connection and whether it is a reused one.

    Only documented API: ``BaseConnector.connect`` (awaited in the requesting task, so the
    `CURRENT` context variable is the request's) and ``Connection.transport``: a transport
    this pool handed out before is a kept-alive connection. Transports are known by ``id()``
    (a dict lookup per request, cheaper than a ``WeakSet``); a weak reference's callback drops
    each entry when its transport is freed, before its id can recur.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._velstack_handed: dict[int, weakref.ref[object]] = {}

    async def connect(self, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(*args, **kwargs)
        attempt = CURRENT.get()
        if attempt is not None:
            attempt.connected()
        transport = connection.transport
        if transport is not None:
            key = id(transport)
            handed = self._velstack_handed
            if key in handed:
                if attempt is not None:
                    attempt.reused = True
            else:  # a new connection
                # Not weakly referable (TypeError): its reuse stays unknown, so never "stale".
                with contextlib.suppress(TypeError):
                    handed[key] = weakref.ref(transport, functools.partial(_forget, handed, key))
        return connection


def _forget(handed: dict[int, weakref.ref[object]], key: int, _: object) -> None:
    handed.pop(key, None)


class Body(aiohttp.BytesPayload):
    """A request body that marks its attempt when aiohttp starts writing it (3.10: ``write``;
    3.12 on: ``write_with_length``). Also spares aiohttp's payload registry lookup."""

    def __init__(self, value: bytes, attempt: Attempt) -> None:
        super().__init__(value)
        self._velstack_attempt = attempt

    # Not coroutines of their own: the base class's, marked first (no frame more per request).
    def write(self, writer: Any) -> Coroutine[Any, Any, None]:
        self._velstack_attempt.body_handed = True
        return super().write(writer)

    def write_with_length(
        self, writer: Any, content_length: int | None
    ) -> Coroutine[Any, Any, None]:
        self._velstack_attempt.body_handed = True
        return super().write_with_length(writer, content_length)
