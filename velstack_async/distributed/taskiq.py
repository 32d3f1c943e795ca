"""Distributed campaigns on taskiq: ``register(broker)`` gives the task that runs one chunk.

```python
from taskiq_redis import RedisStreamBroker
from velstack_async.distributed import RedisCampaign, taskiq as vs_taskiq

broker = RedisStreamBroker("redis://127.0.0.1:6379/1", xread_count=1, idle_timeout=600_000)
run_chunk = vs_taskiq.register(broker)
# producer: campaign = await RedisCampaign.create(...); await campaign.load(...)
#           await campaign.enqueue(run_chunk)
# workers:  taskiq worker myapp:broker --max-async-tasks 2 --max-prefetch 0
```

A task runs its chunk, then every free or lapsed chunk until the campaign is finished
(`RedisCampaign.run_worker`), and takes over a dead worker's chunk within its lease
plus a second whether or not taskiq ever redelivers anything. Tasks of one process
share its chunk slots (two at once) and its claim budget (``concurrency x batch_size``
recipients), so ``--max-async-tasks`` does not raise what a killed process can leave
unknown. ``xread_count=1`` (taskiq-redis reads 100 messages per ``XREADGROUP`` by
default) keeps one instance from taking every message of the campaign; with it or
without, a lost message never stalls the campaign.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from ._tasks import DEFAULT_CONCURRENCY, DEFAULT_TASK_NAME, ClientFactory, run_chunk_task

__all__ = ["register"]


def register(
    broker: Any,
    *,
    client_factory: ClientFactory | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    task_name: str = DEFAULT_TASK_NAME,
    claims_dir: str | Path | None = None,
) -> Any:
    """Register on ``broker`` (a taskiq ``AsyncBroker``) the task that runs one chunk.

    Returns the task; pass it to `RedisCampaign.enqueue`. ``client_factory`` makes the
    client (default: ``AsyncVelstack()`` from the environment); ``concurrency`` is the
    batches in flight per worker process; ``claims_dir`` keeps the machine's claim log.
    """

    async def run_chunk(redis_url: str, campaign_id: str, index: int, hops: int = 0) -> bool:
        work = run_chunk_task(
            client_factory, concurrency, claims_dir, requeue, redis_url, campaign_id, index, hops
        )
        if sys.version_info < (3, 11):
            # In a task of its own: taskiq's done callback on its task holds the set of
            # the running tasks, and 3.10's Task repr has no recursion guard (3.11 added
            # it), so formatting one of them recursed through all the others (hung for
            # minutes at 4 tasks); anyio formats the current task at every cancel().
            # Cancelling taskiq's task cancels the one it awaits.
            return await asyncio.ensure_future(work)
        return await work

    task = broker.register_task(run_chunk, task_name=task_name)

    async def requeue(redis_url: str, campaign_id: str, index: int, hops: int) -> None:
        await task.kiq(redis_url, campaign_id, index, hops)

    return task
