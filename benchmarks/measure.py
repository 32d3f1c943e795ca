"""One benchmark cell: a client sends a campaign; wall time, client CPU and peak RSS.

Each cell runs in a fresh child process (``throughput.py cell ...``) so that
peak RSS and CPU belong to that client alone, never to the server or to an
earlier cell.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import attrs

HERE = Path(__file__).resolve().parent


@attrs.frozen
class Figures:
    client: str
    concurrency: int
    latency: float
    messages: int
    sent: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    #: Which round of the run (0-based) these figures come from.
    round: int = 0

    @property
    def msg_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_msg(self) -> float:
        return self.cpu_seconds * 1000 / self.messages if self.messages else 0.0

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Figures:
        return cls(**json.loads(text))


def cpu_seconds() -> float:
    """User plus system CPU time of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_cell(
    client: str,
    *,
    base_url: str,
    api_key: str,
    concurrency: int,
    latency: float,
    count: int,
    start: int,
) -> Figures:
    """Run one cell in this process (after one untimed warm-up send)."""
    from clients import CLIENTS, Target, recipients

    run = CLIENTS[client]
    target = Target(base_url, api_key)
    run(target, 1, recipients(1, start=9_000_000 + start))  # imports, first connection
    numbers = recipients(count, start=start)
    cpu, wall = cpu_seconds(), time.perf_counter()
    sent = run(target, concurrency, numbers)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return Figures(client, concurrency, latency, count, sent, wall, cpu, peak_rss_mb())


def run_cell_subprocess(
    client: str,
    *,
    base_url: str,
    api_key: str,
    concurrency: int,
    latency: float,
    count: int,
    start: int,
    cpus: set[int] | None = None,
) -> Figures:
    """`run_cell` in a fresh Python process (on ``cpus`` when given); its figures."""
    command = [
        sys.executable, str(HERE / "throughput.py"), "cell", client,
        "--base-url", base_url, "--api-key", api_key, "--concurrency", str(concurrency),
        "--latency", str(latency), "--count", str(count), "--start", str(start),
    ]  # fmt: skip
    if cpus is not None:
        command += ["--cpus", ",".join(map(str, sorted(cpus)))]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark cell {client} failed:\n{done.stderr[-3000:]}")
    return Figures.from_json(done.stdout.strip().splitlines()[-1])
