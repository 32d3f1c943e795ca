"""Distributed campaigns on taskiq: ``register(broker)`` gives the task that runs one chunk.

The task runs `RedisCampaign.run_worker` from its chunk on. Tasks of one process share
its chunk slots and claim budget, so ``--max-async-tasks`` does not raise what a killed
process can leave unknown; liveness never depends on taskiq redelivering. Broker
settings: see the docs, "Scaling out over Redis".
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
    """Register on ``broker`` (a taskiq ``AsyncBroker``) the task that runs one chunk, for
    `RedisCampaign.enqueue`; returns it. ``client_factory`` makes the client (default:
    ``AsyncVelstack()`` from the environment); ``concurrency``: batches in flight per worker
    process; ``claims_dir``: the machine's claim log."""

    async def run_chunk(redis_url: str, campaign_id: str, index: int, hops: int = 0) -> bool:
        work = run_chunk_task(
            task, client_factory, concurrency, claims_dir, redis_url, campaign_id, index, hops
        )
        if sys.version_info < (3, 11):
            # A task of its own: taskiq's done callback holds the set of running tasks
            # and 3.10's Task repr has no recursion guard, so anyio's cancel() (which
            # formats the current task) recursed through all of them.
            return await asyncio.ensure_future(work)
        return await work

    task = broker.register_task(run_chunk, task_name=task_name)
    return task
