"""A worker process runs chunks until none is left (a queue task's own first, then any
free or lapsed one), and a watcher takes over a dead worker's lapsed chunk within
`watch_period`. A process's chunks (at most `_process.MAX_CHUNKS`) share one claim budget.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import anyio

from ._store import Store

__all__ = ["RunChunk", "lease_and_run", "watch_period", "work"]

#: Runs one leased chunk under a token; True if it finished (see `campaign.RedisCampaign`).
RunChunk = Callable[[int, str], Awaitable[bool]]
_ANY, _LAPSED = -1, -2


def watch_period(lease: float) -> float:
    """How often the watcher looks for lapsed chunks: a takeover waits at most lease + this."""
    return min(1.0, lease / 4)


async def lease_and_run(
    store: Store, lease: float, run: RunChunk, which: int, *, wait: bool = True
) -> tuple[str, int]:
    """In one of the process's chunk slots (without ``wait``: ``busy`` if none is free),
    lease chunk ``which`` (or `_ANY` / `_LAPSED`) and run it if granted. Returns (status,
    wait ms): ``finished`` or ``halted`` (it ran), else ``done``, ``stopped``, ``busy``,
    ``none``."""
    local, token = store.local, secrets.token_hex(8)
    if not await local.take("chunks", wait=wait):
        return "busy", 0
    try:
        status, chunk, ms = await store.run("LEASE", which, token, int(lease * 1000))
        if status != "ok":
            return str(status), int(ms)
        finished = await run(int(chunk), token)
    finally:
        local.forget(token)
        local.give("chunks")
    return ("finished" if finished else "halted"), 0


async def work(store: Store, lease: float, run: RunChunk, first: int | None) -> bool:
    """Run chunks (``first``, then free or lapsed ones) until the campaign is finished
    (True) or stopped (False), with the watcher alongside."""
    finished = anyio.Event()
    outcome = False
    failure: list[Exception] = []  # raised once both ended (no exception group)

    async def running() -> None:
        nonlocal outcome
        try:
            if first is not None:
                await lease_and_run(store, lease, run, first)
            while True:
                status, wait = await lease_and_run(store, lease, run, _ANY)
                if status in ("done", "stopped"):
                    outcome = status == "done"
                    return
                if status in ("busy", "none"):  # all leased by live workers (or still loading)
                    await anyio.sleep(min(max(wait / 1000, 0.05), 1.0))
        except Exception as exc:
            failure.insert(0, exc)
        finally:
            finished.set()

    async def watching() -> None:
        try:
            while not finished.is_set():
                with anyio.move_on_after(watch_period(lease)):
                    await finished.wait()
                if finished.is_set():
                    continue
                status, _ = await lease_and_run(store, lease, run, _LAPSED, wait=False)
                if status in ("done", "stopped"):
                    return
        except Exception as exc:
            failure.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watching)
        await running()
    if failure:
        raise failure[0]
    return outcome
