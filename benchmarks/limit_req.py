"""A campaign through nginx ``limit_req``: how close to the limit, how many refusals.

    python benchmarks/limit_req.py            # 20,000 recipients per cell (about 5 minutes)
    python benchmarks/limit_req.py --quick    # 3,000 recipients per cell, a check

Debian's nginx on loopback (``tests/reliability/nginx_front.py``, as the
stress test of ``limit_req`` runs it) proxies to the fake server (uvicorn,
``python -m velstack_async.testing serve``, in a child process) with
``limit_req`` at 300 requests/s, burst 20, ``nodelay``: the excess is refused at once, with 429
(``limit_req_status 429``) or 503, and never a ``Retry-After`` (nginx sends
none). Each cell is one `send_bulk` campaign, one recipient per request
(``batch_size=1``), at concurrency 64 or 256, through a fresh nginx (an empty
limiter). It prints, side by side: messages per second over the campaign, the
requests refused (``report.throttled``, checked against the requests made
minus the messages sent) and ``report.settled_rate``.

Targets (issue 22): at least 0.95 of the limit's rate (285 msg/s) with at most
1 % of requests refused, for 429 and for 503, at both concurrencies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import anyio
import attrs
from loopback import Server, fake_server
from nginx import ensure_nginx

from velstack_async import AsyncVelstack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.reliability.nginx_front import nginx_front  # the stress test's nginx, as measured

LIMIT = 300
BURST = 20
RATE_TARGET = 0.95
REFUSED_TARGET = 0.01


@attrs.frozen
class Cell:
    status: int
    concurrency: int
    recipients: int
    seconds: float
    sent: int
    requests: int
    refused: int
    settled_rate: float | None

    @property
    def rate(self) -> float:
        return self.sent / self.seconds

    @property
    def refused_share(self) -> float:
        return self.refused / self.requests

    @property
    def met(self) -> bool:
        return (
            self.sent == self.recipients
            and self.rate >= RATE_TARGET * LIMIT
            and self.refused_share <= REFUSED_TARGET
        )


async def campaign(
    server: Server, base_url: str, status: int, concurrency: int, count: int
) -> Cell:
    numbers = [f"020{i:07d}" for i in range(count)]
    async with AsyncVelstack(api_key=server.api_key, base_url=base_url) as client:
        started = time.perf_counter()
        report = await client.sms.send_bulk(
            numbers, message="hi", sender="VELSTACK", concurrency=concurrency, batch_size=1
        )
        seconds = time.perf_counter() - started
    for result in report.unsent:  # not throttling: a fault of the machine or the server
        print(f"  {result.status}: {result.reason}", file=sys.stderr)
    if report.requests - report.sent - report.unknown - report.failed != report.throttled:
        raise SystemExit(f"refusals do not add up: {report}")
    return Cell(
        status,
        concurrency,
        count,
        seconds,
        report.sent,
        report.requests,
        report.throttled,
        report.settled_rate,
    )


def table(cells: list[Cell]) -> str:
    lines = [
        "| refusal | concurrency | recipients | seconds | msg/s | vs limit | refused "
        "| refused % | settled_rate | target |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in cells:
        settled = "none" if c.settled_rate is None else f"{c.settled_rate:.0f}"
        lines.append(
            f"| {c.status} | {c.concurrency} | {c.recipients:,} | {c.seconds:.1f} "
            f"| {c.rate:.0f} | {c.rate / LIMIT:.3f} | {c.refused:,} "
            f"| {100 * c.refused_share:.2f} | {settled} | {'met' if c.met else 'NOT met'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 recipients per cell")
    parser.add_argument("--count", type=int, help="recipients per cell (default 20,000)")
    parser.add_argument("--status", type=int, nargs="*", default=[429, 503])
    parser.add_argument("--concurrency", type=int, nargs="*", default=[64, 256])
    args = parser.parse_args()
    count = args.count or (3_000 if args.quick else 20_000)
    cells: list[Cell] = []
    ensure_nginx()
    with fake_server() as server:
        for status in args.status:
            for concurrency in args.concurrency:
                front = nginx_front(
                    server.base_url, limit_rate=LIMIT, limit_burst=BURST, limit_status=status
                )
                with front as base_url:
                    cell = anyio.run(campaign, server, base_url, status, concurrency, count)
                cells.append(cell)
                print(table([cell]).splitlines()[-1], flush=True)
    load = os.getloadavg()
    print()
    print(
        f"nginx limit_req {LIMIT} r/s, burst {BURST}, nodelay; one recipient per request; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(table(cells))
    print()
    print(
        f"targets: msg/s >= {RATE_TARGET * LIMIT:.0f} ({RATE_TARGET:.2f} of {LIMIT}), "
        f"refused <= {100 * REFUSED_TARGET:.0f} % of requests: "
        + ("met" if all(c.met for c in cells) else "NOT met")
    )


if __name__ == "__main__":
    main()
