"""Distributed campaigns on Celery: ``register(app)`` gives the (sync) task that runs one chunk.

```python
from celery import Celery
from velstack_async.distributed import celery as vs_celery

app = Celery("sms", broker="redis://127.0.0.1:6379/1")
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True,
                worker_prefetch_multiplier=1,
                broker_transport_options={"visibility_timeout": 6 * 3600})
run_chunk = vs_celery.register(app)
# producer: await campaign.enqueue(run_chunk); workers: celery -A myapp worker
```

The task runs its chunk, then every free or lapsed chunk until the campaign is
finished (`RedisCampaign.run_worker`), with ``anyio.run`` (asyncio), so it fits any pool
but gevent/eventlet (use prefork, solo or threads). It takes over a dead worker's chunk
within its lease plus a second whether or not Celery redelivers anything. Queue settings
that help: ``acks_late`` and ``task_reject_on_worker_lost`` (a task whose worker died is
redelivered), prefetch 1 (a worker does not sit on tasks), a visibility timeout far above
a campaign's duration (Redis redelivers unacknowledged tasks after it: an hour by
default; a redelivered task of a finished campaign does nothing).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import anyio

from ._tasks import DEFAULT_CONCURRENCY, DEFAULT_TASK_NAME, ClientFactory, run_chunk_task

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
