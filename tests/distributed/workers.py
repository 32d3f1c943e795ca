"""Real worker processes (``taskiq worker`` / ``celery worker``) for the distributed tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]


def command(kind: str, name: str, max_tasks: int, processes: int = 1) -> list[str]:
    if kind == "plain":
        return [sys.executable, "-m", "tests.distributed.plain_worker"]
    if kind == "taskiq":
        return [
            *(sys.executable, "-m", "taskiq", "worker", "tests.distributed.taskiq_app:broker"),
            *("--workers", str(processes), "--max-async-tasks", str(max_tasks)),
            *("--max-prefetch", "0", "--log-level", "WARNING"),
            "--no-configure-logging",
        ]
    return [
        *(sys.executable, "-m", "celery", "-A", "tests.distributed.celery_app", "worker"),
        *("--pool", "solo", "--concurrency", "1", "--prefetch-multiplier", "1"),
        *("--loglevel", "WARNING", "--without-heartbeat", "--without-gossip"),
        *("--without-mingle", "-n", f"{name}@%h"),
    ]


class Workers:
    """``count`` workers of ``kind``, each in its own process group (a taskiq worker is a
    main process and ``processes`` children: a whole instance).

    ``plain`` workers run `RedisCampaign.run_worker` on ``VS_TEST_REDIS_URL`` and
    ``VS_TEST_CAMPAIGN`` (set them in `env` first).
    """

    def __init__(
        self,
        kind: str,
        broker_url: str,
        api_key: str,
        base_url: str,
        log_dir: Path,
        *,
        max_tasks: int = 2,
        concurrency: int = 4,
        processes: int = 1,
    ) -> None:
        self.kind = kind
        self.processes_per_worker = processes
        self.env = {
            **os.environ,
            "VS_TEST_BROKER_URL": broker_url,
            "VS_TEST_CONCURRENCY": str(concurrency),
            "VELSTACK_API_KEY": api_key,
            "VELSTACK_BASE_URL": base_url,
            "PYTHONPATH": str(ROOT),
        }
        self.log_dir = log_dir
        self.max_tasks = max_tasks
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            name = f"w{len(self.processes)}"
            log = (self.log_dir / f"{self.kind}-{name}.log").open("ab")
            self.processes.append(
                subprocess.Popen(
                    command(self.kind, name, self.max_tasks, self.processes_per_worker),
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()

    def kill(self, index: int) -> None:
        """``kill -9`` the worker and its children (no cleanup, requests in flight cut)."""
        process = self.processes[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for index, process in enumerate(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill(index)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("*.log")))

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
