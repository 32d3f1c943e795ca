"""A plain worker process (no queue): ``python -m tests.distributed.plain_worker``.

Runs `RedisCampaign.run_worker` on the campaign ``VS_TEST_CAMPAIGN`` in the Redis at
``VS_TEST_REDIS_URL`` with ``VS_TEST_CONCURRENCY`` batches in flight, the client from
the environment, until the campaign is finished or stopped.
"""

from __future__ import annotations

import os

import anyio

from velstack_async import AsyncVelstack
from velstack_async.distributed import RedisCampaign


async def main() -> None:
    campaign = await RedisCampaign.open(
        os.environ["VS_TEST_REDIS_URL"], os.environ["VS_TEST_CAMPAIGN"]
    )
    async with campaign, AsyncVelstack() as client:
        await campaign.run_worker(client, concurrency=int(os.environ["VS_TEST_CONCURRENCY"]))


if __name__ == "__main__":
    anyio.run(main)
