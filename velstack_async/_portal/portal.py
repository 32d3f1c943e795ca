"""`Portal`, a sync client's handle on its loop thread, and `SyncResource`, what it serves."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Generic, ParamSpec, Protocol, TypeVar

from .guards import CLOSED, check_calling_thread
from .loop import LoopThread
from .pump import Failure

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class AsyncClosable(Protocol):
    def aclose(self) -> Awaitable[object]: ...


C = TypeVar("C", bound=AsyncClosable)


class Portal:
    """A sync client's handle on its event loop thread; `child` shares the loop."""

    def __init__(self, loop: LoopThread, parent: Portal | None = None) -> None:
        self._loop = loop
        self._parent = parent  # keeps the root, whose finalizer stops the loop, alive
        self._closed = False
        # Stops the loop when the root is closed, garbage-collected, or at exit.
        self._finalizer = weakref.finalize(self, loop.stop) if parent is None else None

    @classmethod
    def start(cls) -> Portal:
        """Start an event loop thread."""
        return cls(LoopThread())

    @classmethod
    def open(cls, make: Callable[[], C]) -> tuple[Portal, C]:
        """Start a loop thread and run ``make()`` in it (async objects belong to their loop).

        The result's ``aclose()`` is awaited in the loop when it stops, after
        calls in progress finish. If ``make`` raises, the thread is stopped.
        """
        portal = cls.start()
        try:
            portal.check()
            resource = portal._loop.call(_call_sync, make)
        except BaseException:
            portal.close()
            raise
        portal._loop.closers.append(resource.aclose)
        return portal, resource

    def child(self) -> Portal:
        """A handle on the same loop that can be closed on its own (leaving the loop running)."""
        if self.closed:
            raise RuntimeError(CLOSED)
        return Portal(self._loop, self)

    @property
    def closed(self) -> bool:
        parent = self._parent
        return self._closed or self._loop.stopping or (parent is not None and parent.closed)

    def close(self) -> None:
        """Refuse further calls; the root also stops the loop. Safe to call twice."""
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()

    def check(self) -> None:
        """Raise `RuntimeError` if the client is closed or this is the loop's own thread.

        From another thread running an event loop the call goes ahead (the
        first time in the process, outside IPython, with a warning).
        """
        if self.closed:
            raise RuntimeError(CLOSED)
        check_calling_thread(self._loop.thread_id)

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``await fn(*args, **kwargs)`` in the loop; block until it is done."""
        self.check()
        return self._loop.call(fn, *args, **kwargs)

    def iterate(
        self, fn: Callable[P, AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Generator[T, None, None]:
        """``async for item in fn(*args, **kwargs)`` in the loop, as a plain iterator.

        The async iterator lives in one task of the loop and yields one item per
        ``next()`` (no read-ahead). Closing this iterator (``break``, an exception,
        garbage collection) closes the async one in that task, and waits for it.
        """
        self.check()
        pump = self._loop.call(self._loop.open_pump, lambda: fn(*args, **kwargs))
        try:
            self._loop.submit(pump.run)
            while True:
                self.check()
                reply = self._loop.call(pump.next)
                if reply is None:
                    return
                if isinstance(reply, Failure):
                    raise reply.error
                yield reply.value
        finally:
            self._loop.close_pump(pump)


class SyncResource(Generic[R]):
    """Base of the generated sync services: the async service and the portal it runs in."""

    __slots__ = ("_async", "_portal")

    def __init__(self, resource: R, portal: Portal) -> None:
        self._async = resource
        self._portal = portal


async def _call_sync(fn: Callable[[], T]) -> T:
    return fn()
