"""The fake Velstack server in its own process on loopback, steerable from the benchmark.

The server runs ``python -m velstack_async.testing serve`` (uvicorn) in a child
process, so its CPU is not counted against the clients being measured.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator

import attrs
from pinning import pin, server_cpus

from velstack_async.testing import serve_in_subprocess

#: Enough credit for every benchmark run; messages are counted, not kept.
SERVER_ARGS = ("--balance", "1e12", "--no-record-messages", "--seed", "7")


@attrs.frozen
class Server:
    base_url: str
    api_key: str
    #: The CPUs the server is pinned to, or None (it shares every CPU).
    cpus: set[int] | None = None
    #: The server's added response latency, in seconds.
    latency: float = 0.0

    def with_latency(self, seconds: float) -> Server:
        """Change the server's added response latency (``PUT /_fake/faults``)."""
        self._control("PUT", "/_fake/faults", {"latency": seconds})
        return attrs.evolve(self, latency=seconds)

    def stats(self) -> dict[str, object]:
        """The server's counters (``GET /_fake/stats``)."""
        result: dict[str, object] = self._control("GET", "/_fake/stats", None)
        return result

    def _control(self, method: str, path: str, body: object) -> dict[str, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, object] = json.loads(response.read())
        return result


@contextlib.contextmanager
def fake_server(latency: float = 0.0, *, pinned: bool = False) -> Iterator[Server]:
    """Start the fake in a child process; yields where it listens.

    ``pinned``: the server runs on a CPU of its own (see `pinning`), when the
    machine has two or more.
    """
    with serve_in_subprocess(SERVER_ARGS) as process:
        cpus = server_cpus() if pinned else None
        if cpus is not None:
            pin(process.process.pid, cpus)
        yield Server(process.base_url, process.api_key, cpus).with_latency(latency)
