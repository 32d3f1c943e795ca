"""Markdown tables of benchmark figures, each figure with its ratio to raw aiohttp."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from clients import CLIENTS
from measure import Figures

BASELINE = "aiohttp"


def median_cells(results: Sequence[Figures]) -> list[Figures]:
    """One figure per cell (client, concurrency, latency): its median round by msg/s.

    With an even number of rounds, the lower of the two middle ones.
    """
    cells: dict[tuple[str, int, float], list[Figures]] = defaultdict(list)
    for f in results:
        cells[(f.client, f.concurrency, f.latency)].append(f)
    chosen = []
    for rounds in cells.values():
        ranked = sorted(rounds, key=lambda f: f.msg_per_s)
        chosen.append(ranked[(len(ranked) - 1) // 2])
    return chosen


def rounds_of(results: Sequence[Figures]) -> int:
    """The most rounds any cell ran."""
    counts: dict[tuple[str, int, float], int] = defaultdict(int)
    for f in results:
        counts[(f.client, f.concurrency, f.latency)] += 1
    return max(counts.values(), default=0)


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "-"


def throughput_table(results: Sequence[Figures]) -> str:
    """One row per cell, grouped by server latency and concurrency (pass `median_cells`)."""
    baseline = {(f.latency, f.concurrency): f for f in results if f.client == BASELINE}
    lines = [
        "| latency | concurrency | client | messages | msg/s | vs aiohttp "
        "| CPU ms/msg | vs aiohttp | peak RSS MB | vs aiohttp |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in sorted(results, key=lambda f: (f.latency, f.concurrency)):
        base = baseline.get((f.latency, f.concurrency))
        rate, cpu, rss = (
            (base.msg_per_s, base.cpu_ms_per_msg, base.peak_rss_mb) if base else (None,) * 3
        )
        label = CLIENTS[f.client].label if f.client in CLIENTS else f.client
        lines.append(
            f"| {f.latency * 1000:.0f} ms | {f.concurrency} | {label} | {f.messages:,} "
            f"| {f.msg_per_s:,.0f} | {_ratio(f.msg_per_s, rate)} "
            f"| {f.cpu_ms_per_msg:.3f} | {_ratio(f.cpu_ms_per_msg, cpu)} "
            f"| {f.peak_rss_mb:.1f} | {_ratio(f.peak_rss_mb, rss)} |"
        )
    return "\n".join(lines)
