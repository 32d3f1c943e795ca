"""The event loop thread behind `Velstack`, and the bridges the generated facade calls.

`Portal.start()` runs an anyio blocking portal: an event loop (asyncio) in a
daemon thread. The generated sync services (``velstack_async/_sync/``) call
into it with `Portal.call` (coroutine methods), `Portal.iterate` (async
iterators, as plain iterators) and `Portal.enter` (async context managers, as
plain ones). Calls from many threads run concurrently in the one loop.

Closing (`Portal.close` on the root, or garbage collection, or interpreter
exit) refuses new calls, lets calls in progress finish, ends open iterations,
runs the registered closers (the `AsyncVelstack`'s ``aclose``) and stops the
loop. Misuse raises `RuntimeError`: a call after close, or a call from a
thread that runs an event loop (it would block that loop, or deadlock in the
portal's own thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from typing import Any, Generic, Literal, ParamSpec, TypeVar

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

#: The event loop the portal thread runs.
BACKEND = "asyncio"

CLOSED = "this Velstack client is closed"
CLOSED_DURING_CALL = (
    "the Velstack client was closed while this call was in progress "
    "(a send may have been processed: check before resending)"
)
IN_EVENT_LOOP = (
    "Velstack (the sync client) was called from a thread running an {} event loop, "
    "where it would block the loop (or deadlock: callbacks such as on_result run in the "
    "client's own loop thread). In async code use AsyncVelstack and await its methods."
)


def running_event_loop() -> str | None:
    """The name of the event loop running in this thread, or None."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
        else:
            return "trio"
    return None


class SyncResource(Generic[R]):
    """Base of the generated sync services: the async service and the portal it runs in."""

    __slots__ = ("_async", "_portal")

    def __init__(self, resource: R, portal: Portal) -> None:
        self._async = resource
        self._portal = portal


