"""Per-call overhead of the sync facade (`Velstack`) next to the async client, in one run.

Every row sends ``sms.send`` to the same in-process fake server (no sockets,
no latency), so the difference between a sync row and its async row is the
cost of the facade: each call hops into the portal's event loop thread and
back. Run with::

    python benchmarks/sync_overhead.py [--calls 2000] [--threads 8]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio

from velstack_async import AsyncVelstack, Velstack
from velstack_async.testing import FakeVelstack

MESSAGE = "Your Velstack code is 482193. It expires in 10 minutes."
SENDER = "VELSTACK"
WARMUP = 200


def send_arguments(i: int) -> dict[str, Any]:
    return {"recipient": f"02055{i % 100_000:05d}", "message": MESSAGE, "sender": SENDER}


def new_fake() -> FakeVelstack:
    return FakeVelstack(balance=10**9, record_messages=False, seed=1)


async def async_run(calls: int, workers: int) -> float:
    """Seconds for ``calls`` sends by ``workers`` concurrent tasks of one AsyncVelstack."""
    fake = new_fake()
    async with AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        for i in range(WARMUP):
            await client.sms.send(**send_arguments(i))
        numbers = iter(range(calls))

        async def worker() -> None:
            for i in numbers:
                await client.sms.send(**send_arguments(i))

        start = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(workers):
                group.start_soon(worker)
        return time.perf_counter() - start


def sync_run(calls: int, workers: int) -> float:
    """Seconds for ``calls`` sends by ``workers`` threads sharing one Velstack."""
    fake = new_fake()
    with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        for i in range(WARMUP):
            client.sms.send(**send_arguments(i))

        def send(i: int) -> None:
            client.sms.send(**send_arguments(i))

        if workers == 1:
            start = time.perf_counter()
            for i in range(calls):
                send(i)
            return time.perf_counter() - start
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(send, range(WARMUP)))  # start the threads
            start = time.perf_counter()
            list(pool.map(send, range(calls)))
            return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000, help="sends per row")
    parser.add_argument("--threads", type=int, default=8, help="threads (and async tasks)")
    options = parser.parse_args()
    calls, threads = options.calls, options.threads

    rows: list[tuple[str, Callable[[], float]]] = [
        ("async, sequential", lambda: anyio.run(async_run, calls, 1)),
        ("sync, sequential", lambda: sync_run(calls, 1)),
        (f"async, {threads} tasks", lambda: anyio.run(async_run, calls, threads)),
        (f"sync, {threads} threads", lambda: sync_run(calls, threads)),
    ]
    micros = {label: run() / calls * 1e6 for label, run in rows}
    baselines = {
        "sync, sequential": "async, sequential",
        f"sync, {threads} threads": f"async, {threads} tasks",
    }

    print(f"sms.send against the in-process fake, {calls} calls per row\n")
    print(f"{'mode':<22} {'µs/call':>9} {'calls/s':>9} {'vs async':>9}")
    for label, value in micros.items():
        baseline = baselines.get(label)
        ratio = f"{value / micros[baseline]:.2f}x" if baseline else "1.00x"
        print(f"{label:<22} {value:>9.1f} {1e6 / value:>9.0f} {ratio:>9}")
    overhead = micros["sync, sequential"] - micros["async, sequential"]
    print(f"\nsync facade overhead per sequential call: {overhead:.1f} µs")


if __name__ == "__main__":
    main()
