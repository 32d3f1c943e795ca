"""What a queue task of a distributed campaign does, whatever the queue: run a chunk, sweep."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
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
    factory: ClientFactory | None,
    concurrency: int,
    claims_dir: str | Path | None,
    redis_url: str,
    campaign_id: str,
    index: int,
) -> bool:
    """Run chunk ``index``, then every free or lapsed chunk until the campaign is finished
    or stopped (`RedisCampaign.run_worker`), so it finishes even when the queue never
    delivers or redelivers a task (a whole worker instance died holding them). True if
    the campaign finished. Tasks of one process share its chunk slots and claim budget;
    a task that arrives after the campaign finished returns at once."""
    campaign = await RedisCampaign.open(redis_url, campaign_id)
    async with campaign, (factory or default_client)() as client:
        return await campaign.run_worker(
            client, concurrency=concurrency, claims_dir=claims_dir, first=index
        )
