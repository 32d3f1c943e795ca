"""The two ways to run a campaign: to a report (`send_bulk`) or as a stream (`stream_bulk`)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import anyio

from .. import _telemetry
from .._retry import RetryPolicy
from .control import CampaignStop
from .delivery import LocalGate
from .engine import Engine, SendOne
from .models import BulkReport, BulkResult
from .options import CampaignOptions
from .ports import Admission, Budget
from .report import ReportBuilder

__all__ = ["OnResult", "send_bulk", "stream_bulk"]

OnResult = Callable[[BulkResult], object]

#: The largest `stream_bulk` burst, in multiples of ``concurrency``.
MAX_BURST = 16
#: Seconds a cancelled `send_bulk` may spend reporting the recipients it did not send.
REPORT_REST = 30.0


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
    """Run the whole campaign in one pass of the worker pool; return its report.

    ``stop``: a `CampaignStop` the caller may set to stop it gracefully. ``admission`` and
    ``budget``: the sending policy's say per recipient and the spend caps (`ports`).
    """
    engine = await Engine.local(send, policy, campaign, recipients, stop, admission, budget)
    trace = _telemetry.campaign_trace(telemetry, "send_bulk", campaign)
    report = ReportBuilder(campaign.keep_unsent)
    add = _seen_by(admission, report.add)
    if on_result is None:
        emit: Callable[[BulkResult], Awaitable[Any] | None] = add
    else:

        def emit(result: BulkResult) -> Awaitable[Any] | None:
            add(result)
            pending = on_result(result)
            return pending if inspect.isawaitable(pending) else None

    delivery = engine.delivery
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
        await _finish(admission)
    pacer = delivery.gate.pacer if isinstance(delivery.gate, LocalGate) else None
    return report.build(
        engine.stop_reason,
        requests=delivery.requests,
        throttled=0 if pacer is None else pacer.throttled,
        settled_rate=None if pacer is None else pacer.settled_rate,
    )


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
    """Run the campaign in bursts of results; yield them between bursts.

    No task is running while this generator is suspended at a ``yield``, so a
    consumer may stop iterating at any time (``break``, an exception,
    cancellation): nothing is in flight, the journal is consistent, and no
    further message is sent. The first burst is ``concurrency`` results (the
    first results come quickly); each next one doubles, up to `MAX_BURST`
    times ``concurrency``, where waiting for a burst's slowest send costs
    little throughput.
    """
    engine = await Engine.local(send, policy, campaign, recipients, stop, admission, budget)
    trace = _telemetry.campaign_trace(telemetry, "stream_bulk", campaign)
    burst = campaign.concurrency
    results: list[BulkResult] = []
    try:
        while True:
            with _telemetry.running(trace):  # not across a yield: per burst
                add = _seen_by(admission, results.append)
                await engine.run(_telemetry.counting(trace, add), burst)
            burst = min(2 * burst, MAX_BURST * campaign.concurrency)
            if not results:
                return
            batch, results = results, []
            for result in batch:
                if on_result is not None:
                    pending = on_result(result)
                    if inspect.isawaitable(pending):
                        await pending
                yield result
    finally:
        _telemetry.finish(trace, engine.stop_reason)
        await engine.aclose()
        await _finish(admission)


def _seen_by(
    admission: Admission | None, add: Callable[[BulkResult], None]
) -> Callable[[BulkResult], None]:
    """``add``, telling the admission of each result first (`Admission.ended`)."""
    if admission is None:
        return add
    ended = admission.ended

    def seen(result: BulkResult) -> None:
        ended(result)
        add(result)

    return seen


async def _finish(admission: Admission | None) -> None:
    if admission is not None:
        with anyio.CancelScope(shield=True):
            await admission.finish()
