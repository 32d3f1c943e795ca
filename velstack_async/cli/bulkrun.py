"""Running ``velstack bulk``. A first Ctrl-C stops the campaign (the sends in flight finish),
a second aborts it (they end ``unknown``); the engine's report is the summary. ``--failed-out``
lists the rows certainly not sent, never an ``unknown`` one (resending it could send twice)."""

from __future__ import annotations

import csv
import os
import shlex
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import attrs
from rich.console import Group, RenderableType
from rich.text import Text

from .._bulk import BulkMessage, BulkReport, BulkResult, BulkStatus, CampaignOptions, CampaignStop
from .._csvfile import CsvFile, Row
from .._exceptions import AuthenticationError, InsufficientBalanceError, VelstackError
from .._files import open_private
from .commands.journals import file_stamp, mark_completed
from .output import CliError, ExitCode, LiveProgress, exit_code_for, jsonable, table
from .session import Session, with_ctrl_c

__all__ = ["MAX_LISTED", "PHONE_COLUMNS", "Outcome", "Plan", "finish", "make_plan", "run_bulk"]

PHONE_COLUMNS = ("phone_number", "recipient")
MAX_LISTED = 1000  # rows not sent (bulk) or not added (contacts import) listed one by one
MAX_REASONS = 50  # distinct reasons counted apart; the rest are grouped
INTERRUPTED = "interrupted (Ctrl-C)"  # the stopped_reason after Ctrl-C
_STATS = (("sent", "green"), ("failed", "red"), ("skipped", "yellow"), ("credits", "cyan"))
_FATAL = (InsufficientBalanceError, AuthenticationError)
_STOPPING = "Stopping: no new message will be sent; waiting for the ones in flight"


def cli_reason(reason: str) -> str:
    """A reason naming an SDK keyword names the ``velstack bulk`` flag that does the same."""
    reason = reason.replace("pass resend_unknown=True", "add --resend-unknown")
    reason = reason.replace("resend_unknown=True", "--resend-unknown")
    return reason.replace("allow_blank_fields=True", "--allow-blank-fields")


@attrs.frozen
class Plan:
    source: CsvFile
    phone_column: str
    campaign: CampaignOptions
    journal_given: bool = False
    failed_out: str | None = None

    @property
    def journal(self) -> str:
        assert self.campaign.journal_path is not None
        return self.campaign.journal_path

    def message(self, row: Row) -> BulkMessage:
        return BulkMessage(row.fields[self.phone_column], fields=row.fields)


def make_plan(file: str, campaign: CampaignOptions) -> Plan:
    source = CsvFile.open(file)
    phone_column = source.column(*PHONE_COLUMNS)
    assert campaign.template is not None  # a message is always given
    if unknown := ", ".join(f"{{{n}}}" for n in campaign.template.names if n not in source.columns):
        columns = ", ".join(source.columns)
        raise CliError(
            f"the message uses {unknown}, but {file} has no such column (columns: {columns})"
        )
    return Plan(source, phone_column, campaign)


@attrs.define
class Outcome:
    plan: Plan
    report: BulkReport = attrs.field(init=False)
    interrupted: str | None = None  # "stopped" or "aborted" after Ctrl-C
    reasons: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    unsent: list[dict[str, Any]] = attrs.field(factory=list)
    unsent_omitted: int = 0
    fatal: VelstackError | None = None  # the first error that stopped the campaign
    failed_out_rows: int = 0

    def add(self, row: Row, result: BulkResult) -> None:
        if self.fatal is None and isinstance(result.error, _FATAL):
            self.fatal = result.error
        status, reason = str(result.status), cli_reason(result.reason or "")
        if (status, reason) not in self.reasons and len(self.reasons) >= MAX_REASONS:
            reason = "other reasons"
        self.reasons[status, reason] += 1
        if len(self.unsent) >= MAX_LISTED:
            self.unsent_omitted += 1
            return
        self.unsent.append({"line": row.line, "recipient": result.recipient, "status": status})
        self.unsent[-1]["reason"] = None if result.reason is None else reason


