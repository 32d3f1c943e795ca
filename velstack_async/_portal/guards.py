"""What a thread calling `Velstack` may do, and the messages when it may not.

A call from the client's own event loop thread (a callback such as
``on_result``) would deadlock: it raises. A call from a thread that runs
another event loop works, since the client's loop runs in its own thread, but
blocks that loop: outside IPython/Jupyter (whose cells always run in a loop)
that is usually an async app that wanted `AsyncVelstack`, so the first such
call in the process emits a `SyncClientInEventLoopWarning`.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings

from .._asynclib import current_async_library

CLOSED = "this Velstack client is closed"
CLOSED_DURING_CALL = (
    "the Velstack client was closed while this call was in progress "
    "(a send may have been processed: check before resending)"
)
LOOP_DIED = (
    "the Velstack client's event loop thread has stopped unexpectedly; the call cannot "
    "complete (a send may have been processed: check before resending)"
)
UNRESPONSIVE = (
    "the Velstack client's event loop has not answered for {seconds:g} s (the client's "
    "longest timeout plus a margin): something blocks its thread, such as a slow on_result "
    "callback or input iterable. Gave up waiting and cancelled the call (a send may have "
    "been processed: check before resending)."
)
FORKED_ITERATION = (
    "this iteration was started in the parent process, before it forked: start it again "
    "in this process (the client itself works here)"
)
IN_OWN_LOOP = (
    "Velstack (the sync client) was called from its own event loop thread (from a callback "
    "such as on_result, or an iterable it reads), where it would deadlock. Collect what you "
    "need and call the client after the call returns, or use AsyncVelstack in async code."
)
IN_EVENT_LOOP = (
    "Velstack (the sync client) was called from a thread running an {} event loop: each call "
    "blocks that loop until it is done. In async code use AsyncVelstack and await its "
    "methods. (Shown once per process; not shown in IPython or Jupyter.)"
)


class SyncClientInEventLoopWarning(RuntimeWarning):
    """`Velstack` was called from a thread running an event loop, outside IPython/Jupyter."""


_warned = False
_warn_lock = threading.Lock()


def _after_fork_in_child() -> None:  # another thread of the parent may have held the lock
    global _warn_lock
    _warn_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def check_calling_thread(in_own_loop: bool) -> None:
    """Refuse the portal's own loop thread; warn once about any other event loop thread."""
    if in_own_loop:
        raise RuntimeError(IN_OWN_LOOP)
    if _warned:
        return
    loop_name = current_async_library()
    if loop_name is not None and not in_ipython():
        _warn_once(IN_EVENT_LOOP.format(loop_name))


def in_ipython() -> bool:
    """Whether an IPython shell (a Jupyter kernel, the IPython REPL) runs in this process."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return callable(get_ipython) and get_ipython() is not None


def _warn_once(message: str) -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    # Point the warning at the caller's line, outside this package.
    frame = sys._getframe()
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "velstack_async."
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, SyncClientInEventLoopWarning, stacklevel=level)
