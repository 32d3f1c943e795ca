"""What a worker process does for a campaign: run chunks until none is left, and take over
the chunks of dead workers while it runs its own.

The main loop leases a chunk (the queue task's own first, then any free or lapsed
one) and runs it; when everything left is leased by live workers it polls (at most
every second), so it takes a chunk over as soon as its lease lapses. Meanwhile a
watcher looks for lapsed chunks every `watch_period` and runs one it finds next to
the main loop's. A process holds at most `_process.MAX_CHUNKS` chunks of a campaign
at once (other loops of the same process wait for a slot, holding no lease), and
its claims share one budget (``concurrency x batch_size`` recipients, `_process`),
so running two chunks never puts more recipients in flight.
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


async def lease_and_run(store: Store, lease: float, run: RunChunk, which: int) -> tuple[str, int]:
    """Lease chunk ``which`` (or `_ANY` / `_LAPSED`) and run it if granted.

    Returns (status, wait ms): ``finished`` or ``halted`` (it ran), else the lease's
    answer: ``done``, ``stopped``, ``busy`` or ``none``.
    """
    token = secrets.token_hex(8)
    status, chunk, wait = await store.run("LEASE", which, token, int(lease * 1000))
    if status != "ok":
        return str(status), int(wait)
    try:
        finished = await run(int(chunk), token)
    finally:
        store.local.forget(token)
    return ("finished" if finished else "halted"), 0


async def work(store: Store, lease: float, run: RunChunk, first: int | None) -> bool:
    """Run chunks (``first``, then free or lapsed ones) until the campaign is finished
    (True) or stopped (False), with the watcher alongside."""
    local = store.local
    finished = anyio.Event()
    outcome = False
    failure: list[Exception] = []  # raised once both ended (no exception group)

    async def main() -> None:
        try:
            await running()
        except Exception as exc:
            failure.insert(0, exc)

    async def running() -> None:
        nonlocal outcome
        await local.take_chunk(wait=True)
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
        finally:
            local.give_chunk()
            finished.set()

    async def watch() -> None:
        try:
            await watching()
        except Exception as exc:
            failure.append(exc)

    async def watching() -> None:
        while not finished.is_set():
            with anyio.move_on_after(watch_period(lease)):
                await finished.wait()
            if finished.is_set() or not await local.take_chunk(wait=False):
                continue
            try:
                status, _ = await lease_and_run(store, lease, run, _LAPSED)
            finally:
                local.give_chunk()
            if status in ("done", "stopped"):
                return

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        await main()
    if failure:
        raise failure[0]
    return outcome
