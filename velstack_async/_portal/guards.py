"""What a thread calling `Velstack` may do, and the messages when it may not.

A call from the client's own event loop thread (a callback such as
``on_result``) would deadlock: it raises. A call from a thread that runs
another event loop works but blocks that loop: outside IPython/Jupyter (whose
cells run in a loop) that is usually an async app that wanted `AsyncVelstack`,
so the first such call in the process emits a `SyncClientInEventLoopWarning`.
"""

from __future__ import annotations

import sys
import warnings

from .._asynclib import current_async_library

MAYBE_SENT = "(a send may have been processed: check before resending)"
CLOSED = "this Velstack client is closed"
CLOSED_DURING_CALL = f"the Velstack client was closed while this call was in progress {MAYBE_SENT}"
LOOP_DIED = f"the Velstack client's event loop thread has stopped unexpectedly {MAYBE_SENT}"
UNRESPONSIVE = (
    "the Velstack client's event loop has not answered for {seconds:g} s (the client's "
    "longest timeout plus a margin): something blocks its thread, such as a slow on_result "
    f"callback or input iterable. The call was given up and cancelled {MAYBE_SENT}."
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


def check_calling_thread(in_own_loop: bool) -> None:
    """Refuse the portal's own loop thread; warn once about any other event loop thread."""
    global _warned
    if in_own_loop:
        raise RuntimeError(IN_OWN_LOOP)
    loop_name = None if _warned else current_async_library()
    if loop_name is None or in_ipython():
        return
    _warned = True  # two threads racing here may both warn: harmless
    frame, level = sys._getframe(), 1  # point the warning at the caller's line
    while frame.f_back is not None and str(frame.f_globals.get("__name__")).startswith(
        "velstack_async."
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(IN_EVENT_LOOP.format(loop_name), SyncClientInEventLoopWarning, stacklevel=level)


def in_ipython() -> bool:
    """Whether an IPython shell (a Jupyter kernel, the IPython REPL) runs in this process."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return callable(get_ipython) and get_ipython() is not None
