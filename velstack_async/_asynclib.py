"""Which async library runs the current task, without depending on sniffio.

anyio no longer requires sniffio, so the SDK asks the two libraries it
supports directly.
"""

from __future__ import annotations

import sys

__all__ = ["current_async_library"]


def current_async_library() -> str | None:
    """ "asyncio", "trio", or None outside any event loop."""
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return "trio"
    asyncio = sys.modules.get("asyncio")  # not imported: no asyncio loop runs (a light import)
    if asyncio is None:
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return "asyncio"
