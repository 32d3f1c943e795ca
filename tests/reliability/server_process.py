"""Starting, killing and inspecting `fake_child.py` server processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

CHILD = Path(__file__).with_name("fake_child.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeProcess:
    """One life of the fake server: ``with FakeProcess(...) as server:``; `kill` ends it early."""

    def __init__(self, port: int, api_key: str, log: Path, **faults: Any) -> None:
        command = [sys.executable, str(CHILD), str(port), api_key, str(log), json.dumps(faults)]
        self.log = log
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("VELSTACK_BASE_URL="):
            self.process.kill()
            raise RuntimeError(f"the fake server did not start (status {self.process.wait()})")
        self.base_url = line.partition("=")[2]

    def delivered_count(self) -> int:
        """Recipients delivered so far, over every life logging to the same file (cheap)."""
        return self.log.stat().st_size // 11 if self.log.exists() else 0  # "0201234567\n"

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = httpx.get(self.base_url + "/_fake/stats").json()
        return stats

    def set_faults(self, **changes: Any) -> None:
        httpx.put(self.base_url + "/_fake/faults", json=changes).raise_for_status()

    def kill(self) -> None:
        """SIGKILL: no cleanup, connections in flight break."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()


def delivered(log: Path) -> Counter[str]:
    """How many times each recipient was delivered, over every life of the server."""
    return Counter(log.read_text().split()) if log.exists() else Counter()
