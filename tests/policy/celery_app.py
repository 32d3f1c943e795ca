"""A Celery app whose task sends with a send-once key, then fails and is retried.

``celery -A tests.policy.celery_app worker``; VS_TEST_BROKER_URL (Redis),
VS_TEST_POLICY_STORE and VS_TEST_ATTEMPTS (a file each attempt appends its
message id to) come from the environment, as do VELSTACK_API_KEY and VELSTACK_BASE_URL.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

from velstack_async import SendingPolicy, Velstack

broker = os.environ.get("VS_TEST_BROKER_URL", "redis://127.0.0.1/1")
app = Celery("velstack-policy-test", broker=broker, backend=broker)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(bind=True, max_retries=3)  # type: ignore[untyped-decorator]
def ship_notice(self: Any, order: int) -> str:
    """Text the customer, then fail (as a later step of a real task might) until retry 2."""
    policy = SendingPolicy(os.environ["VS_TEST_POLICY_STORE"])
    with Velstack(policy=policy) as client:
        summary = client.sms.send(
            recipient="0205550368",
            message=f"Order {order} shipped",
            sender="SHOP",
            idempotency_key=f"order-{order}-shipped",
        )
    policy.close()
    with open(os.environ["VS_TEST_ATTEMPTS"], "a") as attempts:
        attempts.write(summary.message_id + "\n")
    if self.request.retries < 2:
        raise self.retry(countdown=0, exc=RuntimeError("the warehouse API timed out"))
    return summary.message_id
