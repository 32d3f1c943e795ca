"""What a `SendingPolicy` (SQLite store) costs `send_bulk`, in client-bound messages per second.

`send_bulk` against the in-process fake (no sockets: the client is the bottleneck), at
``batch_size=1`` and batched (100), without a policy and with one (a SQLite store holding
one suppression: every recipient is checked against it). Rounds alternate the two; the
best round of each is compared. Issue 25's target: at most 15 % lost at batch_size=1 and
10 % batched.

Run with::

    python benchmarks/policy_cost.py [--messages 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import anyio

from velstack_async import AsyncVelstack, SendingPolicy
from velstack_async.testing import FakeVelstack


async def _rate(messages: int, batch_size: int, with_policy: bool) -> float:
    """Messages per second of one campaign."""
    fake = FakeVelstack(balance=10**9, record_messages=False)
    numbers = [f"0205{i:06d}" for i in range(messages)]
    with tempfile.TemporaryDirectory() as folder:
        policy = SendingPolicy(Path(folder) / "policy.db") if with_policy else None
        client = AsyncVelstack(
            api_key=fake.api_key, http_client=fake.async_http_client(), policy=policy
        )
        async with client:
            if policy is not None:
                await client.suppressions.add("0201111111", reason="STOP")
            start = time.perf_counter()
            report = await client.sms.send_bulk(
                numbers, message="hi", sender="SHOP", batch_size=batch_size
            )
            elapsed = time.perf_counter() - start
        if policy is not None:
            policy.close()
    assert report.sent == messages, report
    return messages / elapsed


async def main(messages: int, rounds: int) -> None:
    for batch_size in (1, 100):
        best = {False: 0.0, True: 0.0}
        for _ in range(rounds):
            for with_policy in (False, True):
                rate = await _rate(messages, batch_size, with_policy)
                best[with_policy] = max(best[with_policy], rate)
        cost = 100 * (1 - best[True] / best[False])
        print(
            f"batch_size={batch_size}: without a policy {best[False]:,.0f} msg/s, "
            f"with one {best[True]:,.0f} msg/s: {cost:.1f} % lost"
        )


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    anyio.run(main, options.messages, options.rounds)


if __name__ == "__main__":
    cli()
