"""Peak RSS of `send_bulk` streaming 100,000 and 1,000,000 recipients from a generator.

    python benchmarks/bulk_memory.py                 # 100k and 1M (a few minutes)
    python benchmarks/bulk_memory.py --quick         # 10k and 100k
    python benchmarks/bulk_memory.py --journal       # with a journal on disk
    python benchmarks/bulk_memory.py --transport fake  # the in-process FakeVelstack

Each size runs in its own child process, so each peak (``ru_maxrss``) is that
campaign's alone. The default transport (``canned``) is the SDK's default
aiohttp transport with the network cut out: it answers every quick-SMS request
with the documented success body, naming the numbers sent, straight away (no sockets, no fake
bookkeeping), so the requests take the path they take in production, and what
is measured is the SDK's memory, duplicate detection included (every number is
distinct, so the duplicate store holds them all). ``canned-httpx`` answers the
same through an httpx transport (httpx's client layer, as with a caller's
``http_client``); ``fake`` is the in-process `FakeVelstack`. The target
(issue 7): peak RSS at 1M within 10 MB of the figure at 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence

import anyio
import anyio.lowlevel
import httpx

from velstack_async import AsyncVelstack
from velstack_async.fast import AiohttpTransport

TARGET_MB = 10.0
_ANSWER = {
    "status": True,
    "code": 200,
    "message": "Message sent Successfully",
    "data": {
        "summary": {
            "message_id": "550517f1-3810-4d17-bfdb-f2571d05c07c",
            "type": "Quick SMS",
            "message": "Flash sale",
            "sender": "VELSTACK",
            "total_contacts": 1,
            "recipients": ["0205550368"],
            "credit_used": 1,
            "credit_left": "47.00",
        }
    },
}


def _body(content: bytes | None) -> bytes:
    """The documented answer naming the numbers sent, as Velstack's does (the SDK checks)."""
    numbers = json.loads(content or b"{}").get("recipient", "0205550368").split(",")
    summary = {**_ANSWER["data"]["summary"], "recipients": numbers}  # type: ignore[index]
    summary["total_contacts"] = summary["credit_used"] = len(numbers)
    return json.dumps({**_ANSWER, "data": {"summary": summary}}).encode()


_HEADERS = [("content-type", "application/json")]
_RESPONSE_HEADERS = dict(_HEADERS)


class Canned(httpx.AsyncBaseTransport):
    """Answers every request with the documented quick-SMS success."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.lowlevel.checkpoint()
        body = _body(await request.aread())
        return httpx.Response(200, headers=_HEADERS, content=body, request=request)


class CannedExchange(AiohttpTransport):
    """The default transport without the network: every exchange answers at once."""

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,  # noqa: ASYNC109 (the signature of Adapter.exchange)
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        await anyio.lowlevel.checkpoint()
        return 200, _RESPONSE_HEADERS, _body(content)


def recipients(count: int) -> Iterator[str]:
    """``count`` distinct valid Ghanaian numbers, generated lazily."""
    for i in range(count):
        yield f"020{i:07d}"  # 10 million distinct numbers


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def child(
    count: int, transport_name: str, journal: bool, concurrency: int
) -> dict[str, float]:
    transport: httpx.AsyncBaseTransport | AiohttpTransport
    if transport_name == "fake":
        from velstack_async.testing import FakeVelstack

        fake = FakeVelstack(balance=10 * count, record_messages=False)
        api_key, transport = fake.api_key, fake.async_transport()
    elif transport_name == "canned-httpx":
        api_key, transport = "bench-key", Canned()
    else:
        api_key, transport = "bench-key", CannedExchange()
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncVelstack(api_key=api_key, transport=transport) as client:
            # Warm up (imports, caches, the connection path) before the baseline.
            await client.sms.send_bulk(recipients(100), message="Flash sale", sender="VELSTACK")
            baseline = peak_rss_mb()
            started, cpu = time.perf_counter(), time.process_time()
            report = await client.sms.send_bulk(
                recipients(count),
                message="Flash sale",
                sender="VELSTACK",
                concurrency=concurrency,
                journal=os.path.join(tmp, "campaign.journal") if journal else None,
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "count": count,
        "sent": report.sent,
        "skipped": report.skipped,
        "seconds": seconds,
        "cpu_us_per_msg": cpu / count * 1e6,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def measure(count: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(count), "--transport", args.transport]
    command += ["--concurrency", str(args.concurrency)] + (["--journal"] if args.journal else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k instead")
    parser.add_argument("--transport", choices=["canned", "canned-httpx", "fake"], default="canned")
    parser.add_argument("--journal", action="store_true", help="with a journal file")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        figures = anyio.run(child, args.child, args.transport, args.journal, args.concurrency)
        print(json.dumps(figures))
        return 0
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    print(
        f"send_bulk, {args.transport} transport, concurrency {args.concurrency}, "
        f"journal: {'yes' if args.journal else 'no'} (each size in its own process)"
    )
    print(
        f"{'recipients':>10} {'sent':>10} {'seconds':>8} {'CPU us/msg':>10} "
        f"{'baseline MB':>11} {'peak RSS MB':>11}"
    )
    rows = []
    for count in (small, large):
        row = measure(count, args)
        rows.append(row)
        print(
            f"{row['count']:>10,.0f} {row['sent']:>10,.0f} {row['seconds']:>8.1f} "
            f"{row['cpu_us_per_msg']:>10.0f} {row['baseline_mb']:>11.1f} {row['peak_mb']:>11.1f}",
            flush=True,
        )
    growth = rows[1]["peak_mb"] - rows[0]["peak_mb"]
    verdict = "met" if growth <= TARGET_MB else "MISSED"
    print(
        f"peak RSS growth from {small:,} to {large:,} recipients: {growth:+.1f} MB "
        f"(target: within {TARGET_MB:.0f} MB: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
