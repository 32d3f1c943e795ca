"""`LoopThread`: an event loop in a daemon thread, the tasks it runs for threads, its shutdown."""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import Context
from typing import Any, ParamSpec, TypeVar

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .context import InContext, caller_context
from .guards import CLOSED, CLOSED_DURING_CALL
from .pump import Pump

P = ParamSpec("P")
T = TypeVar("T")

#: The event loop the thread runs.
BACKEND = "asyncio"


class Carried(Exception):
    """A BaseException (not a cancellation) on its way out of the loop to the calling thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class LoopThread:
    """One anyio blocking portal (an event loop in a daemon thread) and the work it runs.

    ``_pumps``, ``_draining``, ``_active`` and ``_idle`` belong to the loop
    thread; the methods that touch them assert so in debug.
    """

    def __init__(self) -> None:
        self._cm = start_blocking_portal(BACKEND)
        self._portal: BlockingPortal = self._cm.__enter__()
        self.thread_id: int = self._portal.call(threading.get_ident)
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.stopping = False
        self._stop_lock = threading.Lock()
        self._pumps: set[Pump[Any]] = set()
        self._draining = False
        self._active = 0  # tracked tasks running
        self._idle: anyio.Event | None = None  # set when _active drops to 0 while draining

    def in_loop(self) -> bool:
        return threading.get_ident() == self.thread_id

    async def _tracked(
        self,
        fn: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: Context,
    ) -> T:
        assert self.in_loop()
        if self._draining:
            raise RuntimeError(CLOSED)
        self._active += 1
        try:
            return await InContext(context, fn(*args, **kwargs))
        except Exception:
            raise
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                raise
            # Any other BaseException escaping a task would stop the portal: carry it instead.
            raise Carried(exc) from None
        finally:
            self._active -= 1
            if not self._active and self._idle is not None:
                self._idle.set()

    def submit(
        self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Start ``fn`` as a task of the loop that closing waits for.

        It runs in a copy of the calling thread's context (`context.caller_context`).
        """
        assert not self.in_loop(), "the loop thread cannot wait for its own tasks"
        try:
            return self._portal.start_task_soon(self._tracked, fn, args, kwargs, caller_context())
        except RuntimeError:  # the portal stopped since the caller checked
            raise RuntimeError(CLOSED) from None

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``await fn(*args, **kwargs)`` as a tracked task; block until it is done."""
        future = self.submit(fn, *args, **kwargs)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise RuntimeError(CLOSED_DURING_CALL) from None
        except Carried as carried:
            raise carried.error.with_traceback(carried.error.__traceback__) from None
        except BaseException:
            future.cancel()  # interrupted while waiting (Ctrl-C): cancel the task as well
            raise

    async def open_pump(self, make: Callable[[], AsyncIterator[T]]) -> Pump[T]:
        """A pump over ``make()``, created in the loop (its anyio objects need it)."""
        return Pump(make(), self._pumps, self.thread_id)

    def close_pump(self, pump: Pump[Any]) -> None:
        """End an iteration a thread has left (finished, broken out of, or failed)."""
        if self.in_loop():  # its iterator was garbage-collected in the loop thread
            pump.abandon()
            return
        try:
            future = self._portal.start_task_soon(pump.aclose)
        except RuntimeError:  # the loop has stopped, after ending every pump
            pump.discard()
            return
        try:
            future.result()
        except concurrent.futures.CancelledError:  # the loop stopped, after ending every pump
            pump.discard()

    def stop(self) -> None:
        """Let calls in progress finish, end iterations, run the closers, stop the loop.

        Idempotent; returns at once when called from the loop thread itself
        (the work is then done by a helper thread).
        """
        with self._stop_lock:
            if self.stopping:
                return
            self.stopping = True
        if self.in_loop():
            threading.Thread(target=self._shutdown, name="velstack-stop", daemon=True).start()
        else:
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            self._portal.call(self._drain)
        finally:
            with contextlib.suppress(RuntimeError):  # cancel what is left
                self._portal.call(self._portal.stop, True)
            self._cm.__exit__(None, None, None)

    async def _drain(self) -> None:
        assert self.in_loop()
        self._draining = True
        for pump in list(self._pumps):
            pump.finish()
        if self._active:
            self._idle = anyio.Event()
            await self._idle.wait()
        for close in reversed(self.closers):
            await close()
