"""`Portal`: a sync client's loop thread and async client, made at the first call in each process.

So a client made at module level (a Celery ``tasks.py``, an app that
``gunicorn --preload`` imports) starts no thread before the fork, and a
forked child calling it gets a loop thread and connection pool of its own;
whatever the parent had started is abandoned in the child, never used or
closed there (`loop.abandon`).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

import httpx

from .._options import DEFAULT_TIMEOUT
from .guards import CLOSED, FORKED_ITERATION, check_calling_thread
from .loop import ClosedError, LoopThread, abandon

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")

#: Seconds a waiting thread allows the loop beyond the client's longest timeout.
MARGIN = 10.0


class AsyncClosable(Protocol):
    def aclose(self) -> Awaitable[object]: ...


R = TypeVar("R", bound=AsyncClosable)
D = TypeVar("D", bound=AsyncClosable)
_start_lock = threading.RLock()


def _after_fork_in_child() -> None:  # a thread of the parent may have held it
    global _start_lock
    _start_lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def patience(timeout: httpx.Timeout | None) -> float:
    """How long a waiting thread lets the loop go silent: the longest timeout plus `MARGIN`."""
    parts = [t for t in (timeout or DEFAULT_TIMEOUT).as_dict().values() if t is not None]
    return max(parts, default=30.0) + MARGIN


class Portal(Generic[R]):
    """A root portal makes ``make()`` in its loop; a `child` derives from the root's."""

    def __init__(
        self, make: Callable[..., R], timeout: httpx.Timeout | None, parent: Portal[Any] | None
    ) -> None:
        self._make, self._parent = make, parent  # the parent keeps the root alive
        self.patience = patience(timeout)
        self._closed = False
        self._state: tuple[LoopThread, R] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @classmethod
    def open(cls, make: Callable[[], R], timeout: httpx.Timeout | None = None) -> Portal[R]:
        """A portal that starts a loop thread and runs ``make()`` in it at the first call.

        The result's ``aclose()`` is awaited in the loop when it stops, after
        calls in progress finish. If ``make`` raises, the thread is stopped.
        """
        return cls(make, timeout, None)

    def child(self, derive: Callable[[R], D], timeout: httpx.Timeout | None) -> Portal[D]:
        """A portal on the same loop, serving ``derive(resource)``, that closes on its own."""
        if self.closed:
            raise ClosedError(CLOSED)
        return Portal(derive, timeout, self)

    @property
    def closed(self) -> bool:
        state, parent = self._state, self._parent
        stopped = state is not None and state[0].stopping and not state[0].foreign
        return self._closed or stopped or (parent is not None and parent.closed)

    def close(self) -> None:
        """Refuse further calls; the root also stops the loop. Safe to call twice."""
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()

    @property
    def resource(self) -> R:
        """This process's resource (making it, and starting the loop thread, if need be)."""
        return self._current()[1]

    def peek(self) -> R | None:
        """This process's resource, or None if it is not made yet."""
        state = self._state
        return None if state is None or state[0].foreign else state[1]

    def _current(self) -> tuple[LoopThread, R]:
        state = self._state
        if state is not None and not state[0].foreign and not self.closed:
            return state
        with _start_lock:
            if self.closed:
                raise ClosedError(CLOSED)
            if (state := self._state) is not None and not state[0].foreign:
                return state
            if state is not None:  # the parent process's (this one is a fork)
                abandon(state)
                if self._finalizer is not None:
                    self._finalizer.detach()
            self._state = state = self._start()
            return state

    def _start(self) -> tuple[LoopThread, R]:
        if self._parent is not None:
            loop, resource = self._parent._current()
            return loop, self._make(resource)
        loop = LoopThread(self.patience)
        try:
            made: R = loop.call(self.patience, _call_sync, self._make)
        except BaseException:
            loop.stop()
            raise
        loop.closers.append(made.aclose)
        # Stops the loop when the root is closed, garbage-collected, or at exit.
        self._finalizer = weakref.finalize(self, loop.stop)
        return loop, made

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``await fn(*args, **kwargs)`` in the loop; block until it is done.

        `RuntimeError` if the client is closed or this is the loop's own thread;
        from another thread running an event loop it goes ahead (`guards`).
        """
        loop = self._current()[0]
        check_calling_thread(loop.in_loop())
        return loop.call(self.patience, fn, *args, **kwargs)

    def iterate(
        self, fn: Callable[P, AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Generator[T, None, None]:
        """``async for item in fn(*args, **kwargs)`` in the loop, as a plain iterator.

        Each ``next()`` runs one ``__anext__`` as a task (no read-ahead), so the
        async iterator must not hold a task group or cancel scope across a
        ``yield``. Closing this iterator (``break``, an exception, garbage
        collection) closes the async one, and waits for it.
        """
        loop = self._current()[0]
        check_calling_thread(loop.in_loop())
        iterator = fn(*args, **kwargs)
        loop.iterators.add(iterator)
        try:
            while True:
                if loop.foreign:
                    raise RuntimeError(FORKED_ITERATION)
                if self.closed:
                    raise ClosedError(CLOSED)
                try:
                    item = loop.call(self.patience, iterator.__anext__)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            loop.end(iterator, self.patience)


class SyncResource(Generic[S]):
    """Base of the generated sync services: a service of the portal's resource, by name."""

    __slots__ = ("_name", "_portal")

    def __init__(self, portal: Portal[Any], name: str) -> None:
        self._portal, self._name = portal, name

    @property
    def _async(self) -> S:
        """The async service of this process's client."""
        service: S = getattr(self._portal.resource, self._name)
        return service


async def _call_sync(fn: Callable[[], T]) -> T:
    return fn()
