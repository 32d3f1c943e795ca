"""Running ``velstack bulk``: CSV rows in, live progress, Ctrl-C handled, an `Outcome` out.

The first Ctrl-C stops the campaign cleanly through a `CampaignStop`: no new
send starts, the sends in flight finish and are reported, every later row is
reported ``not_attempted``. A second Ctrl-C aborts (``set(hard=True)``): the
sends in flight are cut off and reported ``unknown`` (never resent by default).
Either way the engine reports every row and its report is the summary; a rerun
resumes from the journal.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal

import anyio
import attrs

from .._bulk import (
    BulkMessage,
    BulkReport,
    BulkResult,
    BulkStatus,
    CampaignOptions,
    CampaignStop,
    OnResult,
)
from .._client import AsyncVelstack
from .._exceptions import AuthenticationError, InsufficientBalanceError, VelstackError
from .bulkplan import BulkOptions, Plan, cli_reason
from .csvinput import Row
from .failedout import FailedOut, is_retryable
from .progress import LiveProgress
from .session import Session

__all__ = ["Outcome", "run_bulk"]

#: Non-sent rows listed one by one in the JSON report (all are counted).
MAX_LISTED = 1000
#: Distinct reasons counted separately; the rest are grouped.
MAX_REASONS = 50
_STATS = (
    ("sent", "sent", "green"),
    ("failed", "failed", "red"),
    ("skipped", "skipped", "yellow"),
    ("credits", "credits", "cyan"),
)


#: The report's ``stopped_reason`` (and the reason of each row not attempted) after Ctrl-C.
INTERRUPTED = "interrupted (Ctrl-C)"


@attrs.define
class Unsent:
    """A row that was not sent, for the JSON report."""

    line: int
    recipient: str
    status: str
    reason: str | None


@attrs.define
class Tally:
    """What the summary lists besides the engine's counts: reasons and unsent rows."""

    reasons: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    unsent: list[Unsent] = attrs.field(factory=list)
    unsent_omitted: int = 0
    #: The first error that stopped the campaign (balance, API key), if any.
    fatal: VelstackError | None = None

    def add(self, row: Row, result: BulkResult) -> None:
        if result.status is BulkStatus.SENT:
            return
        error = result.error
        if self.fatal is None and isinstance(
            error, (InsufficientBalanceError, AuthenticationError)
        ):
            self.fatal = error
        key = (str(result.status), cli_reason(result.reason or ""))
        if key not in self.reasons and len(self.reasons) >= MAX_REASONS:
            key = (key[0], "other reasons")
        self.reasons[key] += 1
        if len(self.unsent) < MAX_LISTED:
            reason = None if result.reason is None else key[1]
            self.unsent.append(Unsent(row.line, result.recipient, key[0], reason))
        else:
            self.unsent_omitted += 1


@attrs.define
class Outcome:
    """What a bulk run did, for the summary and the exit code."""

    options: BulkOptions
    rows: int
    report: BulkReport
    tally: Tally
    #: None: ran to the end (or stopped by itself); "stopped" or "aborted" after Ctrl-C.
    interrupted: str | None
    failed_out_rows: int


def run_bulk(session: Session, options: BulkOptions, plan: Plan) -> Outcome:
    """Send the campaign; return what happened (errors that stop it early are raised)."""
    campaign = options.campaign
    rows = plan.source.row_count
    pending: dict[int, Row] = {}
    tally = Tally()
    # Set by the first Ctrl-C (the engine stops after the sends in flight), hard by the second.
    stop = CampaignStop()
    failed_out: AbstractContextManager[FailedOut | None] = (
        FailedOut(options.failed_out, options.file, plan.source.columns)
        if options.failed_out
        else nullcontext()
    )
    with (
        failed_out as out,
        plan.source.rows() as csv_rows,
        LiveProgress(session.err, description="Sending", total=rows, stats=_STATS) as bar,
    ):

        def on_result(result: BulkResult) -> None:
            row = pending.pop(result.index)
            tally.add(row, result)
            if out is not None and is_retryable(result):
                out.write(row, result)
            bar.advance(**_increments(result))

        messages = plan.messages(csv_rows, pending)
        report = session.run(
            lambda client: _send(client, messages, campaign, on_result, stop, session)
        )
    interrupted = "aborted" if stop.hard else "stopped" if stop.is_set() else None
    return Outcome(
        options=options,
        rows=rows,
        report=report,
        tally=tally,
        interrupted=interrupted,
        failed_out_rows=out.rows if out is not None else 0,
    )


def _increments(result: BulkResult) -> dict[str, int | Decimal]:
    status = result.status
    if status is BulkStatus.SENT:
        assert result.summary is not None
        # A batch's answer is every one of its results' summary: each sent recipient takes
        # its share, so the bar adds up to the credits Velstack reported (not N times them).
        summary = result.summary
        share = summary.credit_used / summary.total_contacts if summary.total_contacts else 0
        return {"sent": 1, "credits": share}
    if status in (BulkStatus.FAILED, BulkStatus.UNKNOWN):
        return {"failed": 1}
    if status is BulkStatus.SKIPPED:
        return {"skipped": 1}
    return {}


async def _send(
    client: AsyncVelstack,
    messages: Iterator[BulkMessage],
    campaign: CampaignOptions,
    on_result: OnResult,
    stop: CampaignStop,
    session: Session,
) -> BulkReport:
    """Send the campaign while watching for Ctrl-C; the engine's report of every row."""
    report: BulkReport | None = None
    error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_ctrl_c, stop, session)
        try:
            report = await client.sms.send_campaign(
                messages, campaign, on_result=on_result, stop=stop
            )
        except Exception as exc:  # re-raised below, not wrapped in an exception group
            error = exc
        finally:
            tg.cancel_scope.cancel()
    if error is not None:
        raise error
    assert report is not None
    return report


async def _watch_ctrl_c(stop: CampaignStop, session: Session) -> None:
    """First Ctrl-C: stop after the sends in flight. Second: abort them (``unknown``)."""
    try:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                if stop.is_set():
                    stop.set(INTERRUPTED, hard=True)
                    session.notice("Aborting: the sends in flight are reported unknown")
                    return
                stop.set(INTERRUPTED)
                session.notice(
                    "Stopping: no new message will be sent; waiting for the ones in flight "
                    "(Ctrl-C again to abort now)"
                )
    except (NotImplementedError, ValueError):
        return  # no signal handling here (Windows, or not the main thread): plain Ctrl-C
