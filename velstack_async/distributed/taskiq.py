"""Distributed campaigns on taskiq: ``register(broker)`` gives the task that runs one chunk.

The task runs `RedisCampaign.run_worker` from its chunk on. A process's tasks share its
chunk slots and claim budget (``--max-async-tasks`` does not raise what a killed process
can leave unknown); liveness never depends on taskiq redelivering.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from .campaign import DEFAULT_CONCURRENCY, DEFAULT_TASK_NAME, ClientFactory, run_chunk_task

__all__ = ["register"]


def register(
    broker: Any,
    *,
    client_factory: ClientFactory | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    task_name: str = DEFAULT_TASK_NAME,
    claims_dir: str | Path | None = None,
) -> Any:
    """Register on ``broker`` (a taskiq ``AsyncBroker``) the chunk task for `RedisCampaign.enqueue`;
    returns it. The keywords are as in `RedisCampaign.run_worker` (``client_factory``:
    ``AsyncVelstack()`` from the environment by default)."""

    async def run_chunk(redis_url: str, campaign_id: str, index: int, hops: int = 0) -> bool:
        work = run_chunk_task(
            task, client_factory, concurrency, claims_dir, redis_url, campaign_id, index, hops
        )
        if sys.version_info < (3, 11):
            # A task of its own: 3.10's Task repr (formatted by anyio's cancel()) recursed
            # through taskiq's set of running tasks held by its done callback.
            return await asyncio.ensure_future(work)
        return await work

    task = broker.register_task(run_chunk, task_name=task_name)
    return task
