"""`LoopThread`: one process's event loop thread (an anyio `BlockingPortal`) and the waits on it.

What `BlockingPortal` lacks, added here: calls that closing waits for
(`call`), BaseExceptions carried out without stopping the loop, a heartbeat
so that no thread waits on a loop that is gone or stuck (`wait`), and fork
safety: a loop belongs to the process that started it (`foreign`
elsewhere), and a forked child keeps everything of its parent's loops alive,
untouched, for good (`abandon`), since their sockets and epoll set are the
parent's too (closing an aiohttp connection unregisters it from that shared
epoll set, and a TLS one would send the server a close_notify).
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
except ImportError:  # pragma: no cover - sniffio comes with anyio's usual installs
    _LIBRARY = None

#: Seconds between the loop's heartbeats, and between a waiting thread's checks of them.
BEAT = 0.25
POLL = 1.0


class ClosedError(RuntimeError):
    """The client is closed (or closing): the call was not started."""


class Carried(Exception):
    """A BaseException (not a cancellation) on its way out of the loop to the calling thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class LoopThread:
    """An event loop (asyncio) in a daemon thread: tracked calls, iterations, shutdown."""

    def __init__(self, patience: float) -> None:
        self.pid = os.getpid()
        self.patience = patience  # for waits on closing
        self._cm = start_blocking_portal("asyncio")
        self._portal = self._cm.__enter__()
        self.thread: threading.Thread = self._portal.call(threading.current_thread)
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.iterators: set[AsyncIterator[Any]] = set()  # open iterations, closing ends them
        self.stopping = False
        self.beats = 0
        self.beat_time = time.monotonic()
        self._stop_lock = threading.Lock()
        self._draining = False
        self._active = 0  # tracked calls running (loop thread only)
        self._idle: anyio.Event | None = None  # set when _active drops to 0 while draining
        self._portal.start_task_soon(self._beat)
        _LIVE.add(self)

    @property
    def foreign(self) -> bool:
        """Started by another process (this one is a fork of it): never touched here."""
        return self.pid != os.getpid()

    def in_loop(self) -> bool:
        return threading.get_ident() == self.thread.ident

    async def _beat(self) -> None:
        while True:
            self.beats += 1
            self.beat_time = time.monotonic()
            await anyio.sleep(BEAT)

    async def _tracked(
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        # The task runs in a copy of the calling thread's context (the portal's spawn is a
        # call_soon_threadsafe from that thread), where a trio caller has sniffio say trio.
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
            raise Carried(exc) from None  # would stop the portal's task group
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
            future.cancel()  # interrupted (Ctrl-C) or given up: cancel the task as well
            raise

    def _check_alive(self, patience: float) -> None:
        """Raise rather than hand work to a loop that died or has been stuck for ``patience``."""
        if not self.thread.is_alive():
            raise RuntimeError(LOOP_DIED)
        if time.monotonic() - self.beat_time > patience:
            beats = self.beats
            time.sleep(POLL)  # a process resumed after a stop (SIGSTOP) beats again at once
            if beats == self.beats:
                raise TimeoutError(UNRESPONSIVE.format(seconds=patience))

    def wait(self, future: concurrent.futures.Future[T], patience: float) -> T:
        """``future.result()``, but never forever: raise once the loop thread has died, or
        has not beaten for ``patience`` seconds of waiting (something blocks it)."""
        seen, silent = self.beats, 0.0
        while not concurrent.futures.wait((future,), POLL).done:
            if not self.thread.is_alive():
                raise RuntimeError(LOOP_DIED)
            if self.beats != seen:
                seen, silent = self.beats, 0.0
                continue
            silent += POLL  # counted in polls, so a suspended process is not "silent"
            if silent >= patience:
                raise TimeoutError(UNRESPONSIVE.format(seconds=patience))
        return future.result()

    def end(self, iterator: AsyncIterator[Any], patience: float) -> None:
        """Close an iteration its thread has left (finished, broken out of, failed, dropped)."""
        if self.foreign or iterator not in self.iterators:
            return  # the parent process's (abandoned), or closing ended it already
        if self.in_loop():  # dropped in the loop thread: asyncio closes it when collected
            self.iterators.discard(iterator)
            return
        with contextlib.suppress(ClosedError):  # closing will end it
            self.call(patience, self._close_iterator, iterator)

    async def _close_iterator(self, iterator: AsyncIterator[Any]) -> None:
        if iterator in self.iterators:
            self.iterators.discard(iterator)
            await _aclose(iterator)

    def stop(self) -> None:
        """Let calls in progress finish, end iterations, run the closers, stop the loop.

        Idempotent; does nothing in a forked child (the loop is its parent's)
        and returns at once from the loop thread (a helper thread does it).
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
        finally:  # not done: the loop died or does not answer; its daemon thread is left
            if drained.done():
                with contextlib.suppress(RuntimeError):  # cancel what is left (the heartbeat)
                    self._portal.call(self._portal.stop, True)
                self._cm.__exit__(None, None, None)

    async def _drain(self) -> None:
        self._draining = True
        if self._active:
            self._idle = anyio.Event()
            await self._idle.wait()
        while self.iterators:
            with contextlib.suppress(Exception):  # nobody is left to tell
                await _aclose(self.iterators.pop())
        for close in reversed(self.closers):
            await close()


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator, once a step its thread gave up on (Ctrl-C) has unwound."""
    for _ in range(1000):
        if not getattr(iterator, "ag_running", False):
            break
        await anyio.sleep(0.01)
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


#: The loops this process started and has not stopped.
_LIVE: weakref.WeakSet[LoopThread] = weakref.WeakSet()
_ABANDONED: list[object] = []


def abandon(inherited: object) -> None:
    """Keep an object inherited from the parent process alive until this process ends.

    Its finalizers (aiohttp's close the connections they find) must never
    run here: a module list is emptied at interpreter exit, so the reference
    is also leaked for good (CPython).
    """
    _ABANDONED.append(inherited)
    with contextlib.suppress(ImportError, AttributeError):
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(inherited))


def _after_fork_in_child() -> None:
    for loop in list(_LIVE):
        abandon(loop)
    _LIVE.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_after_fork_in_child)
