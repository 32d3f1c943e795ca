"""The end of ``velstack bulk``: the summary (table or JSON), what to do next, the exit code."""

from __future__ import annotations

import shlex
from decimal import Decimal
from typing import Any

from rich.text import Text

from .._exceptions import AuthenticationError, InsufficientBalanceError
from .bulkrun import Outcome
from .errors import ExitCode
from .journals import file_stamp, mark_completed
from .output import key_value_table, rows_table
from .session import Session

__all__ = ["exit_code", "finish"]


def exit_code(outcome: Outcome) -> ExitCode:
    """130 interrupted; 3 / 4 / 5 stopped early; 7 some rows not sent; else 0."""
    report = outcome.report
    if outcome.interrupted:
        return ExitCode.INTERRUPTED
    if report.stopped_reason is not None:
        fatal = outcome.tally.fatal
        if isinstance(fatal, InsufficientBalanceError):
            return ExitCode.INSUFFICIENT_BALANCE
        if isinstance(fatal, AuthenticationError):
            return ExitCode.AUTHENTICATION
        return ExitCode.API_ERROR
    if report.failed or report.unknown or report.not_attempted:
        return ExitCode.PARTIAL
    return ExitCode.OK


def finish(session: Session, outcome: Outcome) -> ExitCode:
    """Print the summary and the next steps; a completed campaign is marked so in its journal."""
    code = exit_code(outcome)
    if code is ExitCode.OK:
        mark_completed(outcome.options.journal, completion_summary(outcome))
    if session.json:
        session.emit_json(_document(outcome, code))
    else:
        _tables(session, outcome)
    for line in _next_steps(outcome, code):
        session.err.print(line, markup=False, highlight=False, soft_wrap=True)
    return code


def completion_summary(outcome: Outcome) -> dict[str, Any]:
    """What the journal keeps about a completed campaign (shown when it is run again)."""
    report = outcome.report
    return {
        "file": outcome.options.file,
        "file_stamp": file_stamp(outcome.options.file),
        "rows": outcome.rows,
        "sent": report.sent,
        "skipped": report.skipped,
        "credit_used": str(report.credit_used),
        "credit_left": None if report.credit_left is None else str(report.credit_left),
    }


def _document(outcome: Outcome, code: ExitCode) -> dict[str, Any]:
    report, tally, options = outcome.report, outcome.tally, outcome.options
    return {
        "file": options.file,
        "rows": outcome.rows,
        "total": report.total,
        "sent": report.sent,
        "failed": report.failed,
        "unknown": report.unknown,
        "unknown_stale": report.unknown_stale,
        "skipped": report.skipped,
        "not_attempted": report.not_attempted,
        "suppressed": report.suppressed,
        "capped": report.capped,
        "deferred": report.deferred,
        "credit_used": report.credit_used,
        "credit_left": report.credit_left,
        "elapsed": round(report.elapsed, 3),
        "messages_per_second": round(report.messages_per_second, 1),
        "stopped_reason": report.stopped_reason,
        "interrupted": outcome.interrupted,
        "exit_code": int(code),
        "journal": outcome.options.journal,
        "failed_out": options.failed_out,
        "failed_out_rows": outcome.failed_out_rows,
        "reasons": [
            {"status": status, "reason": reason, "count": count}
            for (status, reason), count in tally.reasons.most_common()
        ],
        "unsent": tally.unsent,
        "unsent_omitted": tally.unsent_omitted,
    }


def _count(value: int, style: str) -> Text:
    """A count, coloured when it matters and dim when it is zero."""
    return Text(f"{value:,}", style=style if value else "dim")


def _of_which(*counts: tuple[str, int]) -> list[tuple[str, object]]:
    """``  of which ...`` lines for the non-zero ``counts``."""
    return [(f"  of which {name}", _count(value, "yellow")) for name, value in counts if value]


def _balance(credit_left: Decimal | None) -> object:
    """The balance Velstack reported with the last send (it has no balance endpoint)."""
    if credit_left is None:
        return Text("unknown (Velstack reports it with each send)", style="dim")
    return credit_left


def _tables(session: Session, outcome: Outcome) -> None:
    report = outcome.report
    pairs: list[tuple[str, object]] = [
        ("Rows", f"{outcome.rows:,}"),
        ("Sent", _count(report.sent, "bold green")),
        ("Failed", _count(report.failed, "bold red")),
        ("Unknown (may have been sent)", _count(report.unknown, "bold yellow")),
        *_of_which(("stale connection (safe to resend)", report.unknown_stale)),
        ("Skipped", _count(report.skipped, "yellow")),
        *_of_which(
            ("suppressed (opted out)", report.suppressed), ("over the frequency cap", report.capped)
        ),
        ("Not attempted", _count(report.not_attempted, "yellow")),
        *_of_which(("outside the send window", report.deferred)),
        ("Credits used", report.credit_used),
        ("Credit left (balance)", _balance(report.credit_left)),
        ("Time", f"{report.elapsed:.1f} s ({report.messages_per_second:,.0f} messages/s)"),
    ]
    if report.stopped_reason:
        pairs.append(("Stopped", Text(report.stopped_reason, style="bold red")))
    session.out.print()
    session.out.print(key_value_table(pairs, title="Campaign summary"))
    reasons = outcome.tally.reasons.most_common(10)
    if reasons:
        rows = [(status, reason, f"{count:,}") for (status, reason), count in reasons]
        session.out.print()
        session.out.print(rows_table(("Status", "Reason", "Rows"), rows, title="Not sent"))


def _next_steps(outcome: Outcome, code: ExitCode) -> list[str]:
    """What to do now, for people (stderr). Never repeats the message text."""
    report, options = outcome.report, outcome.options
    lines = []
    if options.failed_out and outcome.failed_out_rows:
        rows = _plural(outcome.failed_out_rows, "row")
        lines.append(f"{rows} not sent written to {options.failed_out}")
    if report.unknown:
        lines.append(
            f"{_plural(report.unknown, 'message')} may have been delivered (outcome unknown): "
            "check before resending; a rerun skips them unless you add --resend-unknown"
        )
    if outcome.interrupted == "aborted":
        lines.append("Aborted: sends that were in flight are recorded as unknown in the journal.")
    journal = f"(journal: {shlex.quote(options.journal)})"
    if code is ExitCode.INTERRUPTED:
        lines.append(
            f"Interrupted. Run the same command again to resume: rows already sent are "
            f"skipped {journal}."
        )
    elif code is ExitCode.INSUFFICIENT_BALANCE:
        lines.append(
            f"Top up your balance, then run the same command again to send the rest {journal}."
        )
    elif code is not ExitCode.OK:
        lines.append(
            "Run the same command again to retry the rows not sent: rows already sent are "
            f"skipped {journal}."
        )
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
