"""Every benchmark in one run (``nox -s bench``); writes benchmarks/RESULTS.md.

    python benchmarks/run_all.py                  # the full run (about 11 minutes)
    python benchmarks/run_all.py --quick          # a smoke run: small counts, two rounds
    python benchmarks/run_all.py --instructions   # also instructions per message (valgrind)

1. Throughput: the fake server in its own process on loopback; velstack-async
   ``send_bulk`` (async and sync), raw aiohttp, raw httpx and a sequential
   requests loop send the same campaign at concurrency 1, 64 and 256, with 0
   and 50 ms of server latency.
2. The client-bound cell: ``benchmarks/client_bound.py`` (Debian's nginx on
   CPU 0 answers; ``send_bulk``, raw aiohttp and twilio-python on CPU 1).
3. Memory: ``benchmarks/bulk_memory.py`` (1,000,000 recipients from a generator).
4. The sync facade's per-call overhead: ``benchmarks/sync_overhead.py``.
5. With ``--instructions``: ``benchmarks/instructions.py``, CPU instructions per
   message under valgrind, which the machine's noise cannot move.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import attrs
from measure import Figures
from pinning import client_cpus, server_cpus
from report import median_cells, rounds_of, throughput_table
from targets import check_targets
from throughput import SEQUENTIAL_SECONDS, Plan, run_plan

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"

FULL = Plan(
    clients=("send_bulk", "sync_send_bulk", "aiohttp", "httpx", "requests"),
    concurrency=(1, 64, 256),
    latency=(0.0, 0.05),
    count=5_000,
    sequential_count=3_000,
    counts={"httpx": 1_000},
    rounds=7,
    repeated=frozenset({"send_bulk", "sync_send_bulk", "aiohttp"}),
)
#: The transport options weighed for the SDK (issue 7), in a separate run.
OPTIONS = Plan(
    clients=("aiohttp", "httpx_aiohttp", "sdk_send", "sdk_send_httpcore"),
    concurrency=(64, 256),
    latency=(0.0,),
    count=5_000,
    counts={"sdk_send_httpcore": 2_000},
)
QUICK = Plan(
    clients=FULL.clients,
    concurrency=FULL.concurrency,
    latency=FULL.latency,
    count=500,
    sequential_count=100,
    counts={"httpx": 300},
    rounds=2,
    repeated=FULL.repeated,
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run_script(name: str, args: Sequence[str], timeout: float) -> str:
    """Run a sibling benchmark script; its output (or why it did not run)."""
    path = HERE / name
    if not path.exists():
        return f"(not run: {name} does not exist yet)"
    command = [sys.executable, str(path), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"(stopped: {name} ran longer than {timeout:.0f} s)"
    output = done.stdout.strip()
    if done.returncode != 0:
        output += f"\n(exit status {done.returncode})\n{done.stderr.strip()[-2000:]}"
    return output


def placement(plan: Plan) -> str:
    """Where the server and the clients ran, for the results' header."""
    server, clients = server_cpus(), client_cpus()
    if not plan.pinned or server is None or clients is None:
        return "sharing every CPU with the client cells (not pinned)"
    return (
        f"pinned to CPU {_cpus(server)} while every client cell runs on CPU {_cpus(clients)} "
        "(`benchmarks/pinning.py`: Velstack's servers never share a client's CPU)"
    )


