"""`LoopThread`: one process's event loop thread, an anyio `BlockingPortal`, plus what it lacks.

Added: calls that closing waits for; BaseExceptions carried out of the loop
without stopping it; a heartbeat, so that no thread waits on a loop that is
gone or stuck (`LoopThread.wait`); and fork safety. A loop belongs to the
process that started it (``foreign`` elsewhere); a forked child keeps all of
its parent's loops, and what they reach, alive and untouched until it exits
(`abandon`): their sockets and epoll set are shared with the parent, and a
finalizer closing one (aiohttp's do) would unregister it from the parent's
epoll set, or send the server a TLS close_notify on the parent's behalf.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import anyio
from anyio.from_thread import start_blocking_portal

from .guards import CLOSED, CLOSED_DURING_CALL, LOOP_DIED, UNRESPONSIVE

T = TypeVar("T")

_LIBRARY: ContextVar[str | None] | None
try:  # anyio uses sniffio when it is installed
    from sniffio import current_async_library_cvar as _LIBRARY
except ImportError:  # pragma: no cover
    _LIBRARY = None

#: Seconds between the loop's heartbeats, and between a waiting thread's looks at them.
BEAT, POLL = 0.5, 1.0


class ClosedError(RuntimeError):
    """The client is closed (or closing): the call did not start."""


class Carried(Exception):
    """A BaseException (not a cancellation) on its way out of the loop to the calling thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class LoopThread:
    """An asyncio loop in a daemon thread; ``patience``: the longest wait closing allows."""

    def __init__(self, patience: float) -> None:
        self.pid, self.patience = os.getpid(), patience
        self._cm = start_blocking_portal("asyncio")
        self._portal = self._cm.__enter__()
        self.thread: threading.Thread = self._portal.call(threading.current_thread)
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.iterators: set[AsyncIterator[Any]] = set()  # open iterations: closing ends them
        self.stopping, self._draining = False, False
        self.beats, self.beat_time = 0, time.monotonic()
        self._stop_lock = threading.Lock()
        self._active = 0  # tracked calls running (touched in the loop thread only)
        self._idle: anyio.Event | None = None  # set when _active drops to 0 while draining
        self._portal.start_task_soon(self._beat)
        _LIVE.add(self)

    @property
    def foreign(self) -> bool:
        """Started by another process, which this one forked from: never touched here."""
        return self.pid != os.getpid()

    def in_loop(self) -> bool:
        return threading.get_ident() == self.thread.ident

    async def _beat(self) -> None:
        while True:
            self.beats, self.beat_time = self.beats + 1, time.monotonic()
            await anyio.sleep(BEAT)

    async def _tracked(
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        # A task runs in a copy of the calling thread's context (the portal spawns it with
        # call_soon_threadsafe there), where sniffio may say trio: this loop is asyncio.
        if self._draining:
            raise ClosedError(CLOSED)
        if _LIBRARY is not None:
            _LIBRARY.set("asyncio")
        self._active += 1
        try:
            return await fn(*args, **kwargs)
        except Exception:
            raise
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                raise
            raise Carried(exc) from None  # it would stop the portal
        finally:
            self._active -= 1
            if not self._active and self._idle is not None:
                self._idle.set()

    def submit(
        self, patience: float, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Start ``await fn(*args, **kwargs)`` as a task that closing waits for."""
        assert not self.in_loop(), "the loop thread cannot wait for its own tasks"
        self._check_alive(patience)
        try:
            return self._portal.start_task_soon(self._tracked, fn, args, kwargs)
        except RuntimeError:  # the portal stopped since the caller checked
            raise ClosedError(CLOSED) from None

    def call(
        self, patience: float, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> T:
        """``await fn(*args, **kwargs)`` in the loop; block until it is done (see `wait`)."""
        future = self.submit(patience, fn, *args, **kwargs)
        try:
            return self.wait(future, patience)
        except concurrent.futures.CancelledError:
            raise RuntimeError(CLOSED_DURING_CALL) from None
        except Carried as carried:
            raise carried.error.with_traceback(carried.error.__traceback__) from None
        except BaseException:
            future.cancel()  # interrupted (Ctrl-C) or given up: cancel the task too
            raise

    def _check_alive(self, patience: float) -> None:
        """Refuse to hand work to a loop that died or has been stuck for ``patience`` s."""
        if not self.thread.is_alive():
            raise RuntimeError(LOOP_DIED)
        if time.monotonic() - self.beat_time > patience:
            beats = self.beats
            time.sleep(POLL)  # a process resumed after SIGSTOP beats again at once
            if beats == self.beats:
                raise TimeoutError(UNRESPONSIVE.format(seconds=patience))

    def wait(self, future: concurrent.futures.Future[T], patience: float) -> T:
        """``future.result()``, but raise once the loop thread died, or has not beaten
        for ``patience`` seconds of waiting (counted in polls: a stopped process waits)."""
        seen, silent = self.beats, 0.0
        while not concurrent.futures.wait((future,), POLL).done:
            if not self.thread.is_alive():
                raise RuntimeError(LOOP_DIED)
            beats = self.beats
            silent, seen = (silent + POLL if beats == seen else 0.0), beats
            if silent >= patience:
                raise TimeoutError(UNRESPONSIVE.format(seconds=patience))
        return future.result()

    def end(self, iterator: AsyncIterator[Any], patience: float) -> None:
        """Close an iteration its thread left (finished, broken out of, failed, dropped)."""
        if self.foreign or iterator not in self.iterators:
            return  # the parent process's (abandoned), or closing ended it
        if self.in_loop():  # dropped in the loop thread: asyncio closes it when collected
            self.iterators.discard(iterator)
            return
        with contextlib.suppress(ClosedError):  # refused: closing ends it
            self.call(patience, self._close_iterator, iterator)

    async def _close_iterator(self, iterator: AsyncIterator[Any]) -> None:
        self.iterators.discard(iterator)
        for _ in range(1000):  # a step its thread gave up on (Ctrl-C) unwinds first
            if not getattr(iterator, "ag_running", False):
                break
            await anyio.sleep(0.01)
        if (aclose := getattr(iterator, "aclose", None)) is not None:
            await aclose()

    def stop(self) -> None:
        """Let calls in progress finish, end iterations, run the closers, stop the loop.

        Idempotent; nothing in a forked child (the loop is its parent's); from
        the loop thread itself, a helper thread does it.
        """
        if self.foreign:
            return
        with self._stop_lock:
            if self.stopping:
                return
            self.stopping = True
        if self.in_loop():
            threading.Thread(target=self._shutdown, name="velstack-stop", daemon=True).start()
        else:
            self._shutdown()

    def _shutdown(self) -> None:
        _LIVE.discard(self)
        if not self.thread.is_alive():
            return
        self._check_alive(self.patience)
        drained = self._portal.start_task_soon(self._drain)
        try:
            self.wait(drained, self.patience)
        finally:  # not done: the loop died or does not answer; leave its daemon thread
            if drained.done():
                with contextlib.suppress(RuntimeError):  # cancel what is left: the heartbeat
                    self._portal.call(self._portal.stop, True)
                self._cm.__exit__(None, None, None)

    async def _drain(self) -> None:
        self._draining = True
        if self._active:
            self._idle = anyio.Event()
            await self._idle.wait()
        while self.iterators:
            with contextlib.suppress(Exception):  # nobody is left to tell
                await self._close_iterator(next(iter(self.iterators)))
        for close in reversed(self.closers):
            await close()


_LIVE: weakref.WeakSet[LoopThread] = weakref.WeakSet()  # started here, not stopped
_ABANDONED: list[object] = []


def abandon(inherited: object) -> None:
    """Keep an object inherited from the parent process alive, and unfinalized, for good.

    A module's list is emptied at interpreter exit: the reference is leaked as well.
    """
    _ABANDONED.append(inherited)
    with contextlib.suppress(ImportError, AttributeError):  # CPython only
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(inherited))


def _after_fork_in_child() -> None:
    for loop in list(_LIVE):
        abandon(loop)
    _LIVE.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_after_fork_in_child)
