"""The two ways to run a campaign: to a report (`send_bulk`) or as a stream (`stream_bulk`)."""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio

from .. import _telemetry
from .._exceptions import StaleConnectionError
from .._policy.reasons import verdict_of
from .._retry import RetryPolicy
from .control import CampaignStop
from .delivery import LocalGate
from .engine import Engine, SendOne
from .models import BulkReport, BulkResult, BulkStatus
from .options import CampaignOptions
from .pacer import Pacer
from .ports import Admission, Budget

__all__ = ["OnResult", "send_bulk", "stream_bulk"]

OnResult = Callable[[BulkResult], object]

#: The largest `stream_bulk` burst, in multiples of ``concurrency``.
MAX_BURST = 16
#: Seconds a cancelled `send_bulk` may spend reporting the recipients it did not send.
REPORT_REST = 30.0
#: Summaries remembered to count each request's credit once (one worker emits them in a row).
_RECENT_SUMMARIES = 4096


async def send_bulk(
    send: SendOne,
    policy: RetryPolicy,
    campaign: CampaignOptions,
    recipients: object,
    on_result: OnResult | None,
    telemetry: _telemetry.Telemetry | None = None,
    stop: CampaignStop | None = None,
    admission: Admission | None = None,
    budget: Budget | None = None,
) -> BulkReport:
    """Run the whole campaign in one pass of the worker pool; return its report."""
    engine = await Engine.local(send, policy, campaign, recipients, stop, admission, budget)
    trace = _telemetry.campaign_trace(telemetry, "send_bulk", campaign)
    report = ReportBuilder(campaign.keep_unsent)

    def emit(result: BulkResult) -> Awaitable[Any] | None:
        report.add(result)
        return None if on_result is None else _awaitable(on_result(result))

    counted = _telemetry.counting(trace, emit)
    try:
        with _telemetry.running(trace, lambda: engine.stop_reason):
            try:
                await engine.run(counted)
            except anyio.get_cancelled_exc_class():
                # Cancelled: on_result still gets every recipient (in flight: unknown).
                with anyio.CancelScope(shield=True), anyio.move_on_after(REPORT_REST):
                    await engine.report_rest(counted)
                raise
    finally:
        await engine.aclose()
    gate = engine.delivery.gate
    pacer = gate.pacer if isinstance(gate, LocalGate) else None
    return report.build(engine.stop_reason, engine.delivery.requests, pacer)


async def stream_bulk(
    send: SendOne,
    policy: RetryPolicy,
    campaign: CampaignOptions,
    recipients: object,
    on_result: OnResult | None,
    telemetry: _telemetry.Telemetry | None = None,
    stop: CampaignStop | None = None,
    admission: Admission | None = None,
    budget: Budget | None = None,
) -> AsyncGenerator[BulkResult, None]:
    """Run the campaign in bursts (``concurrency`` results, doubling up to `MAX_BURST` times
    it); yield between them, with no task running: a consumer may stop at any time."""
    engine = await Engine.local(send, policy, campaign, recipients, stop, admission, budget)
    trace = _telemetry.campaign_trace(telemetry, "stream_bulk", campaign)
    burst = campaign.concurrency
    results: list[BulkResult] = []
    try:
        while True:
            with _telemetry.running(trace):  # not across a yield: per burst
                await engine.run(_telemetry.counting(trace, results.append), burst)
            burst = min(2 * burst, MAX_BURST * campaign.concurrency)
            if not results:
                return
            batch, results = results, []
            for result in batch:
                if on_result is not None and (pending := _awaitable(on_result(result))):
                    await pending
                yield result
    finally:
        _telemetry.finish(trace, engine.stop_reason)
        await engine.aclose()


class ReportBuilder:
    """Counts every result; keeps the non-sent ones, up to ``keep`` (None: all)."""

    def __init__(self, keep: int | None) -> None:
        self._keep, self._counts = keep, dict.fromkeys(BulkStatus, 0)
        self._credit_used, self._started = Decimal(0), time.monotonic()
        self._credit_left: Decimal | None = None
        self._unsent: list[BulkResult] = []
        self._omitted = self._stale = 0
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._policy = dict.fromkeys(("suppressed", "capped", "deferred"), 0)

    def add(self, result: BulkResult) -> None:
        self._counts[result.status] += 1
        summary = result.summary
        if summary is not None and summary.message_id not in self._recent:
            self._recent[summary.message_id] = None  # a batch's credit counts once
            if len(self._recent) > _RECENT_SUMMARIES:
                self._recent.popitem(last=False)
            self._credit_used += summary.credit_used
            # Completion order is not the server's order; the balance only goes down.
            if self._credit_left is None or summary.credit_left < self._credit_left:
                self._credit_left = summary.credit_left
        if result.status is BulkStatus.SENT:
            return
        if result.status is BulkStatus.UNKNOWN and isinstance(result.error, StaleConnectionError):
            self._stale += 1
        elif result.reason is not None and result.error is None:
            verdict = verdict_of(result.reason)
            if verdict is not None:
                self._policy[verdict] += 1
        if self._keep is None or len(self._unsent) < self._keep:
            self._unsent.append(result)
        else:
            self._omitted += 1

    def build(self, stopped_reason: str | None, requests: int, pacer: Pacer | None) -> BulkReport:
        elapsed = time.monotonic() - self._started
        sent = self._counts[BulkStatus.SENT]
        return BulkReport(
            total=sum(self._counts.values()),
            **{status.value: count for status, count in self._counts.items()},
            credit_used=self._credit_used,
            credit_left=self._credit_left,
            elapsed=elapsed,
            messages_per_second=sent / elapsed if elapsed > 0 else 0.0,
            stopped_reason=stopped_reason,
            unsent=tuple(self._unsent),
            unsent_omitted=self._omitted,
            requests=requests,
            throttled=0 if pacer is None else pacer.throttled,
            settled_rate=None if pacer is None else pacer.settled_rate,
            unknown_stale=self._stale,
            **self._policy,
        )


def _awaitable(value: object) -> Awaitable[Any] | None:
    return value if inspect.isawaitable(value) else None
