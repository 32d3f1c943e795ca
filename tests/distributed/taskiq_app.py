"""The taskiq app the test workers run: ``taskiq worker tests.distributed.taskiq_app:broker``."""

from __future__ import annotations

import os

from taskiq_redis import RedisStreamBroker

from velstack_async.distributed import taskiq as vs_taskiq

#: One message at a time per read (as the docs advise), so tasks spread over the workers.
broker = RedisStreamBroker(
    os.environ.get("VS_TEST_BROKER_URL", "redis://127.0.0.1:6379/1"),
    xread_count=int(os.environ.get("VS_TEST_XREAD_COUNT", "1")),
    xread_block=200,
    idle_timeout=600_000,
)
run_chunk = vs_taskiq.register(broker, concurrency=int(os.environ.get("VS_TEST_CONCURRENCY", "4")))
