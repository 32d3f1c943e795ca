"""Where a client's CPU goes: one benchmark client under cProfile, by package and by function.

    python benchmarks/profile_client.py send_bulk --concurrency 64 --count 5000

The fake server runs in its own process (not profiled). Prints each
package's share of the client's own time (``tottime``) and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import Counter
from collections.abc import Sequence

from clients import CLIENTS, Target, recipients
from loopback import fake_server

_PACKAGES = (
    "velstack_async/_bulk",
    "velstack_async",
    "httpx_aiohttp",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "aiohttp",
    "yarl",
    "multidict",
    "phonenumbers",
    "cattrs",
    "attr",
    "asyncio",
    "json",
)


def _package(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<built-in"):
        return "builtins (C)"
    for name in _PACKAGES:
        if f"/{name}/" in filename:
            return name
    return "other"


def profile(client: str, concurrency: int, count: int, latency: float) -> pstats.Stats:
    run = CLIENTS[client]
    with fake_server(latency) as server:
        target = Target(server.base_url, server.api_key)
        run(target, 1, recipients(1, start=9_000_000))
        profiler = cProfile.Profile()
        profiler.enable()
        run(target, concurrency, recipients(count))
        profiler.disable()
    return pstats.Stats(profiler)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: Counter[str] = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        totals[_package(filename)] += tottime
    total = sum(totals.values()) or 1.0
    return [(name, seconds / total) for name, seconds in totals.most_common()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    args = parser.parse_args(argv)
    stats = profile(args.client, args.concurrency, args.count, args.latency)
    print(f"share of {args.client}'s own CPU time by package (cProfile tottime):")
    for name, share in by_package(stats):
        print(f"  {share:6.1%}  {name}")
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
