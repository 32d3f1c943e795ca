"""Running ``velstack bulk``: CSV rows in, live progress, Ctrl-C handled, an `Outcome` out.

The first Ctrl-C stops the campaign cleanly: no new send starts, the sends in
flight finish and are recorded in the journal. A second Ctrl-C aborts at once
(sends in flight are then ``unknown`` in the journal: never resent by default).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import anyio
import attrs

from .._bulk import BulkMessage, BulkReport, BulkResult, BulkStatus
from .._bulk.report import ReportBuilder
from .._client import AsyncVelstack
from .._exceptions import AuthenticationError, InsufficientBalanceError, VelstackError
from .bulkplan import BulkOptions, Plan
from .csvinput import Row
from .failedout import FailedOut, is_retryable
from .journals import default_journal
from .progress import LiveProgress
from .session import Session

__all__ = ["Outcome", "run_bulk"]

#: Non-sent rows listed one by one in the JSON report (all are counted).
MAX_LISTED = 1000
#: Distinct reasons counted separately; the rest are grouped.
MAX_REASONS = 50
_PROGRESS_STATS = (("sent", "sent", "green"), ("failed", "failed", "red"))
_CREDITS_STAT = ("credits", "credits", "cyan")


class _Interrupted(Exception):
    """Raised from ``on_result`` after Ctrl-C: the engine stops and lets in-flight sends finish."""


@attrs.define
class _Stop:
    requested: bool = False
    aborted: bool = False


@attrs.define
class Unsent:
    """A row that was not sent, for the JSON report."""

    line: int
    recipient: str
    status: str
    reason: str | None


@attrs.define
class Tally:
    """Everything learnt from the results as they arrive."""

    builder: ReportBuilder = attrs.field(factory=lambda: ReportBuilder(keep=0))
    reasons: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    unsent: list[Unsent] = attrs.field(factory=list)
    unsent_omitted: int = 0
    #: The first error that stopped the campaign (balance, API key), if any.
    fatal: VelstackError | None = None

    def add(self, row: Row, result: BulkResult) -> None:
        self.builder.add(result)
        if result.status is BulkStatus.SENT:
            return
        error = result.error
        if self.fatal is None and isinstance(
            error, (InsufficientBalanceError, AuthenticationError)
        ):
            self.fatal = error
        key = (str(result.status), result.reason or "")
        if key not in self.reasons and len(self.reasons) >= MAX_REASONS:
            key = (key[0], "other reasons")
        self.reasons[key] += 1
        if len(self.unsent) < MAX_LISTED:
            self.unsent.append(Unsent(row.line, result.recipient, key[0], result.reason))
        else:
            self.unsent_omitted += 1


@attrs.define
class Outcome:
    """What a bulk run did, for the summary and the exit code."""

    options: BulkOptions
    rows: int
    report: BulkReport
    tally: Tally
    journal: str
    journal_is_default: bool
    #: None: ran to the end (or stopped by itself); "stopped" or "aborted" after Ctrl-C.
    interrupted: str | None
    failed_out_rows: int


def run_bulk(session: Session, options: BulkOptions, plan: Plan) -> Outcome:
    """Send the campaign; return what happened (errors that stop it early are raised)."""
    sender = session.default_sender(options.sender)
    rows = plan.source.count()
    journal = options.journal or default_journal(options.file, options.message, sender)
    if options.journal is None and os.path.exists(journal):
        session.notice(
            f"Resuming this campaign from the journal of an earlier run ({journal}): rows "
            "already sent are skipped (pass --journal NEW_PATH to start afresh)"
        )
    pending: dict[int, Row] = {}
    tally = Tally()
    stop = _Stop()
    failed_out: AbstractContextManager[FailedOut | None] = (
        FailedOut(options.failed_out, options.file, plan.source.columns)
        if options.failed_out
        else nullcontext()
    )
    stats = (*_PROGRESS_STATS, _CREDITS_STAT)
    with (
        failed_out as out,
        plan.source.rows() as csv_rows,
        LiveProgress(session.err, description="Sending", total=rows, stats=stats) as bar,
    ):

        def on_result(result: BulkResult) -> None:
            row = pending.pop(result.index)
            tally.add(row, result)
            if out is not None and is_retryable(result):
                out.write(row, result)
            bar.advance(**_increments(result))
            if stop.requested:
                raise _Interrupted

        settings: dict[str, Any] = {
            "message": options.message,
            "sender": sender,
            "title": options.title,
            "concurrency": options.concurrency,
            "rate_limit": options.rate,
            "journal": journal,
            "resend_unknown": options.resend_unknown,
            "keep_unsent": 0,
            "on_result": on_result,
        }
        messages = plan.messages(csv_rows, pending)
        report = session.run(lambda client: _send(client, messages, settings, stop, session))
    if report is None:
        report = tally.builder.build("interrupted (Ctrl-C)")
        interrupted: str | None = "aborted" if stop.aborted else "stopped"
    else:
        interrupted = None
    return Outcome(
        options=options,
        rows=rows,
        report=report,
        tally=tally,
        journal=journal,
        journal_is_default=options.journal is None,
        interrupted=interrupted,
        failed_out_rows=out.rows if out is not None else 0,
    )


def _increments(result: BulkResult) -> dict[str, Any]:
    status = result.status
    if status is BulkStatus.SENT:
        assert result.summary is not None
        return {"sent": 1, "credits": result.summary.credit_used}
    if status in (BulkStatus.FAILED, BulkStatus.UNKNOWN):
        return {"failed": 1}
    return {}


async def _send(
    client: AsyncVelstack,
    messages: Iterator[BulkMessage],
    settings: dict[str, Any],
    stop: _Stop,
    session: Session,
) -> BulkReport | None:
    """Send the campaign while watching for Ctrl-C; None when it was interrupted."""
    report: BulkReport | None = None
    error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_ctrl_c, stop, tg.cancel_scope, session)
        try:
            report = await client.sms.send_bulk(messages, **settings)
        except _Interrupted:
            pass
        except Exception as exc:  # re-raised below, not wrapped in an exception group
            error = exc
        finally:
            tg.cancel_scope.cancel()
    if error is not None:
        raise error
    return report


async def _watch_ctrl_c(stop: _Stop, scope: anyio.CancelScope, session: Session) -> None:
    """First Ctrl-C: stop after the sends in flight. Second: cancel them."""
    try:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                if stop.requested:
                    stop.aborted = True
                    scope.cancel()
                    return
                stop.requested = True
                session.notice(
                    "Stopping: no new message will be sent; waiting for the ones in flight "
                    "(Ctrl-C again to abort now)"
                )
    except (NotImplementedError, ValueError):
        return  # no signal handling here (Windows, or not the main thread): plain Ctrl-C
