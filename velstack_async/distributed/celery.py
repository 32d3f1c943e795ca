"""Distributed campaigns on Celery: ``register(app)`` gives the (sync) task that runs one chunk.

The task runs `RedisCampaign.run_worker` from its chunk on with ``anyio.run`` (any pool
but gevent/eventlet); liveness never depends on Celery redelivering.
"""

from __future__ import annotations

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
    """Register on ``app`` (a ``celery.Celery``) the chunk task for `RedisCampaign.enqueue`
    (``acks_late``, ``reject_on_worker_lost``); returns it. Keywords: `taskiq.register`'s."""

    def run_chunk(redis_url: str, campaign_id: str, index: int, hops: int = 0) -> bool:
        settings = (task, client_factory, concurrency, claims_dir)
        return anyio.run(run_chunk_task, *settings, redis_url, campaign_id, index, hops)

    task = app.task(name=task_name, acks_late=True, reject_on_worker_lost=True)(run_chunk)
    return task
