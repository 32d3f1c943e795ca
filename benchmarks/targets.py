"""The throughput targets of issue 7, checked against one run's figures.

Where both clients ran several rounds, a target is judged on the median of the
per-round ratios (each round's two figures were measured minutes apart at
most, one straight after the other). Otherwise, on the ratio of the cells'
median figures.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence

from measure import Figures
from report import median_cells

#: (client, baseline, lowest acceptable msg/s ratio, concurrency levels)
TARGETS: tuple[tuple[str, str, float, tuple[int, ...]], ...] = (
    ("send_bulk", "aiohttp", 0.9, (64, 256)),
    ("send_bulk", "httpx", 8.0, (64, 256)),
    ("sync_send_bulk", "send_bulk", 0.9, (1, 64, 256)),
)

Cell = tuple[str, int, float]


def msg_per_s(figures: Figures) -> float:
    return figures.msg_per_s


def ratios(
    results: Sequence[Figures],
    client: Cell,
    baseline: Cell,
    metric: Callable[[Figures], float] = msg_per_s,
) -> list[float]:
    """The ratios of ``client``'s ``metric`` (msg/s unless given) to ``baseline``'s: one per
    shared round, or one of the cells' medians."""
    by_round: dict[Cell, dict[int, Figures]] = defaultdict(dict)
    for f in results:
        by_round[(f.client, f.concurrency, f.latency)][f.round] = f
    mine, base = by_round.get(client, {}), by_round.get(baseline, {})
    shared = sorted(set(mine) & set(base))
    if len(shared) > 1:
        return [metric(mine[r]) / metric(base[r]) for r in shared if metric(base[r]) > 0]
    medians = {(f.client, f.concurrency, f.latency): f for f in median_cells(results)}
    if client not in medians or baseline not in medians or not metric(medians[baseline]):
        return []
    return [metric(medians[client]) / metric(medians[baseline])]


def check_targets(results: Sequence[Figures]) -> str:
    """One line per target and cell: the ratio, and met or missed by how much."""
    lines = []
    for client, baseline, wanted, levels in TARGETS:
        for latency in sorted({f.latency for f in results}):
            for concurrency in levels:
                found = ratios(
                    results, (client, concurrency, latency), (baseline, concurrency, latency)
                )
                if not found:
                    continue
                ratio = statistics.median(found)
                short = (wanted - ratio) / wanted
                verdict = "met" if ratio >= wanted else f"**missed**, {short:.1%} short"
                detail = (
                    f"median of {len(found)} rounds ({', '.join(f'{r:.2f}' for r in found)})"
                    if len(found) > 1
                    else "one round"
                )
                lines.append(
                    f"- `{client}` vs `{baseline}`, concurrency {concurrency}, "
                    f"{latency * 1000:.0f} ms: {ratio:.3f}x (target {wanted:g}x): {verdict}; "
                    f"{detail}"
                )
    return "\n".join(lines) or "(no cells to compare)"
