"""Batched against unbatched campaigns: one message to 100,000 recipients through the fake.

    python benchmarks/batching.py                # 100,000 recipients, 3 rounds
    python benchmarks/batching.py --count 20000 --rounds 1
    python benchmarks/batching.py --quick        # 5,000 recipients, 1 round: a check

The fake server (``python -m velstack_async.testing serve``, uvicorn) runs in a
child process on loopback (pinned to a CPU of its own, the client to another);
it accepts up to 1,000 recipients per quick SMS.
Each round sends the same uniform message to ``count`` distinct numbers twice,
with ``batch_size=100`` and with ``batch_size=1``, and raw aiohttp sends them
one per request (``ClientSession.post``, the throughput benchmark's client;
the order rotates between rounds), at concurrency 64, and prints recipients
per second, the requests each campaign made and the client's CPU per
recipient, side by side, with the medians over the rounds.

Targets: batched recipients/s at least 10x raw aiohttp's one-per-request
msg/s (issue 22) and 20x the SDK's unbatched figure (issue 14); at most one
request per 90 recipients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time

import anyio
from clients import Target, raw_aiohttp
from loopback import Server, fake_server
from pinning import client_cpus, pin

from velstack_async import AsyncVelstack

CONCURRENCY = 64
SPEEDUP_TARGET = 20.0
RAW_AIOHTTP_TARGET = 10.0
#: The raw aiohttp cell's key among the batch sizes.
RAW = 0
RECIPIENTS_PER_REQUEST_TARGET = 90


def numbers(count: int) -> list[str]:
    return [f"020{i:07d}" for i in range(count)]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def campaign(server: Server, count: int, batch_size: int) -> tuple[float, int, float]:
    """(recipients per second, requests, client CPU microseconds per recipient) of one campaign."""
    async with AsyncVelstack(api_key=server.api_key, base_url=server.base_url) as client:
        cpu = cpu_seconds()
        started = time.perf_counter()
        report = await client.sms.send_bulk(
            numbers(count),
            message="Flash sale today: 20% off everything",
            sender="SHOP",
            concurrency=CONCURRENCY,
            batch_size=batch_size,
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
    if report.sent != count:
        raise SystemExit(f"batch_size={batch_size}: sent {report.sent} of {count}: {report}")
    return count / elapsed, report.requests, cpu / count * 1e6


def raw(server: Server, count: int) -> tuple[float, int, float]:
    """Raw aiohttp, one recipient per request: (recipients/s, requests, CPU us/recipient)."""
    target = Target(server.base_url, server.api_key)
    cpu = cpu_seconds()
    started = time.perf_counter()
    done = asyncio.run(raw_aiohttp(target, CONCURRENCY, numbers(count)))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    if done != count:
        raise SystemExit(f"raw aiohttp: sent {done} of {count}")
    return count / elapsed, count, cpu / count * 1e6


def _label(size: int) -> str:
    return "raw aiohttp, 1" if size == RAW else f"send_bulk, {size}"


def _target(name: str, ratios: list[float], target: float) -> str:
    median = statistics.median(ratios)
    rounds = ", ".join(f"{r:.1f}x" for r in ratios)
    verdict = "met" if median >= target else "NOT met"
    return f"- {name}: {median:.1f}x (target at least {target:.0f}x): {verdict}; per round {rounds}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--quick", action="store_true", help="5,000 recipients, 1 round")
    args = parser.parse_args()
    count = args.count or (5_000 if args.quick else 100_000)
    rounds = args.rounds or (1 if args.quick else 3)
    sizes = (100, 1, RAW)
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    cpus: dict[int, list[float]] = {size: [] for size in sizes}
    requests: dict[int, int] = {}
    with fake_server(pinned=True) as server:
        mine = client_cpus() if server.cpus is not None else None
        if mine is not None:  # the client on a CPU of its own, away from the server's
            pin(os.getpid(), mine)
        for round_ in range(rounds):
            for size in sizes[round_ % 3 :] + sizes[: round_ % 3]:
                if size == RAW:
                    rate, made, cpu = raw(server, count)
                else:
                    rate, made, cpu = anyio.run(campaign, server, count, size)
                rates[size].append(rate)
                cpus[size].append(cpu)
                requests[size] = made
                print(
                    f"round {round_ + 1}: {_label(size):>16}: {rate:>9,.0f} recipients/s, "
                    f"{made:,} requests, client CPU {cpu:.1f} us/recipient",
                    flush=True,
                )
    per_request = count / requests[100]
    load = os.getloadavg()
    print()
    print(
        f"{count:,} recipients, concurrency {CONCURRENCY}, medians of {rounds} rounds; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        "| client, batch_size | recipients/s | requests | recipients/request "
        "| client CPU us/recipient |"
    )
    print("|---|---:|---:|---:|---:|")
    for size in sizes:
        made, cpu = requests[size], statistics.median(cpus[size])
        rate = statistics.median(rates[size])
        print(f"| {_label(size)} | {rate:,.0f} | {made:,} | {count / made:,.1f} | {cpu:.1f} |")
    print()
    batched = rates[100]
    print(
        _target(
            "batched vs raw aiohttp one per request, recipients/s",
            [b / r for b, r in zip(batched, rates[RAW], strict=True)],
            RAW_AIOHTTP_TARGET,
        )
    )
    print(
        _target(
            "batched vs send_bulk batch_size=1, recipients/s",
            [b / s for b, s in zip(batched, rates[1], strict=True)],
            SPEEDUP_TARGET,
        )
    )
    verdict = "met" if per_request >= RECIPIENTS_PER_REQUEST_TARGET else "NOT met"
    print(
        f"- {per_request:.1f} recipients per request "
        f"(target at least {RECIPIENTS_PER_REQUEST_TARGET}): {verdict}"
    )


if __name__ == "__main__":
    main()
