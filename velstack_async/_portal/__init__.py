"""The event loop thread behind `Velstack`, and the bridges the generated facade calls.

`Portal.start()` runs an anyio blocking portal: an event loop (asyncio) in a
daemon thread (`loop.LoopThread`). The generated sync services
(``velstack_async/_sync/``) call into it with `Portal.call` (coroutine
methods) and `Portal.iterate` (async iterators as plain iterators, each driven
by a `pump.Pump`). Calls from many threads run concurrently in the one loop,
each call and each iterator step in a copy of its calling thread's
`contextvars` context (`context`), so the caller's OpenTelemetry span and
context variables reach the SDK's spans and callbacks.

Closing (`Portal.close` on the root, or garbage collection, or interpreter
exit) refuses new calls, lets calls in progress finish, ends open iterations,
runs the registered closers (the `AsyncVelstack`'s ``aclose``) and stops the
loop. A call after close, or from the loop's own thread, raises
`RuntimeError`; from another thread running an event loop it works, with a
warning outside IPython (`guards`).

Which thread owns what is asserted (``assert``, so only in debug runs), not
promised in comments: the loop's bookkeeping and each pump's state are
touched in the loop thread only.
"""

from .guards import SyncClientInEventLoopWarning
from .portal import Portal, SyncResource

__all__ = ["Portal", "SyncClientInEventLoopWarning", "SyncResource"]
