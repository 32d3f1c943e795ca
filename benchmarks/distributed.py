"""Distributed campaigns: Redis's cost per message, and 1, 2, 4 worker processes.

    python benchmarks/distributed.py            # both parts (about a minute)
    python benchmarks/distributed.py --quick    # smaller campaigns

Part 1, Redis overhead: one worker process runs a campaign whose client answers
every send at once in-process (no HTTP: what remains is the campaign's own
work, almost all of it Redis round trips: pause gate and rate slot, claim,
outcome, leases). Client CPU (user + system, ``getrusage``) per message, with
grouping (``batch_size`` 100 and 10: one claim and one outcome script per
batch) and without (``batch_size=1``: three round trips per message).

Part 2, scaling: ``velstack campaign worker`` processes (1, 2, 4) against the
loopback fake (``python -m velstack_async.testing serve`` in its own process),
``batch_size`` 10; wall-clock messages per second from the first worker's start
to the last chunk. Redis: a fresh ``redis-server`` with ``appendfsync always``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import anyio

from velstack_async import SmsSummary
from velstack_async.distributed import RedisCampaign
from velstack_async.distributed._store import Store
from velstack_async.testing import serve_in_subprocess

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.distributed.redis_server import RedisServer


class _InstantSms:
    """Answers every send at once, accepting every number (the network cut out)."""

    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary:
        numbers = tuple(recipient.split(","))
        n = Decimal(len(numbers))
        return SmsSummary("m", "quick", message, sender, len(numbers), numbers, n, Decimal(0))


class _InstantClient:
    sms = _InstantSms()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def numbers(count: int) -> list[str]:
    return [f"020{i:07d}" for i in range(count)]


async def overhead(
    url: str, batch_size: int, count: int, grouping: bool
) -> tuple[float, float, float]:
    """(load us/msg, worker us/msg, msg/s) for one campaign in this process."""
    Store.group_calls = grouping
    name = f"overhead-{batch_size}-{grouping}"
    campaign = await RedisCampaign.create(
        url, name, message="Hi", sender="SHOP", batch_size=batch_size
    )
    async with campaign:
        before = _cpu()
        await campaign.load(numbers(count))
        loaded = _cpu()
        started = time.perf_counter()
        await campaign.run_worker(_InstantClient(), concurrency=16)
        wall = time.perf_counter() - started
        done = _cpu()
        report = await campaign.report(keep_unsent=0)
    assert report.sent == count, report
    return (loaded - before) / count * 1e6, (done - loaded) / count * 1e6, count / wall


def scaling(url: str, workers: int, count: int, fake_args: list[str]) -> tuple[float, float]:
    """(msg/s from the first worker's start, msg/s from the first to the last send)."""
    with serve_in_subprocess(fake_args) as fake:
        env = {
            **os.environ,
            "VELSTACK_API_KEY": fake.api_key,
            "VELSTACK_BASE_URL": fake.base_url,
            "VELSTACK_REDIS_URL": url,
        }
        name = f"scale-{workers}"

        async def create() -> None:
            campaign = await RedisCampaign.create(
                url, name, message="Hi", sender="SHOP", batch_size=10, chunk_size=500
            )
            async with campaign:
                await campaign.load(numbers(count))

        anyio.run(create)
        command = [sys.executable, "-m", "velstack_async.cli", "campaign", "worker", name]
        started = time.perf_counter()
        processes = [subprocess.Popen(command, env=env) for _ in range(workers)]
        for process in processes:
            if process.wait() != 0:
                raise SystemExit(f"a worker failed ({process.returncode})")
        wall = time.perf_counter() - started

        async def check() -> float:
            async with await RedisCampaign.open(url, name) as campaign:
                report = await campaign.report(keep_unsent=0)
                assert report.sent == count, report
                return report.messages_per_second

        sending = anyio.run(check)
    return count / wall, sending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size = 5_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as directory, RedisServer(Path(directory)) as redis:
        print("## Redis overhead per message (one worker, instant client)\n")
        print("| batch_size | grouped round trips | messages | load CPU us/msg |", end="")
        print(" worker CPU us/msg | msg/s |")
        print("|---:|---|---:|---:|---:|---:|")
        for batch_size, count in ((1, size // 4), (10, size), (100, size)):
            for grouping in (False, True):
                load, work, rate = anyio.run(overhead, redis.url, batch_size, count, grouping)
                print(
                    f"| {batch_size} | {'yes' if grouping else 'no'} | {count:,} | {load:.0f} "
                    f"| {work:.0f} | {rate:,.0f} |"
                )
        print("\n## Worker processes against the loopback fake (batch_size 10)\n")
        print("| workers | messages | msg/s (from process start) | msg/s (first to last send) |")
        print("|---:|---:|---:|---:|")
        fake_args = ["--balance", "1e9", "--no-record-messages", "--max-recipients", "1000"]
        for workers in (1, 2, 4):
            wall, sending = scaling(redis.url, workers, size, fake_args)
            print(f"| {workers} | {size:,} | {wall:,.0f} | {sending:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