def _cpus(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def render(
    results: list[Figures],
    options: list[Figures],
    memory: str,
    sync: str,
    command: str,
    seconds: float,
    plan: Plan,
    instructions: str | None = None,
    client_bound: str = "(not run: `python benchmarks/run_all.py` without --skip-client-bound)",
) -> str:
    today = datetime.date.today().isoformat()
    options_table = (
        throughput_table(median_cells(options))
        if options
        else "(not run: `python benchmarks/run_all.py --options`)"
    )
    return f"""# Benchmark results

Date: {today}. Machine: {machine()}.
Command: `{command}` ({seconds / 60:.1f} minutes).

Only ratios within one run mean anything: the machine is shared and noisy
(a client's CPU time per message has been seen to vary 1.7x from one cell to
the next, with no steal time reported). The fake server
(`python -m velstack_async.testing serve`, uvicorn) runs in its own process on
loopback, {placement(plan)}; each cell runs in a fresh client process
and reports client-process CPU (user + system, all threads, via `getrusage`)
and peak RSS. The cells of {", ".join(sorted(plan.repeated))} run
{rounds_of(results)} rounds, one client straight after another in alternating
order (A B C, C B A, ...); the table shows each cell's median round, and a
target is judged on the median of its per-round ratios. Messages per cell:
{plan.count:,}; raw httpx {plan.counts.get("httpx", plan.count):,} (it is slow);
concurrency 1 and the sequential `requests` loop {plan.sequential_count:,}
without latency and {SEQUENTIAL_SECONDS / 0.05:.0f} with 50 ms
({SEQUENTIAL_SECONDS:g} s of waiting).

## Throughput

{throughput_table(median_cells(results))}

## Targets

{check_targets(results)}

## Transport options tried (one round, no latency)

httpx over `httpx-aiohttp` (the PyPI package) under a plain
`httpx.AsyncClient`; `AsyncVelstack.sms.send` from concurrent workers over the
SDK's aiohttp adapter and over httpx's own transport.

{options_table}

## Client-bound cell: nginx answers, the client's CPU decides (`benchmarks/client_bound.py`)

Debian's nginx (one worker pinned to CPU 0) answers each quick SMS from its
configuration with the documented answer naming the number sent; each client
runs in a fresh process pinned to CPU 1; rounds alternate as above. CPU ms/msg
is the client process's CPU time (user + system) over its messages.
`send_bulk` sends one recipient per request here (`batch_size=1`).
twilio-python uses its defaults (its aiohttp session keeps at most 100
connections).

{client_bound}

## Memory: 1,000,000 recipients through `send_bulk`

```
{memory}
```

## Sync facade per-call overhead

```
{sync}
```

{_instructions_section(instructions)}"""


def _instructions_section(instructions: str | None) -> str:
    """The instructions section; none when not run (`kept_sections` keeps an earlier one)."""
    if instructions is None:
        return ""
    title = "## CPU instructions per message (`benchmarks/instructions.py`)"
    return f"{title}\n\n```\n{instructions}\n```\n"


def kept_sections(old: str, new: str) -> str:
    """The sections of the results file ``old`` that ``new`` does not write.

    Other scripts' figures (``batching.py``, ``distributed.py``, an instructions
    count run on its own) are measured separately and pasted in; a run of this
    script keeps them as they were instead of dropping them.
    """
    titles = {line for line in new.splitlines() if line.startswith("## ")}
    kept: list[str] = []
    keep = False
    for line in old.splitlines():
        if line.startswith("## "):
            keep = line not in titles
        if keep:
            kept.append(line)
    return "\n".join(kept).strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--skip-client-bound", action="store_true", help="skip the nginx cell (about 2 minutes)"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the repeated cells (default 7)")
    parser.add_argument(
        "--no-pin", action="store_true", help="let the server and clients share every CPU"
    )
    parser.add_argument(
        "--options", action="store_true", help="also compare the transport options (+2 min)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per message under valgrind (+16 min)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan = attrs.evolve(plan, rounds=args.rounds)
    if args.no_pin:
        plan = attrs.evolve(plan, pinned=False)
    started = time.perf_counter()
    print("throughput (client, concurrency, latency):", flush=True)
    results = run_plan(plan, progress=lambda line: print(line, flush=True))
    options: list[Figures] = []
    if args.options:
        print("transport options:", flush=True)
        options = run_plan(OPTIONS, progress=lambda line: print(line, flush=True))
    extra = {}
    if not args.skip_client_bound:
        print("client-bound cell: client_bound.py", flush=True)
        bound_args = ["--rounds", "2", "--count", "500"] if args.quick else []
        extra["client_bound"] = run_script("client_bound.py", bound_args, 900)
        print(extra["client_bound"], flush=True)
    print("memory: bulk_memory.py", flush=True)
    memory_args = ["--quick"] if args.quick else []
    memory = "(skipped)" if args.skip_memory else run_script("bulk_memory.py", memory_args, 420)
    print(memory, flush=True)
    print("sync overhead: sync_overhead.py", flush=True)
    sync = run_script("sync_overhead.py", ["--calls", "300" if args.quick else "2000"], 180)
    print(sync, flush=True)
    command = " ".join(["python benchmarks/run_all.py", *(argv or sys.argv[1:])])
    if args.instructions:
        print("instructions: instructions.py", flush=True)
        clients = ["--clients", "send_bulk_unbatched,aiohttp"]  # one recipient per request
        extra["instructions"] = run_script("instructions.py", clients, 900)
        print(extra["instructions"], flush=True)
    seconds = time.perf_counter() - started
    text = render(results, options, memory, sync, command, seconds, plan, **extra)
    if args.output.exists():
        kept = kept_sections(args.output.read_text(), text)
        if kept:
            text = f"{text.rstrip()}\n\n{kept}\n"
    args.output.write_text(text)
    table = throughput_table(median_cells(results))
    print(f"\n{table}\n\n{check_targets(results)}\n\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