def run_bulk(session: Session, plan: Plan) -> Outcome:
    outcome, stop = Outcome(plan), CampaignStop()
    pending: dict[int, Row] = {}  # each row until its result comes back
    total = plan.source.row_count
    with (
        _failed_out(plan) as write_failed,
        plan.source.rows() as rows,
        LiveProgress(session.err, description="Sending", total=total, stats=_STATS) as bar,
    ):

        def on_result(result: BulkResult) -> None:
            row = pending.pop(result.index)
            if result.status is not BulkStatus.SENT:
                outcome.add(row, result)
            if write_failed is not None and _retryable(result):
                write_failed(row, result)
                outcome.failed_out_rows += 1
            bar.done(**_increments(result))

        def messages() -> Iterator[BulkMessage]:
            for index, row in enumerate(rows):
                pending[index] = row
                yield plan.message(row)

        def on_ctrl_c(presses: int) -> bool:
            stop.set(INTERRUPTED, hard=presses > 1)
            aborting = "Aborting: the sends in flight are reported unknown"
            session.notice(aborting if presses > 1 else f"{_STOPPING} (Ctrl-C again to abort now)")
            return presses > 1

        outcome.report = session.run(
            lambda client: with_ctrl_c(
                on_ctrl_c,
                client.sms.send_campaign(messages(), plan.campaign, on_result=on_result, stop=stop),
            )
        )
    outcome.interrupted = "aborted" if stop.hard else "stopped" if stop.is_set() else None
    return outcome


@contextmanager
def _failed_out(plan: Plan) -> Iterator[Callable[[Row, BulkResult], None] | None]:
    path, columns = plan.failed_out, plan.source.columns
    if path is None:
        yield None
        return
    if os.path.exists(path) and os.path.samefile(path, plan.source.path):
        raise CliError(f"--failed-out {path} is the input file: choose another path")
    try:
        handle = open_private(path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    prefix = "velstack_" if {"status", "reason"} & set(columns) else ""
    with handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, f"{prefix}status", f"{prefix}reason"])

        def write(row: Row, result: BulkResult) -> None:
            reason = None if result.reason is None else cli_reason(result.reason)
            writer.writerow([*(row.fields[c] for c in columns), str(result.status), reason])

        yield write


def _retryable(result: BulkResult) -> bool:
    """Certainly not sent (a skipped invalid number has an error; a duplicate none)."""
    status = result.status
    skipped_invalid = status is BulkStatus.SKIPPED and result.error is not None
    return skipped_invalid or status in (BulkStatus.FAILED, BulkStatus.NOT_ATTEMPTED)


def _increments(result: BulkResult) -> dict[str, int | Decimal]:
    status = result.status
    if status is BulkStatus.SENT:
        summary = result.summary  # each recipient takes its share of the batch's credits
        assert summary is not None
        share = summary.credit_used / summary.total_contacts if summary.total_contacts else 0
        return {"sent": 1, "credits": share}
    if status in (BulkStatus.FAILED, BulkStatus.UNKNOWN):
        return {"failed": 1}
    return {"skipped": 1} if status is BulkStatus.SKIPPED else {}


def exit_code(outcome: Outcome) -> ExitCode:
    report, fatal = outcome.report, outcome.fatal
    if outcome.interrupted:
        return ExitCode.INTERRUPTED
    if report.stopped_reason is not None:
        return ExitCode.API_ERROR if fatal is None else exit_code_for(fatal)
    if report.failed or report.unknown or report.not_attempted:
        return ExitCode.PARTIAL
    return ExitCode.OK


def finish(session: Session, outcome: Outcome) -> ExitCode:
    code, report, plan = exit_code(outcome), outcome.report, outcome.plan
    file = plan.source.path
    if code is ExitCode.OK:
        summary: dict[str, Any] = {"file": file, "file_stamp": file_stamp(file)}
        summary |= {"rows": plan.source.row_count, "sent": report.sent, "skipped": report.skipped}
        summary |= {"credit_used": report.credit_used, "credit_left": report.credit_left}
        mark_completed(plan.journal, jsonable(summary))
    session.show(_document(outcome, code), _tables(outcome))
    for line in _next_steps(outcome, code):
        session.notice(line, style="")
    return code


