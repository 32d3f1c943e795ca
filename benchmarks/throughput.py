"""Throughput: clients sending the same quick-SMS campaign to the fake server on loopback.

    python benchmarks/throughput.py                      # the default matrix, a table
    python benchmarks/throughput.py --clients aiohttp,httpx --concurrency 64 --latency 0.05

The fake server runs in its own process; each cell (client, concurrency,
latency) runs in a fresh child process. Figures are only comparable within
one run: the machine's load changes between runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence

import attrs
from clients import CLIENTS
from loopback import fake_server
from measure import Figures, run_cell, run_cell_subprocess
from pinning import client_cpus
from report import median_cells, throughput_table

#: Sequential cells with server latency send at most this many seconds' worth.
SEQUENTIAL_SECONDS = 5.0


@attrs.frozen
class Plan:
    """Which cells to run, and how many messages each sends."""

    clients: tuple[str, ...]
    concurrency: tuple[int, ...]
    latency: tuple[float, ...]
    count: int = 5_000
    #: Messages per sequential cell (concurrency 1) without server latency.
    sequential_count: int = 1_000
    #: Per-client message counts, for the slow ones (e.g. ``{"httpx": 2000}``).
    counts: dict[str, int] = attrs.field(factory=dict)
    #: Rounds of the cells of ``repeated`` clients (the others run once).
    rounds: int = 1
    repeated: frozenset[str] = frozenset()
    #: Server and clients on separate CPUs (see `pinning`), when the machine allows.
    pinned: bool = True

    def count_for(self, client: str, concurrency: int, latency: float) -> int:
        count = self.counts.get(client, self.count)
        if concurrency == 1 or CLIENTS[client].sequential:
            count = min(count, self.sequential_count)
            if latency > 0:
                count = min(count, math.ceil(SEQUENTIAL_SECONDS / latency))
        return count

    def runs_in_round(self, round: int, client: str, concurrency: int) -> bool:
        return round == 0 or client in self.repeated

    def schedule(self) -> Iterator[tuple[float, int, int, str]]:
        """(latency, concurrency, round, client) of every cell, in the order they run."""
        for latency in self.latency:
            for concurrency in self.concurrency:
                clients = self.clients_at(concurrency)
                for round in range(self.rounds):
                    for client in clients if round % 2 == 0 else clients[::-1]:
                        if self.runs_in_round(round, client, concurrency):
                            yield latency, concurrency, round, client

    def clients_at(self, concurrency: int) -> list[str]:
        """The clients of one concurrency level; a sequential client runs only at the lowest."""
        return [
            client
            for client in self.clients
            if not CLIENTS[client].sequential or concurrency == min(self.concurrency)
        ]


def run_plan(plan: Plan, progress: Callable[[str], None] = print) -> list[Figures]:
    """Start the fake server once; run every cell of ``plan`` against it; every round's figures.

    For each latency and concurrency the rounds run back to back, the clients
    of a round one after another, in alternating order (A B C, C B A, ...), so
    that a burst of load from elsewhere on the machine falls on a round's
    clients alike and drift over time favours none of them.
    """
    with fake_server(pinned=plan.pinned) as server:
        cpus = client_cpus() if server.cpus is not None else None

        def target(latency: float) -> tuple[str, str]:
            nonlocal server
            if latency != server.latency:
                server = server.with_latency(latency)
            return server.base_url, server.api_key

        return run_cells(plan, target, cpus, progress)


def run_cells(
    plan: Plan,
    target: Callable[[float], tuple[str, str]],
    cpus: set[int] | None,
    progress: Callable[[str], None],
) -> list[Figures]:
    """Run every cell of ``plan`` in its order, each in a fresh process on ``cpus``, against
    ``target(latency)`` (base URL, API key); every round's figures. A cell that fails is
    reported and skipped: one broken cell must not lose the run."""
    results: list[Figures] = []
    start = 0
    for latency, concurrency, round, client in plan.schedule():
        base_url, api_key = target(latency)
        count = plan.count_for(client, concurrency, latency)
        cell = f"{client:>20} c={concurrency:<3} latency={latency * 1000:.0f}ms"
        try:
            figures = run_cell_subprocess(
                client,
                base_url=base_url,
                api_key=api_key,
                concurrency=concurrency,
                latency=latency,
                count=count,
                start=start,
                cpus=cpus,
            )
        except RuntimeError as error:
            progress(f"  {cell}: FAILED: {error}")
            continue
        finally:
            start += count + 1
        results.append(attrs.evolve(figures, round=round))
        unsent = "" if figures.sent == figures.messages else f" ({figures.sent:,} sent!)"
        progress(
            f"  {cell}: {figures.msg_per_s:8.0f} msg/s {figures.cpu_ms_per_msg:6.3f} "
            f"CPU ms/msg {figures.peak_rss_mb:6.1f} MB (round {round + 1}){unsent}"
        )
    return results


def _csv(kind: Callable[[str], object]) -> Callable[[str], tuple[object, ...]]:
    return lambda text: tuple(kind(part) for part in text.split(",") if part)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    cell = sub.add_parser("cell", help="run one cell in this process, print its figures as JSON")
    cell.add_argument("client", choices=sorted(CLIENTS))
    cell.add_argument("--base-url", required=True)
    cell.add_argument("--api-key", required=True)
    cell.add_argument("--concurrency", type=int, required=True)
    cell.add_argument("--latency", type=float, default=0.0)
    cell.add_argument("--count", type=int, required=True)
    cell.add_argument("--start", type=int, default=0)
    cell.add_argument("--cpus", type=_csv(int), help="run on these CPUs (Linux)")
    parser.add_argument("--clients", type=_csv(str), default=tuple(CLIENTS))
    parser.add_argument("--concurrency", type=_csv(int), default=(64, 256))
    parser.add_argument("--latency", type=_csv(float), default=(0.0, 0.05))
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=1, help="runs per cell; the best is kept")
    parser.add_argument(
        "--no-pin", action="store_true", help="let the server and clients share every CPU"
    )
    args = parser.parse_args(argv)
    if args.command == "cell":
        if args.cpus:
            os.sched_setaffinity(0, set(args.cpus))
        figures = run_cell(
            args.client,
            base_url=args.base_url,
            api_key=args.api_key,
            concurrency=args.concurrency,
            latency=args.latency,
            count=args.count,
            start=args.start,
        )
        print(figures.to_json())
        return 0
    plan = Plan(
        args.clients,
        args.concurrency,
        args.latency,
        args.count,
        rounds=args.rounds,
        repeated=frozenset(args.clients),
        pinned=not args.no_pin,
    )
    results = run_plan(plan)
    print(throughput_table(median_cells(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
