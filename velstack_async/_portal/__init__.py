"""The event loop thread behind `Velstack`, and the bridges the generated facade calls.

`Portal` (``portal``) gives a sync client, in each process, an asyncio loop in
a daemon thread (``loop``: an anyio `BlockingPortal` plus what it lacks) and
the `AsyncVelstack` made in it, both at the first call; a forked child makes
its own. The generated services (``velstack_async/_sync/``) call into it with
`Portal.call` and `Portal.iterate`. ``guards`` says which threads may call.
"""

from .guards import SyncClientInEventLoopWarning
from .portal import Portal, SyncResource

__all__ = ["Portal", "SyncClientInEventLoopWarning", "SyncResource"]
