"""The throughput targets of issue 7, checked against one run's figures."""

from __future__ import annotations

from collections.abc import Sequence

from measure import Figures

#: (client, baseline, lowest acceptable msg/s ratio, concurrency levels)
TARGETS: tuple[tuple[str, str, float, tuple[int, ...]], ...] = (
    ("send_bulk", "aiohttp", 0.9, (64, 256)),
    ("send_bulk", "httpx", 8.0, (64, 256)),
    ("sync_send_bulk", "send_bulk", 0.9, (1, 64, 256)),
)


def check_targets(results: Sequence[Figures]) -> str:
    """One line per target and cell: the ratio, and met or missed by how much."""
    figures = {(f.client, f.concurrency, f.latency): f for f in results}
    lines = []
    for client, baseline, wanted, levels in TARGETS:
        for latency in sorted({f.latency for f in results}):
            for concurrency in levels:
                mine = figures.get((client, concurrency, latency))
                base = figures.get((baseline, concurrency, latency))
                if mine is None or base is None or not base.msg_per_s:
                    continue
                ratio = mine.msg_per_s / base.msg_per_s
                short = (wanted - ratio) / wanted
                verdict = "met" if ratio >= wanted else f"**missed**, {short:.1%} short"
                lines.append(
                    f"- `{client}` vs `{baseline}`, concurrency {concurrency}, "
                    f"{latency * 1000:.0f} ms: {ratio:.3f}x (target {wanted:g}x): {verdict}"
                )
    return "\n".join(lines) or "(no cells to compare)"
