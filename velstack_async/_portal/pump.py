"""`Pump`: one async iterator, driven in one task of the loop, one item per request.

A thread iterating ``Portal.iterate`` asks for each item with a `Pump.next`
task; the pump's own task (`Pump.run`) pulls one item from the async
iterator (no read-ahead) and hands it over. Every step, and the iterator's
``aclose``, run in that one task, so an async generator holding a task group
or a cancel scope across its ``yield`` (``stream_bulk``) works. Each step
runs in a copy of the context of the thread that asked for it (the request
carries it), so a span the caller opened around ``next()`` is the parent of
what that step does; a context variable the iterator sets across a ``yield``
is therefore not seen by its next step (the SDK's iterators set none).

Everything but `Pump.discard` runs in the loop thread: asserted in debug.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextvars import Context
from typing import Any, Generic, Literal, TypeVar

import anyio

from .context import InContext, caller_context
from .guards import CLOSED

T = TypeVar("T")


class Item(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


class Failure:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


#: What a pump hands a thread: an item, the iterator's exception, or None at the end.
Reply = Item[T] | Failure | None


class Pump(Generic[T]):
    """Drives one async iterator in one task of the loop: one item per request from a thread."""

    def __init__(
        self, iterator: AsyncIterator[T], registry: set[Pump[Any]], loop_thread: int
    ) -> None:
        self._loop_thread = loop_thread
        assert self._in_loop(), "anyio objects are created in the loop thread"
        self._iterator = iterator
        self._registry = registry  # the loop's open pumps, which closing ends
        self._requests_in, self._requests = anyio.create_memory_object_stream[Context](0)
        self._replies_in, self._replies = anyio.create_memory_object_stream[Reply[T]](0)
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._state: Literal["new", "idle", "busy", "done"] = "new"
        self._close_error: BaseException | None = None
        registry.add(self)

    def _in_loop(self) -> bool:
        return threading.get_ident() == self._loop_thread

    async def run(self) -> None:
        """Serve requests until the iterator ends or fails, or the thread leaves."""
        assert self._in_loop()
        if self._state != "new":  # closed before it started
            return
        self._state = "idle"
        try:
            with self._scope:
                try:
                    async for context in self._requests:
                        self._state = "busy"
                        reply = await self._pull(context)
                        self._state = "idle"
                        try:
                            await self._replies_in.send(reply)
                        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                            break
                        if not isinstance(reply, Item):
                            break
                finally:
                    self._close_error = await close_iterator(self._iterator)
        finally:
            self._end()

    async def _pull(self, context: Context) -> Reply[T]:
        try:
            return Item(await InContext(context, self._iterator.__anext__()))
        except StopAsyncIteration:
            return None
        except Exception as exc:
            return Failure(exc)

    def _end(self) -> None:
        self._state = "done"
        self._registry.discard(self)
        self._requests.close()
        self._replies_in.close()
        self._done.set()

    async def next(self) -> Reply[T]:
        """The next reply (runs as a task for the waiting thread, in a copy of its context)."""
        assert self._in_loop()
        try:
            await self._requests_in.send(caller_context())
            return await self._replies.receive()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
            raise RuntimeError(CLOSED) from None

    def finish(self) -> None:
        """No more items (the loop is stopping): end once an item in progress is handed over."""
        assert self._in_loop()
        if self._state == "new":
            self._end()
        self._requests_in.close()

    async def aclose(self) -> None:
        """End now (cancelling an item in progress nobody waits for) and wait until closed."""
        assert self._in_loop()
        if self._state == "new":
            self.abandon()
            return
        if self._state == "busy":
            self._scope.cancel()
        self._close_thread_side()
        await self._done.wait()
        error, self._close_error = self._close_error, None
        if isinstance(error, Exception):
            raise error
        if error is not None:
            raise RuntimeError(f"closing the async iterator raised {error!r}") from error

    def abandon(self) -> None:
        """End without waiting (the thread's iterator was garbage-collected in the loop)."""
        assert self._in_loop()
        if self._state == "new":
            self._end()
        else:
            self._scope.cancel()
        self._close_thread_side()

    def discard(self) -> None:
        """Close the thread's side once the loop has stopped (any thread)."""
        assert self._state == "done", "the loop ends every pump before it stops"
        self._close_thread_side()

    def _close_thread_side(self) -> None:
        self._requests_in.close()
        self._replies.close()


async def close_iterator(iterator: AsyncIterator[Any]) -> BaseException | None:
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
