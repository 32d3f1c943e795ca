"""The event loop thread behind `Velstack`, and the bridges the generated facade calls.

A `Portal` runs an anyio blocking portal: an event loop (asyncio) in a daemon
thread (`loop.LoopThread`), started, with the `AsyncVelstack` it serves, at
the first call in each process (a forked child starts its own; see
`portal`). The generated sync services (``velstack_async/_sync/``) call into
it with `Portal.call` (coroutine methods) and `Portal.iterate` (async
iterators as plain iterators, one ``__anext__`` per ``next()``). Calls from
many threads run concurrently in the one loop, each in a copy of its calling
thread's `contextvars` context, so the caller's OpenTelemetry span and
context variables reach the SDK's spans and callbacks.

No call waits forever: a thread waiting on the loop gives up with
`TimeoutError` once the loop has not answered for the client's longest
timeout plus a margin, or at once if its thread died.

Closing (`Portal.close` on the root, or garbage collection, or interpreter
exit) refuses new calls, lets calls in progress finish, ends open iterations,
runs the closer (the `AsyncVelstack`'s ``aclose``) and stops the loop. A call
after close, or from the loop's own thread, raises `RuntimeError`; from
another thread running an event loop it works, with a warning outside
IPython (`guards`).
"""

from .guards import SyncClientInEventLoopWarning
from .portal import Portal, SyncResource

__all__ = ["Portal", "SyncClientInEventLoopWarning", "SyncResource"]
