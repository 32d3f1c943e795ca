"""What a queue task of a distributed campaign does, whatever the queue: run a chunk, sweep."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from .campaign import DEFAULT_CONCURRENCY, RedisCampaign

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TASK_NAME",
    "ClientFactory",
    "default_client",
    "run_chunk_task",
]

#: Makes the client a task sends with (an `AsyncVelstack`; by default from the environment:
#: ``VELSTACK_API_KEY``, ``VELSTACK_BASE_URL``).
ClientFactory = Callable[[], AbstractAsyncContextManager[Any]]
DEFAULT_TASK_NAME = "velstack.campaign.run_chunk"


def default_client() -> AbstractAsyncContextManager[Any]:
    from .._client import AsyncVelstack

    return AsyncVelstack()


async def run_chunk_task(
    factory: ClientFactory | None, concurrency: int, redis_url: str, campaign_id: str, index: int
) -> bool:
    """Run chunk ``index``, then sweep: take chunks whose lease lapsed (their worker died)
    and wait while what is left is leased by live workers, so the campaign always finishes
    even when the queue never redelivers a lost task."""
    campaign = await RedisCampaign.open(redis_url, campaign_id)
    async with campaign, (factory or default_client)() as client:
        finished = await campaign.run_chunk(client, index, concurrency=concurrency)
        await campaign.sweep(client, concurrency=concurrency)
    return finished
