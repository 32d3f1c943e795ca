"""One process sending with send-once keys: ``python -m tests.policy.send_child STORE N``.

Reads VELSTACK_API_KEY and VELSTACK_BASE_URL; waits for a start file (so two processes
begin together), sends N keyed messages concurrently, and prints the message ids as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import anyio

from velstack_async import AsyncVelstack, SendingPolicy


async def main(store: str, count: int) -> None:
    ids: dict[str, str] = {}
    policy = SendingPolicy(store)
    async with AsyncVelstack(policy=policy) as client:

        async def send(i: int) -> None:
            summary = await client.sms.send(
                recipient=f"020555{i:04d}",
                message=f"Order {i} shipped",
                sender="SHOP",
                idempotency_key=f"order-{i}-shipped",
            )
            ids[str(i)] = summary.message_id

        async with anyio.create_task_group() as tg:
            for i in range(count):
                tg.start_soon(send, i)
    policy.close()
    print(json.dumps(ids), flush=True)


if __name__ == "__main__":
    while not Path(sys.argv[3]).exists():  # both processes start together
        time.sleep(0.01)
    anyio.run(main, sys.argv[1], int(sys.argv[2]))
