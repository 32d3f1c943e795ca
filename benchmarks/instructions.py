"""CPU instructions per message, counted by valgrind: the figure machine noise cannot move.

    python benchmarks/instructions.py                       # send_bulk and aiohttp, c=64 and 256
    python benchmarks/instructions.py --clients send_bulk,sync_send_bulk,aiohttp --concurrency 64
    python benchmarks/instructions.py --server nginx   # the client-bound cell's server

Wall-clock and CPU-time figures on a shared machine swing by half from one
cell to the next. ``valgrind --tool=callgrind`` counts the instructions a
client executes instead, which repeats within a few percent. Each client runs
twice under valgrind against the fake server, or with ``--server nginx``
against the client-bound cell's nginx (either in its own process, not
counted), sending ``small`` and then ``large`` messages; the difference
divided by ``large - small`` is the cost of one message, start-up and imports
cancelled out. Needs valgrind (Debian: ``apt install valgrind``); slow (about
a minute per run, 16 minutes for three clients at two concurrency levels), so
``run_all.py`` runs it only with ``--instructions``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from client_bound import API_KEY
from clients import CLIENTS
from loopback import fake_server
from nginx import nginx_server

HERE = Path(__file__).resolve().parent
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")

#: Runs one client once, with ``count`` messages (the module's own child mode).
_CHILD = """
import sys
sys.path.insert(0, {here!r})
from clients import CLIENTS, Target, recipients
CLIENTS[{client!r}](Target({url!r}, {key!r}), {concurrency}, recipients({count}, start={start}))
"""


def instructions(client: str, url: str, key: str, concurrency: int, count: int, start: int) -> int:
    """Instructions executed by one run of ``client`` sending ``count`` messages."""
    code = _CHILD.format(
        here=str(HERE), client=client, url=url, key=key, concurrency=concurrency, count=count,
        start=start,
    )  # fmt: skip
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-c", code,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{client} under valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="send_bulk,aiohttp")
    parser.add_argument("--concurrency", default="64,256")
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=6_000)
    parser.add_argument("--server", choices=("fake", "nginx"), default="fake")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        return 1
    clients = [c for c in args.clients.split(",") if c]
    unknown = sorted(set(clients) - set(CLIENTS))
    if unknown:
        parser.error(f"unknown clients: {', '.join(unknown)}")
    levels = [int(c) for c in args.concurrency.split(",") if c]
    print(f"instructions per message (valgrind callgrind; {args.large:,} minus {args.small:,})")
    print(f"{'concurrency':>11} {'client':>18} {'instructions':>13} {'vs aiohttp':>10}")
    start = 0
    with _server(args.server) as (base_url, api_key):
        for concurrency in levels:
            per_message: dict[str, float] = {}
            for client in clients:
                counts = []
                for count in (args.small, args.large):
                    counts.append(
                        instructions(client, base_url, api_key, concurrency, count, start)
                    )
                    start += count + 1
                per_message[client] = (counts[1] - counts[0]) / (args.large - args.small)
            base = per_message.get("aiohttp")
            for client, value in per_message.items():
                ratio = f"{value / base:.2f}x" if base else "-"
                print(f"{concurrency:>11} {client:>18} {value:>13,.0f} {ratio:>10}", flush=True)
    return 0


@contextlib.contextmanager
def _server(kind: str) -> Iterator[tuple[str, str]]:
    """(base URL, API key) of the fake server or of nginx (not pinned: valgrind is one CPU)."""
    if kind == "nginx":
        with nginx_server(pinned=False) as nginx:
            yield nginx.base_url, API_KEY
    else:
        with fake_server() as fake:
            yield fake.base_url, fake.api_key


if __name__ == "__main__":
    sys.exit(main())
