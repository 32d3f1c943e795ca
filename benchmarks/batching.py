"""Batched against unbatched campaigns: one message to 100,000 recipients through the fake.

    python benchmarks/batching.py                # 100,000 recipients, 3 rounds
    python benchmarks/batching.py --count 20000 --rounds 1

The fake server (``python -m velstack_async.testing serve``, uvicorn) runs in a
child process on loopback (pinned to a CPU of its own, the client to another);
it accepts up to 1,000 recipients per quick SMS.
Each round sends the same uniform message to ``count`` distinct numbers twice,
with ``batch_size=100`` and with ``batch_size=1`` (the order alternates between
rounds), at concurrency 64, and prints recipients per second, the requests
each campaign made and the client's CPU per recipient, side by side, with the
medians over the rounds.

Targets (issue 14): batched recipients/s at least 20x the unbatched figure, and
at most one request per 90 recipients.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import anyio
from loopback import Server, fake_server
from pinning import client_cpus, pin

from velstack_async import AsyncVelstack

CONCURRENCY = 64
SPEEDUP_TARGET = 20.0
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates: dict[int, list[float]] = {100: [], 1: []}
    cpus: dict[int, list[float]] = {100: [], 1: []}
    requests: dict[int, int] = {}
    with fake_server(pinned=True) as server:
        mine = client_cpus() if server.cpus is not None else None
        if mine is not None:  # the client on a CPU of its own, away from the server's
            pin(os.getpid(), mine)
        for round_ in range(args.rounds):
            order = (100, 1) if round_ % 2 == 0 else (1, 100)
            for size in order:
                rate, made, cpu = anyio.run(campaign, server, args.count, size)
                rates[size].append(rate)
                cpus[size].append(cpu)
                requests[size] = made
                print(
                    f"round {round_ + 1}: batch_size={size:>3}: {rate:>9,.0f} recipients/s, "
                    f"{made:,} requests, client CPU {cpu:.1f} us/recipient",
                    flush=True,
                )
    batched, single = statistics.median(rates[100]), statistics.median(rates[1])
    speedup = batched / single
    per_request = args.count / requests[100]
    print()
    print(f"{args.count:,} recipients, concurrency {CONCURRENCY}, medians of {args.rounds} rounds")
    print("| batch_size | recipients/s | requests | recipients/request | client CPU us/recipient |")
    print("|---:|---:|---:|---:|---:|")
    for size, rate in ((100, batched), (1, single)):
        made, cpu = requests[size], statistics.median(cpus[size])
        print(f"| {size} | {rate:,.0f} | {made:,} | {args.count / made:,.1f} | {cpu:.1f} |")
    print()
    ratios = [b / s for b, s in zip(rates[100], rates[1], strict=True)]
    print("per-round speedups: " + ", ".join(f"{r:.1f}x" for r in ratios))
    ok = speedup >= SPEEDUP_TARGET and per_request >= RECIPIENTS_PER_REQUEST_TARGET
    print(
        f"speedup {speedup:.1f}x (target >= {SPEEDUP_TARGET:.0f}x); "
        f"{per_request:.1f} recipients per request (target >= {RECIPIENTS_PER_REQUEST_TARGET}): "
        + ("met" if ok else "NOT met")
    )


if __name__ == "__main__":
    main()
