"""An asyncio worker pool draining a queue of SMS jobs through one `AsyncVelstack`.

Run it::

    VELSTACK_API_KEY=... VELSTACK_SENDER=MyShop python examples/worker.py 0205550368 0248297302

A few workers share one client (one connection pool, one rate-limit pause:
a 429 pauses them all). A failed job is recorded, not retried: the SDK
already retried what was safe to retry, and a send with
``exc.may_have_been_sent`` must not be repeated blindly. For thousands of
recipients of one campaign, ``client.sms.send_bulk`` does all this for you.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from velstack_async import AsyncVelstack, VelstackError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendJob:
    to: str
    message: str


@dataclass(frozen=True)
class JobResult:
    job: SendJob
    message_id: str | None = None
    error: VelstackError | None = None


async def _work(
    client: AsyncVelstack,
    queue: asyncio.Queue[SendJob],
    sender: str,
    results: list[JobResult],
) -> None:
    while True:
        job = await queue.get()
        try:
            summary = await client.sms.send(recipient=job.to, message=job.message, sender=sender)
        except VelstackError as exc:
            logger.warning("SMS job failed: %s", exc)  # masked numbers, no message text
            results.append(JobResult(job, error=exc))
        else:
            results.append(JobResult(job, message_id=summary.message_id))
        finally:
            queue.task_done()


async def drain(
    client: AsyncVelstack, queue: asyncio.Queue[SendJob], *, sender: str, workers: int = 4
) -> list[JobResult]:
    """Send every job in ``queue`` with ``workers`` workers; return the results once it is empty."""
    results: list[JobResult] = []
    tasks = [asyncio.create_task(_work(client, queue, sender, results)) for _ in range(workers)]
    try:
        await queue.join()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def main(numbers: Sequence[str]) -> int:
    queue: asyncio.Queue[SendJob] = asyncio.Queue()
    for number in numbers:
        queue.put_nowait(SendJob(number, "Your appointment is tomorrow at 10:00."))
    async with AsyncVelstack() as client:  # VELSTACK_API_KEY from the environment
        results = await drain(client, queue, sender=os.environ.get("VELSTACK_SENDER", "VELSTACK"))
    failed = [r for r in results if r.error is not None]
    print(f"{len(results) - len(failed)} sent, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
