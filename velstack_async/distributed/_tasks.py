"""What a queue task of a distributed campaign does, whatever the queue.

The first task a process receives runs the campaign (`RedisCampaign.run_worker` from its
chunk on) until it is finished or stopped. A task reaching a process that already runs it
goes back to the queue (at once the first time, then every half lease), so a consumer
that read many tasks never sits on them. Liveness never depends on the queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio

from .campaign import DEFAULT_CONCURRENCY, RedisCampaign

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TASK_NAME",
    "ClientFactory",
    "Requeue",
    "default_client",
    "run_chunk_task",
]

#: Makes the client a task sends with (an `AsyncVelstack`; by default from the environment:
#: ``VELSTACK_API_KEY``, ``VELSTACK_BASE_URL``).
ClientFactory = Callable[[], AbstractAsyncContextManager[Any]]
DEFAULT_TASK_NAME = "velstack.campaign.run_chunk"
#: Sends the task again: (redis url, campaign id, chunk, hops).
Requeue = Callable[[str, str, int, int], Awaitable[None]]
#: Longest a surplus task waits before it goes back to the queue (seconds).
_MAX_HOP_WAIT = 10.0


def default_client() -> AbstractAsyncContextManager[Any]:
    from .._client import AsyncVelstack

    return AsyncVelstack()


async def run_chunk_task(
    factory: ClientFactory | None,
    concurrency: int,
    claims_dir: str | Path | None,
    requeue: Requeue,
    redis_url: str,
    campaign_id: str,
    index: int,
    hops: int,
) -> bool:
    """Run the campaign from chunk ``index`` on (see the module), or, in a process that
    already runs it, go back to the queue. True if the campaign finished."""
    campaign = await RedisCampaign.open(redis_url, campaign_id)
    async with campaign:
        local = campaign._store.local
        if not await local.take("loops", wait=False):
            if hops:
                await anyio.sleep(min(campaign.settings.lease / 2, _MAX_HOP_WAIT))
            status = await campaign.status()
            if status["stopped"] is None and (status["chunks_left"] or not status["loaded"]):
                await requeue(redis_url, campaign_id, index, hops + 1)
            return False
        try:
            async with (factory or default_client)() as client:
                return await campaign.run_worker(
                    client, concurrency=concurrency, claims_dir=claims_dir, first=index
                )
        finally:
            local.give("loops")
