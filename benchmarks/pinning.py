"""Keeping the fake server and the client under test on separate CPUs (Linux).

The fake server stands in for Velstack, which runs on other machines: a
client never competes with it for CPU in production. On a small machine the
two would otherwise share every core, and the scheduler's placement (plus
load from elsewhere) decides the figures as much as the clients do. Pinned,
the server owns the first CPU and every client cell runs on the others.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["client_cpus", "pin", "server_cpus"]


def _available() -> list[int]:
    if not hasattr(os, "sched_getaffinity"):  # not Linux
        return []
    return sorted(os.sched_getaffinity(0))


def server_cpus() -> set[int] | None:
    """The CPU for the server, or None when pinning is not possible (fewer than 2 CPUs)."""
    cpus = _available()
    return {cpus[0]} if len(cpus) >= 2 else None


def client_cpus() -> set[int] | None:
    """The CPUs for the client cells (all but the server's), or None."""
    cpus = _available()
    return set(cpus[1:]) if len(cpus) >= 2 else None


def pin(pid: int, cpus: set[int]) -> None:
    """Move every thread of process ``pid`` to ``cpus`` (threads it starts later inherit)."""
    tasks = Path(f"/proc/{pid}/task")
    threads = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    for thread in threads:
        with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
            os.sched_setaffinity(thread, cpus)
