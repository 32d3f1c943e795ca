"""The caller's context: each sync call, and each step of a sync iterator, runs in a copy of it.

`caller_context` is taken in the thread calling `Velstack` (a copy of its
`contextvars` context: the OpenTelemetry span it has open, any context
variable it set); `run_in` awaits a coroutine in the loop with every step of
it run inside that copy (``Context.run``), whichever task drives it. So the
SDK's request spans are children of the caller's span, and an ``on_result``
callback sees the caller's context variables. Tasks the coroutine starts
(the workers of ``send_bulk``) copy it, as tasks do.

This works the same on every Python the SDK supports (3.10 has no
``create_task(context=...)``), and on a pump's one task, whose steps each
come from a different ``next()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from contextvars import Context, ContextVar, copy_context
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["InContext", "caller_context", "run_in"]

_LIBRARY: ContextVar[str | None] | None
try:  # anyio uses sniffio when it is installed
    from sniffio import current_async_library_cvar as _LIBRARY
except ImportError:  # pragma: no cover - sniffio comes with anyio's usual installs
    _LIBRARY = None


def caller_context() -> Context:
    """A copy of this thread's context, for work the loop thread does on its behalf.

    A caller inside another async library (trio under anyio, say) has that
    library's name in sniffio's context variable: in the copy it is asyncio,
    the loop's own, so anyio and sniffio see the loop that actually runs.
    """
    context = copy_context()
    library = _LIBRARY
    if library is not None and context.get(library) not in (None, "asyncio"):
        context.run(library.set, "asyncio")
    return context


def run_in(context: Context, awaitable: Awaitable[T]) -> Generator[Any, Any, T]:
    """``await awaitable`` with each of its steps run in ``context`` (use: ``await``-able).

    Whatever the driving task sends or throws in (a result, a cancellation)
    is passed on, inside ``context``; closing this closes the awaitable there.
    """
    steps = awaitable.__await__()
    run = context.run
    send = steps.send
    throw = steps.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            signal = run(send, value) if error is None else run(throw, error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        error = None
        try:
            value = yield signal
        except GeneratorExit:
            run(steps.close)
            raise
        except BaseException as exc:
            value = None
            error = exc


class InContext(Awaitable[T]):
    """An awaitable running ``awaitable`` in ``context`` (see `run_in`)."""

    __slots__ = ("_awaitable", "_context")

    def __init__(self, context: Context, awaitable: Awaitable[T]) -> None:
        self._context = context
        self._awaitable = awaitable

    def __await__(self) -> Generator[Any, Any, T]:
        return run_in(self._context, self._awaitable)
