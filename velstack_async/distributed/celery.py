"""Distributed campaigns on Celery: ``register(app)`` gives the (sync) task that runs one chunk.

    run_chunk = vs_celery.register(app)  # producer: await campaign.enqueue(run_chunk)

The task runs `RedisCampaign.run_worker` from its chunk on with ``anyio.run`` (any pool
but gevent/eventlet). Queue settings (``acks_late``, prefetch 1, the visibility timeout):
see the docs, "Scaling out over Redis"; liveness never depends on Celery redelivering.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import anyio

from .campaign import DEFAULT_CONCURRENCY, DEFAULT_TASK_NAME, ClientFactory, run_chunk_task

__all__ = ["register"]


def register(
    app: Any,
    *,
    client_factory: ClientFactory | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    task_name: str = DEFAULT_TASK_NAME,
    claims_dir: str | Path | None = None,
) -> Any:
    """Register on ``app`` (a ``celery.Celery``) the task that runs one chunk; returns it.

    Registered with ``acks_late=True`` and ``reject_on_worker_lost=True``. Pass the task
    to `RedisCampaign.enqueue`. ``concurrency`` is the batches in flight per worker
    process; ``claims_dir`` keeps the machine's claim log.
    """

    def run_chunk(redis_url: str, campaign_id: str, index: int, hops: int = 0) -> bool:
        call = functools.partial(
            run_chunk_task,
            *(client_factory, concurrency, claims_dir, requeue),
            *(redis_url, campaign_id, index, hops),
        )
        return anyio.run(call)

    task = app.task(name=task_name, acks_late=True, reject_on_worker_lost=True)(run_chunk)

    async def requeue(redis_url: str, campaign_id: str, index: int, hops: int) -> None:
        args = (redis_url, campaign_id, index, hops)
        await anyio.to_thread.run_sync(functools.partial(task.apply_async, args=args))

    return task
