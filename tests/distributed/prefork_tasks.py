"""A Celery ``tasks.py`` as users write it: a module-level `Velstack`, used by a task.

``celery -A tests.distributed.prefork_tasks worker --pool prefork``; the broker (and
result backend) URL comes from VS_TEST_BROKER_URL, the fake's address from
VELSTACK_API_KEY and VELSTACK_BASE_URL. With VS_TEST_WARM_UP=1 the worker's
main process sends once while importing this module, before it forks its
pool: the children then inherit a running loop thread and a pooled
connection.
"""

from __future__ import annotations

import os

from celery import Celery

from velstack_async import Velstack

broker = os.environ.get("VS_TEST_BROKER_URL", "redis://127.0.0.1/1")
app = Celery("velstack-fork-test", broker=broker, backend=broker)
app.conf.update(broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)

sms = Velstack()

if os.environ.get("VS_TEST_WARM_UP") == "1":
    sms.sms.send(recipient="0205550368", message="from the main process", sender="VELSTACK")


@app.task(name="tests.notify")  # type: ignore[untyped-decorator]
def notify(number: str, text: str) -> tuple[int, str]:
    """Text ``number``; the worker process's pid and the message id."""
    summary = sms.sms.send(recipient=number, message=text, sender="VELSTACK")
    return os.getpid(), summary.message_id
