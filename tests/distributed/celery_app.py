"""The Celery app the test workers run: ``celery -A tests.distributed.celery_app worker``."""

from __future__ import annotations

import os

from celery import Celery

from velstack_async.distributed import celery as vs_celery

app = Celery("velstack-test", broker=os.environ.get("VS_TEST_BROKER_URL", "redis://127.0.0.1/1"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_transport_options={"visibility_timeout": 3600},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
run_chunk = vs_celery.register(app, concurrency=int(os.environ.get("VS_TEST_CONCURRENCY", "4")))
