"""After a double Ctrl-C: the fate of every row the engine did not report, from the journal.

The first Ctrl-C stops the campaign through a `CampaignStop` and the engine
reports every row. A second one aborts it: no report comes back and the last
results never reach ``on_result`` (the sends in flight are cut off). The
journal knows what happened to each of them, so every row the engine took
but did not report is looked up there by number:

- ``sent`` / ``failed`` / ``unknown`` (``attempting``, cut off mid-send, is
  unknown) in this run: that status;
- ``queued``, or not seen in this run: not attempted;
- a number that an earlier row of the file already had: a duplicate;
- an invalid number, or a template that cannot be filled: what the engine
  would have said, no request was made.

The rows the engine never took are not attempted. A sent row's credits are
counted from its text (the estimate Velstack charges by), unless its request
was already counted through another row of the same batch.
"""

from __future__ import annotations

from collections.abc import Container, Iterator

from .. import _bulk
from .._bulk import BulkResult, BulkStatus
from .._bulk.journal import Row as State
from .._bulk.template import TemplateError
from .._exceptions import InvalidInputError
from .._phone import InvalidNumber, normalize
from .bulkplan import Plan
from .csvinput import Row
from .journalfile import read_info, read_keys

__all__ = ["Settled", "settle"]

_STOPPED = "not attempted: the campaign was interrupted (Ctrl-C)"
_BY_STATE = {
    State.SENT: BulkStatus.SENT,
    State.FAILED: BulkStatus.FAILED,
    State.UNKNOWN: BulkStatus.UNKNOWN,
    State.ATTEMPTING: BulkStatus.UNKNOWN,
}
_REASONS = {
    BulkStatus.FAILED: "failed (from the journal: reported after Ctrl-C)",
    BulkStatus.UNKNOWN: "outcome unknown (from the journal: in flight at Ctrl-C); "
    "it may have been sent: add --resend-unknown to send it again",
}


class Settled:
    """The rows the engine did not report, each with its result from the journal."""

    def __init__(self) -> None:
        self.results: list[tuple[Row, BulkResult]] = []
        #: Credits of the sent rows among them (from their text).
        self.credits = 0


def settle(
    plan: Plan,
    pending: dict[int, Row],
    unread: Iterator[Row],
    *,
    first_unread: int,
    journal: str,
    sent_before: int,
    sent_reported: int,
    counted: Container[str],
    region: str,
    allow_blank: bool,
) -> tuple[Settled, Iterator[tuple[Row, BulkResult]]]:
    """Results for ``pending`` (taken by the engine, never reported), then for ``unread``.

    ``sent_before`` is how many numbers the journal had as sent before this
    run; ``sent_reported`` how many sent results the engine reported. The
    unread rows come lazily (a file of millions is not held in memory).
    ``counted`` holds the message ids whose credits the report already has (a
    batch's request is charged once, and some of its results may be reported).
    """
    settled = Settled()
    keys: dict[int, int] = {}  # pending row index -> its number's key
    for index, row in sorted(pending.items()):
        key = _key(plan, row, region)
        if isinstance(key, BulkResult):
            settled.results.append((row, _indexed(key, index)))
        else:
            keys[index] = key
    first = _first_rows(plan, pending, keys, region)
    states = read_keys(journal, set(keys.values()))
    # Sent numbers in this run but not reported: sent now, or already sent by an earlier run
    # (both are "sent" in the journal); the count tells how many were sent now.
    sent_now = max(0, _sent_total(journal) - sent_before - sent_reported)
    for index, key in keys.items():
        row = pending[index]
        state, seen_run, message_id = states.states.get(key, (State.QUEUED, -1, None))
        recipient = row.fields[plan.phone_column]
        if seen_run != states.run or state is State.QUEUED or states.run == 0:
            result = BulkResult(recipient, BulkStatus.NOT_ATTEMPTED, reason=_STOPPED, index=index)
        elif first[key] != index:
            result = BulkResult(recipient, BulkStatus.SKIPPED, reason="duplicate", index=index)
        elif state is State.SENT and sent_now > 0:
            sent_now -= 1
            result = BulkResult(recipient, BulkStatus.SENT, index=index)
            if message_id is None or message_id not in counted:
                settled.credits += _credits(plan, row, allow_blank)
        elif state is State.SENT:
            reason = "already sent (journal of an earlier run)"
            result = BulkResult(recipient, BulkStatus.SKIPPED, reason=reason, index=index)
        else:
            status = _BY_STATE[state]
            result = BulkResult(recipient, status, reason=_REASONS[status], index=index)
        settled.results.append((row, result))
    settled.results.sort(key=lambda pair: pair[1].index)
    return settled, _unread(plan, unread, first_unread)


def _key(plan: Plan, row: Row, region: str) -> int | BulkResult:
    """The row's number as the journal's key, or the result of a row that makes no request."""
    recipient = row.fields[plan.phone_column]
    try:
        return int(normalize(recipient.strip(), region)[1:])
    except InvalidNumber as exc:
        error = InvalidInputError(f"recipient: {exc}")
        return BulkResult(recipient, BulkStatus.SKIPPED, error=error, reason=str(exc))


def _indexed(result: BulkResult, index: int) -> BulkResult:
    return BulkResult(
        result.recipient, result.status, result.summary, result.error,
        reason=result.reason, index=index,
    )  # fmt: skip


def _first_rows(
    plan: Plan, pending: dict[int, Row], keys: dict[int, int], region: str
) -> dict[int, int]:
    """For each pending number, the index of the first row of the file that has it."""
    first: dict[int, int] = {}
    for index, key in sorted(keys.items()):
        first.setdefault(key, index)
    if not first:
        return first
    last = max(keys)
    # An earlier row the engine did report may hold the same number: read the file again.
    with plan.source.rows() as rows:
        for index, row in enumerate(rows):
            if index >= last:
                break
            if index in pending:
                continue
            try:
                key = int(normalize(row.fields[plan.phone_column].strip(), region)[1:])
            except InvalidNumber:
                continue
            if key in first and index < first[key]:
                first[key] = index
    return first


def _sent_total(journal: str) -> int:
    info = read_info(journal)
    return 0 if info is None else info.counts["sent"]


def _credits(plan: Plan, row: Row, allow_blank: bool) -> int:
    try:
        text = plan.template.render(row.fields, allow_blank=allow_blank)
    except TemplateError:
        return 0
    return _bulk.estimate(text).credits


def _unread(plan: Plan, rows: Iterator[Row], start: int) -> Iterator[tuple[Row, BulkResult]]:
    for index, row in enumerate(rows, start):
        recipient = row.fields[plan.phone_column]
        yield row, BulkResult(recipient, BulkStatus.NOT_ATTEMPTED, reason=_STOPPED, index=index)