class Portal:
    """A sync client's handle on its event loop thread; `child` shares the loop."""

    def __init__(self, loop: _Loop, parent: Portal | None = None) -> None:
        self._loop = loop
        self._parent = parent  # keeps the root, whose finalizer stops the loop, alive
        self._closed = False
        # Stops the loop when the root is closed, garbage-collected, or at exit.
        self._finalizer = weakref.finalize(self, loop.stop) if parent is None else None

    @classmethod
    def start(cls) -> Portal:
        """Start an event loop thread."""
        return cls(_Loop())

    def child(self) -> Portal:
        """A handle on the same loop that can be closed on its own (leaving the loop running)."""
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

    def add_closer(self, close: Callable[[], Awaitable[object]]) -> None:
        """Await ``close()`` in the loop when it stops (after calls in progress finish)."""
        self._loop.closers.append(close)

    def run_sync(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` in the loop thread (to create async objects there)."""
        return self._loop.call(_call_sync, fn)

    def check(self) -> None:
        """Raise `RuntimeError` if this client is closed or the thread runs an event loop."""
        if self.closed:
            raise RuntimeError(CLOSED)
        loop_name = running_event_loop()
        if loop_name is not None:
            raise RuntimeError(IN_EVENT_LOOP.format(loop_name))

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
        pump = self._loop.call(_open_pump, self._loop, lambda: fn(*args, **kwargs))
        try:
            self._loop.submit(pump.run)
            while True:
                self.check()
                reply = self._loop.call(pump.next)
                if reply is None:
                    return
                if isinstance(reply, _Failure):
                    raise reply.error
                yield reply.value
        finally:
            self._loop.close_pump(pump)

    @contextmanager
    def enter(
        self,
        fn: Callable[P, AbstractAsyncContextManager[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Iterator[T]:
        """``async with fn(*args, **kwargs)`` in the loop, as a plain context manager.

        Entry and exit run in one task of the loop. Closing the client while the
        block is open exits the async context manager under cancellation.
        """
        self.check()
        manager = self.run_sync(lambda: fn(*args, **kwargs))
        with self._loop.wrap(manager) as value:
            yield value


class _Loop:
    """One blocking portal (an event loop thread) and the work running in it."""

    def __init__(self) -> None:
        self._cm = start_blocking_portal(BACKEND)
        self._portal: BlockingPortal = self._cm.__enter__()
        self.thread_id: int = self._portal.call(threading.get_ident)
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.pumps: set[_Pump[Any]] = set()  # loop thread only
        self.stopping = False
        self._stop_lock = threading.Lock()
        self._draining = False  # loop thread only
        self._active = 0  # loop thread only: tracked tasks running
        self._idle: anyio.Event | None = None

    async def _tracked(
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        if self._draining:
            raise RuntimeError(CLOSED)
        self._active += 1
        try:
            return await fn(*args, **kwargs)
        except Exception:
            raise
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                raise
            # Any other BaseException escaping a task would stop the portal: carry it instead.
            raise _Carried(exc) from None
        finally:
            self._active -= 1
            if not self._active and self._idle is not None:
                self._idle.set()

    def submit(
        self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Start ``fn`` as a task of the loop that closing waits for."""
        try:
            return self._portal.start_task_soon(self._tracked, fn, args, kwargs)
        except RuntimeError:  # the portal stopped since the caller checked
            raise RuntimeError(CLOSED) from None

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        future = self.submit(fn, *args, **kwargs)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise RuntimeError(CLOSED_DURING_CALL) from None
        except _Carried as carried:
            raise carried.error.with_traceback(carried.error.__traceback__) from None
        except BaseException:
            future.cancel()  # interrupted while waiting (Ctrl-C): cancel the task as well
            raise

    def wrap(self, manager: AbstractAsyncContextManager[T]) -> AbstractContextManager[T]:
        return self._portal.wrap_async_context_manager(manager)

    def close_pump(self, pump: _Pump[Any]) -> None:
        """End an iteration a thread has left (finished, broken out of, or failed)."""
        if threading.get_ident() == self.thread_id:  # garbage-collected in the loop
            pump.abandon()
            return
        try:
            future = self._portal.start_task_soon(pump.aclose)
        except RuntimeError:  # the loop has stopped
            pump.abandon()
            return
        try:
            future.result()
        except concurrent.futures.CancelledError:  # the loop is stopping
            pump.abandon()

    def stop(self) -> None:
        """Let calls in progress finish, end iterations, run the closers, stop the loop.

        Idempotent; returns at once when called from the loop thread itself
        (the work is then done by a helper thread).
        """
        with self._stop_lock:
            if self.stopping:
                return
            self.stopping = True
        if threading.get_ident() == self.thread_id:
            threading.Thread(target=self._shutdown, name="velstack-stop", daemon=True).start()
        else:
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            self._portal.call(self._drain)
        finally:
            with contextlib.suppress(RuntimeError):  # cancel what is left (held context managers)
                self._portal.call(self._portal.stop, True)
            self._cm.__exit__(None, None, None)

    async def _drain(self) -> None:
        self._draining = True
        for pump in list(self.pumps):
            pump.finish()
        if self._active:
            self._idle = anyio.Event()
            await self._idle.wait()
        for close in reversed(self.closers):
            await close()


async def _call_sync(fn: Callable[[], T]) -> T:
    return fn()


class _Carried(Exception):
    """A BaseException (not a cancellation) on its way out of the loop to the calling thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _close_iterator(iterator: AsyncIterator[Any]) -> BaseException | None:
    """``await iterator.aclose()``, returning what it raised (GeneratorExit alone is fine)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return None
    try:
        await aclose()
    except anyio.get_cancelled_exc_class():
        raise
    except BaseException as exc:
        # A task group open across the ``yield`` wraps the GeneratorExit in a group.
        return None if _only_generator_exit(exc) else exc
    return None


def _only_generator_exit(exc: BaseException) -> bool:
    group = getattr(exc, "exceptions", None)
    if isinstance(group, tuple) and group:
        return all(isinstance(e, BaseException) and _only_generator_exit(e) for e in group)
    return isinstance(exc, GeneratorExit)


class _Item(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


#: What a pump hands a thread: an item, the iterator's exception, or None at the end.
_Reply = _Item[T] | _Failure | None


async def _open_pump(loop: _Loop, make: Callable[[], AsyncIterator[T]]) -> _Pump[T]:
    return _Pump(loop, make())  # in the loop: anyio objects need it


class _Pump(Generic[T]):
    """Drives one async iterator in one task of the loop: one item per request from a thread."""

    def __init__(self, loop: _Loop, iterator: AsyncIterator[T]) -> None:
        self._loop = loop
        self._iterator = iterator
        self._requests_in, self._requests = anyio.create_memory_object_stream[None](0)
        self._replies_in, self._replies = anyio.create_memory_object_stream[_Reply[T]](0)
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._state: Literal["new", "idle", "busy", "done"] = "new"
        self._close_error: BaseException | None = None

    async def run(self) -> None:
        if self._state != "new":  # closed before it started
            return
        self._state = "idle"
        self._loop.pumps.add(self)
        try:
            with self._scope:
                try:
                    async for _ in self._requests:
                        self._state = "busy"
                        reply = await self._pull()
                        self._state = "idle"
                        try:
                            await self._replies_in.send(reply)
                        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                            break
                        if not isinstance(reply, _Item):
                            break
                finally:
                    self._close_error = await _close_iterator(self._iterator)
        finally:
            self._state = "done"
            self._loop.pumps.discard(self)
            self._requests.close()
            self._replies_in.close()
            self._done.set()

    async def _pull(self) -> _Reply[T]:
        try:
            return _Item(await self._iterator.__anext__())
        except StopAsyncIteration:
            return None
        except Exception as exc:
            return _Failure(exc)

    async def next(self) -> _Reply[T]:
        """The next reply (runs as a task for the waiting thread)."""
        try:
            await self._requests_in.send(None)
            return await self._replies.receive()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
            raise RuntimeError(CLOSED) from None

    def finish(self) -> None:
        """No more items: the iterator closes once an item in progress is handed over."""
        self._requests_in.close()

    async def aclose(self) -> None:
        """End now (cancelling an item in progress nobody waits for) and wait until closed."""
        if self._state == "new":
            self.abandon()
            return
        if self._state == "busy":
            self._scope.cancel()
        self._requests_in.close()
        self._replies.close()
        await self._done.wait()
        error, self._close_error = self._close_error, None
        if isinstance(error, Exception):
            raise error
        if error is not None:
            raise RuntimeError(f"closing the async iterator raised {error!r}") from error

    def abandon(self) -> None:
        """End without waiting (from the loop thread, or once the loop has stopped)."""
        if self._state in ("idle", "busy"):
            self._scope.cancel()
        elif self._state == "new":
            self._state = "done"
            self._requests.close()
            self._replies_in.close()
        self._requests_in.close()
        self._replies.close()
