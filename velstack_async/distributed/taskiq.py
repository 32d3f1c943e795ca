"""Distributed campaigns on taskiq: ``register(broker)`` gives the task that runs one chunk.

```python
from taskiq_redis import RedisStreamBroker
from velstack_async.distributed import RedisCampaign, taskiq as vs_taskiq

broker = RedisStreamBroker("redis://127.0.0.1:6379/1", idle_timeout=600_000)
run_chunk = vs_taskiq.register(broker)
# producer: campaign = await RedisCampaign.create(...); await campaign.load(...)
#           await campaign.enqueue(run_chunk)
# workers:  taskiq worker myapp:broker
```

Queue settings that matter: with ``RedisStreamBroker`` a task is acknowledged after it ran
(``--ack-type when_executed``, the default) and a lost one is reclaimed only after
``idle_timeout`` ms and only when new messages arrive: keep ``idle_timeout`` well above a
chunk's duration. Liveness never depends on it: chunk leases and the sweep after each task
finish every chunk of a dead worker.
"""

from __future__ import annotations

from typing import Any

from ._tasks import DEFAULT_CONCURRENCY, DEFAULT_TASK_NAME, ClientFactory, run_chunk_task

__all__ = ["register"]


def register(
    broker: Any,
    *,
    client_factory: ClientFactory | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    task_name: str = DEFAULT_TASK_NAME,
) -> Any:
    """Register on ``broker`` (a taskiq ``AsyncBroker``) the task that runs one chunk.

    Returns the task; pass it to `RedisCampaign.enqueue`. ``client_factory`` makes the
    client (default: ``AsyncVelstack()`` from the environment); ``concurrency`` is the
    batches in flight per task.
    """

    async def run_chunk(redis_url: str, campaign_id: str, index: int) -> bool:
        return await run_chunk_task(client_factory, concurrency, redis_url, campaign_id, index)

    return broker.register_task(run_chunk, task_name=task_name)