def _document(outcome: Outcome, code: ExitCode) -> dict[str, Any]:
    report, plan = outcome.report, outcome.plan
    counts = "total sent failed unknown unknown_stale skipped not_attempted suppressed capped"
    counts += " deferred credit_used credit_left"
    doc = {"file": plan.source.path, "rows": plan.source.row_count}
    doc |= {name: getattr(report, name) for name in counts.split()}
    doc["elapsed"] = round(report.elapsed, 3)
    doc["messages_per_second"] = round(report.messages_per_second, 1)
    doc |= {"stopped_reason": report.stopped_reason, "interrupted": outcome.interrupted}
    doc |= {"exit_code": int(code), "journal": plan.journal, "failed_out": plan.failed_out}
    doc |= {"failed_out_rows": outcome.failed_out_rows}
    reasons = outcome.reasons.most_common()
    doc["reasons"] = [{"status": s, "reason": r, "count": n} for (s, r), n in reasons]
    return doc | {"unsent": outcome.unsent, "unsent_omitted": outcome.unsent_omitted}


def _count(value: int, style: str) -> Text:
    return Text(f"{value:,}", style=style if value else "dim")


def _of_which(name: str, value: int) -> list[tuple[str, object]]:
    return [(f"  of which {name}", _count(value, "yellow"))] if value else []


def _tables(outcome: Outcome) -> Group:
    report = outcome.report
    balance: object = report.credit_left  # Velstack reports it with each send (no endpoint)
    if balance is None:
        balance = Text("unknown (Velstack reports it with each send)", style="dim")
    pairs: list[tuple[str, object]] = [
        ("Rows", outcome.plan.source.row_count),
        ("Sent", _count(report.sent, "bold green")),
        ("Failed", _count(report.failed, "bold red")),
        ("Unknown (may have been sent)", _count(report.unknown, "bold yellow")),
        *_of_which("stale connection (safe to resend)", report.unknown_stale),
        ("Skipped", _count(report.skipped, "yellow")),
        *_of_which("suppressed (opted out)", report.suppressed),
        *_of_which("over the frequency cap", report.capped),
        ("Not attempted", _count(report.not_attempted, "yellow")),
        *_of_which("outside the send window", report.deferred),
        ("Credits used", report.credit_used),
        ("Credit left (balance)", balance),
        ("Time", f"{report.elapsed:.1f} s ({report.messages_per_second:,.0f} messages/s)"),
    ]
    if report.stopped_reason:
        pairs.append(("Stopped", Text(report.stopped_reason, style="bold red")))
    shown: list[RenderableType] = ["", table(pairs, title="Campaign summary")]
    if reasons := outcome.reasons.most_common(10):
        rows = [(status, reason, count) for (status, reason), count in reasons]
        shown += ["", table(rows, ("Status", "Reason", "Rows"), title="Not sent")]
    return Group(*shown)


def _next_steps(outcome: Outcome, code: ExitCode) -> list[str]:
    report, plan, lines = outcome.report, outcome.plan, []
    if plan.failed_out and outcome.failed_out_rows:
        rows = _plural(outcome.failed_out_rows, "row")
        lines.append(f"{rows} not sent written to {plan.failed_out}")
    if report.unknown:
        lines.append(
            f"{_plural(report.unknown, 'message')} may have been delivered (outcome unknown): "
            "check before resending; a rerun skips them unless you add --resend-unknown"
        )
    if outcome.interrupted == "aborted":
        lines.append("Aborted: sends that were in flight are recorded as unknown in the journal.")
    skipped = "rows already sent are skipped"
    if code is ExitCode.INTERRUPTED:
        lines.append(f"Interrupted. Run the same command again to resume: {skipped}")
    elif code is ExitCode.INSUFFICIENT_BALANCE:
        lines.append("Top up your balance, then run the same command again to send the rest")
    elif code is not ExitCode.OK:
        lines.append(f"Run the same command again to retry the rows not sent: {skipped}")
    if code is not ExitCode.OK:
        lines[-1] += f" (journal: {shlex.quote(plan.journal)})."
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
