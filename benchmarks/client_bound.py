"""The client-bound cell (issue 12): against nginx, the client's CPU per message decides.

    python benchmarks/client_bound.py                # 5 rounds, c=64 and 256, 5,000 messages
    python benchmarks/client_bound.py --rounds 7 --clients send_bulk_unbatched,aiohttp

The fake server (uvicorn) costs more per request than the clients do, so its
cells measure the server as much as the client. Here Debian's nginx
(``benchmarks/nginx.py``) answers every quick SMS from a ``return``
directive with one worker pinned to CPU 0, and each client cell runs in a
fresh process pinned to CPU 1. The clients of a round run one straight after
another in alternating order (A B C, C B A, ...), as in ``throughput.py``.
Figures are process totals: msg/s, and CPU per message (user + system CPU
time of the client process / messages). A target is judged on the median of
the per-round ratios to raw aiohttp. Progress goes to stderr; the Markdown
table and the targets to stdout (``run_all.py`` puts them in RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence

import attrs
from measure import Figures
from nginx import nginx_server
from pinning import client_cpus
from report import median_cells, throughput_table
from targets import msg_per_s, ratios
from throughput import Plan, run_cells

#: ``send_bulk`` with ``batch_size=1``: this cell measures the cost of one request.
SDK = "send_bulk_unbatched"
BASELINE = "aiohttp"
PLAN = Plan(
    clients=(SDK, BASELINE, "twilio"),
    concurrency=(64, 256),
    latency=(0.0,),
    count=5_000,
    rounds=5,
    repeated=frozenset({SDK, BASELINE, "twilio"}),
)
#: Any key of the SDK's shape: nginx does not check it.
API_KEY = "vs_bench_0123456789abcdef"


def cpu_ms_per_msg(figures: Figures) -> float:
    return figures.cpu_ms_per_msg


#: (metric name, metric, target ratio to aiohttp, True when the ratio must be at least it)
TARGETS: tuple[tuple[str, Callable[[Figures], float], float, bool], ...] = (
    ("msg/s", msg_per_s, 0.85, True),
    ("CPU per message", cpu_ms_per_msg, 1.30, False),
)


def run(plan: Plan, progress: Callable[[str], None]) -> list[Figures]:
    """Start nginx; run every cell of ``plan`` against it; every round's figures."""
    with nginx_server(pinned=plan.pinned) as server:
        cpus = client_cpus() if server.cpus is not None else None
        return run_cells(plan, lambda latency: (server.base_url, API_KEY), cpus, progress)


def check(results: Sequence[Figures], plan: Plan) -> str:
    """One line per target and concurrency: the median per-round ratio, met or missed."""
    lines = []
    for concurrency in plan.concurrency:
        for name, metric, wanted, at_least in TARGETS:
            found = ratios(results, (SDK, concurrency, 0.0), (BASELINE, concurrency, 0.0), metric)
            if not found:
                lines.append(f"- c={concurrency}, {name}: (no figures)")
                continue
            ratio = statistics.median(found)
            met = ratio >= wanted if at_least else ratio <= wanted
            bound = "at least" if at_least else "at most"
            rounds = ", ".join(f"{r:.2f}" for r in found)
            lines.append(
                f"- `send_bulk` (`batch_size=1`) vs raw aiohttp, concurrency {concurrency}, "
                f"{name}: {ratio:.3f}x (target {bound} {wanted:g}x): "
                f"{'met' if met else '**missed**'}; median of {len(found)} rounds ({rounds})"
            )
    for other in [c for c in plan.clients if c not in (SDK, BASELINE)]:
        for concurrency in plan.concurrency:
            both = [
                ratios(results, (other, concurrency, 0.0), (BASELINE, concurrency, 0.0), measure)
                for measure in (msg_per_s, cpu_ms_per_msg)
            ]
            if all(both):
                rate, cpu = (statistics.median(r) for r in both)
                lines.append(
                    f"- `{other}` vs raw aiohttp, concurrency {concurrency} (no target): "
                    f"msg/s {rate:.3f}x, CPU per message {cpu:.3f}x; medians of per-round ratios"
                )
    unsent = [f for f in results if f.sent != f.messages]
    lines.append(
        "- every cell sent every message"
        if not unsent
        else "- **cells with unsent messages**: "
        + ", ".join(f"{f.client} c={f.concurrency} round {f.round + 1}" for f in unsent)
    )
    return "\n".join(lines)


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=_csv, default=PLAN.clients)
    parser.add_argument("--concurrency", type=lambda t: tuple(map(int, _csv(t))))
    parser.add_argument("--count", type=int, default=PLAN.count)
    parser.add_argument("--rounds", type=int, default=PLAN.rounds)
    parser.add_argument("--no-pin", action="store_true", help="let nginx and clients share CPUs")
    args = parser.parse_args(argv)
    plan = attrs.evolve(
        PLAN,
        clients=args.clients,
        concurrency=args.concurrency or PLAN.concurrency,
        count=args.count,
        rounds=args.rounds,
        repeated=frozenset(args.clients),
        pinned=not args.no_pin,
    )
    results = run(plan, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(throughput_table(median_cells(results)))
    print()
    print(check(results, plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
