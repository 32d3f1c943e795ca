"""What the SDK's OpenTelemetry support costs per message: no provider against the SDK's.

Two cells, in one process:

1. **The hook, no provider.** Without a provider a request pays one check
   in `Requester.request` before the request loop's coroutine is made. This
   cell times making (and closing) that coroutine through ``request`` and
   directly (``_request``): the difference is the whole cost of telemetry
   being off, in nanoseconds.
2. **Per message.** `send_bulk` (``batch_size=1``: one request per message)
   against the in-process fake (no sockets), CPU time per message, with no
   provider, with the OpenTelemetry SDK's meter only, tracer only, and both
   (a `BatchSpanProcessor` whose exporter drops the spans, and an in-memory
   metric reader). Configurations alternate round by round; the table shows
   the median and the spread (min..max) of the rounds, so "within noise"
   can be read off it.

Run with::

    python benchmarks/telemetry_overhead.py [--messages 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

import anyio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from velstack_async import AsyncVelstack
from velstack_async._parsing import sms_summary
from velstack_async._requester import _encode_json
from velstack_async.testing import FakeVelstack

MESSAGE = "Your Velstack code is 482193. It expires in 10 minutes."
SENDER = "VELSTACK"


class DroppingExporter(SpanExporter):
    """Receives every finished span (in batches, as a real exporter does) and drops it."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers(config: str) -> dict[str, Any]:
    """The client keywords of one configuration (fresh providers each round)."""
    keywords: dict[str, Any] = {}
    if "tracer" in config:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(DroppingExporter()))
        keywords["tracer_provider"] = tracer_provider
    if "meter" in config:
        keywords["meter_provider"] = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return keywords


async def campaign(config: str, messages: int) -> float:
    """CPU seconds per message of one `send_bulk` of ``messages`` recipients."""
    fake = FakeVelstack(balance=10**9, record_messages=False, seed=1)
    keywords = providers(config)
    async with AsyncVelstack(
        api_key=fake.api_key, transport=fake.async_transport(), **keywords
    ) as client:
        numbers = [f"02{i:08d}" for i in range(messages)]
        await client.sms.send_bulk(numbers[:200], message=MESSAGE, sender=SENDER, batch_size=1)
        start = time.process_time()
        report = await client.sms.send_bulk(
            numbers[200:], message=MESSAGE, sender=SENDER, batch_size=1, concurrency=32
        )
        elapsed = time.process_time() - start
    for provider in keywords.values():
        provider.shutdown()
    assert report.sent == messages - 200, report
    return elapsed / report.sent


def hook_cost(calls: int) -> tuple[float, float]:
    """Nanoseconds to make and close a request coroutine: through `request`, and directly."""
    client = AsyncVelstack(api_key="vs_bench_key")
    requester = client._requester
    requester._telemetry = None  # what the first request decides without a provider
    body = {"sender": SENDER, "recipient": "0205550368", "message": MESSAGE}

    def through_request() -> None:
        requester.request("POST", "/api/quick/sms", body=body, parse=sms_summary, once=True).close()

    def direct() -> None:
        content = _encode_json(body).encode()  # as `request` does before choosing its path
        requester._request("POST", "/api/quick/sms", sms_summary, content, True, None).close()

    best = {through_request: float("inf"), direct: float("inf")}
    gc.disable()
    try:
        for _ in range(15):  # alternating, best of 15 each: the machine's noise only adds time
            for call in best:
                start = time.perf_counter_ns()
                for _ in range(calls):
                    call()
                best[call] = min(best[call], (time.perf_counter_ns() - start) / calls)
    finally:
        gc.enable()
    return best[through_request], best[direct]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=3000, help="messages per campaign")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per configuration")
    parser.add_argument("--calls", type=int, default=200_000, help="calls in the hook cell")
    options = parser.parse_args()

    via_request, direct = hook_cost(options.calls)
    print(f"1. the hook without a provider ({options.calls:,} calls, best of 15)")
    print(f"   request() -> coroutine: {via_request:7.1f} ns")
    print(f"   _request() coroutine:   {direct:7.1f} ns")
    print(f"   added per request:      {via_request - direct:7.1f} ns\n")

    configs = ["no provider", "SDK meter", "SDK tracer", "SDK tracer + meter"]
    samples: dict[str, list[float]] = {config: [] for config in configs}
    for round_ in range(options.rounds):
        order = configs if round_ % 2 == 0 else configs[::-1]
        for config in order:
            samples[config].append(anyio.run(campaign, config, options.messages) * 1e6)

    base = statistics.median(samples["no provider"])
    print(
        f"2. send_bulk, batch_size=1, in-process fake, {options.messages:,} messages, "
        f"{options.rounds} alternating rounds: CPU µs per message (client and fake)"
    )
    print(f"   {'configuration':<20} {'median':>8} {'min..max':>15} {'vs none':>9} {'added':>9}")
    for config in configs:
        values = samples[config]
        median = statistics.median(values)
        spread = f"{min(values):.1f}..{max(values):.1f}"
        print(
            f"   {config:<20} {median:>8.1f} {spread:>15} {median / base:>8.2f}x "
            f"{median - base:>+8.1f}"
        )


if __name__ == "__main__":
    main()
