"""Reading the recipients lazily (`BATCH` at a time), each a send job or a result, in order:
normalised, rendered, checked by the journal and the policy. The `Batcher` holds the read-ahead.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import anyio

from .. import _validation as check
from .._encoding import smart_encode
from .._exceptions import InvalidInputError
from .._phone import DEFAULT_REGION, InvalidNumber, normalize, to_api_format
from .._policy.reasons import FREQUENCY_CAP, SUPPRESSED, verdict_of
from .admitting import Admitter
from .journal import JournalStore, Row, Verdict
from .models import BulkMessage, BulkResult, BulkStatus
from .options import CampaignOptions
from .outcome import not_attempted
from .ports import Admission, Ended, Job
from .template import Template

__all__ = ["BATCH", "Recipients", "Source", "iterate"]

Recipients = Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage]

#: Input items read and prepared at a time (one journal round trip per batch).
BATCH = 64
#: Seconds an async input is read for before what came is handed on.
READ_WAIT = 0.05
#: The journal rows of the sending policy's skips (`_policy.reasons.verdict_of`).
_POLICY_ROWS = {"suppressed": Row.SUPPRESSED, "capped": Row.CAPPED}
_NO_FIELDS: Mapping[str, Any] = {}


def iterate(recipients: object) -> Iterator[Any] | AsyncIterator[Any]:
    """An iterator over ``recipients``; `InvalidInputError` for a str or a non-iterable."""
    if isinstance(recipients, AsyncIterable):
        return recipients.__aiter__()
    if isinstance(recipients, Iterable) and not isinstance(recipients, (str, bytes)):
        return iter(recipients)
    one = "one " if isinstance(recipients, (str, bytes, BulkMessage)) else ""
    raise InvalidInputError(
        "recipients must be an iterable or async iterable of numbers (a list, a generator...), "
        f"not {one}{type(recipients).__name__}"
    )


class Source:
    """The `WorkSource` of a local campaign (and of the Redis loader and the CLI's dry run)."""

    def __init__(
        self,
        items: Iterator[Any] | AsyncIterator[Any],
        campaign: CampaignOptions,
        journal: JournalStore,
        admission: Admission | None = None,
    ) -> None:
        self._items, self._campaign, self._journal = items, campaign, journal
        self._admitter = (
            None if admission is None else Admitter(admission, campaign.wait_for_window)
        )
        self._region = campaign.region or DEFAULT_REGION
        self._allow_blank = campaign.allow_blank_fields
        self._index = 0
        self._exhausted = False
        #: Once set, every recipient still to come is `not_attempted` with this reason.
        self.stop_reason: str | None = None

    async def take(self) -> list[Job | BulkResult]:
        """The next jobs and results, in input order; [] at the end. One caller at a time."""
        if self._admitter is None:
            return await self._next()
        return await self._admitter.take(self, self._next, self._file)

    async def _next(self) -> list[Job | BulkResult]:
        """The next input items, prepared and checked against the journal; [] at the end."""
        if self._exhausted:
            return []
        batch = await self._read()
        start = self._index - len(batch)
        if (reason := self.stop_reason) is not None:
            return [
                not_attempted(str(x.recipient if isinstance(x, BulkMessage) else x), i, reason)
                for i, x in enumerate(batch, start)
            ]
        prepared = [self._prepare(start + i, item) for i, item in enumerate(batch)]
        jobs = [p for p in prepared if type(p) is Job]
        verdicts = iter(await self._journal.aclassify([job.key for job in jobs]) if jobs else ())
        return [
            item
            if type(item) is not Job or (v := next(verdicts)) is Verdict.NEW
            else _seen(item, v)
            for item in prepared
        ]

    async def _file(self, ended: Ended) -> None:
        """The sending policy's skips, recorded before they are reported (a resume keeps them)."""
        kept: list[tuple[int, str | None, int]] = [
            (row, None, job.key)
            for job, result in ended
            if result.status is BulkStatus.SKIPPED
            and (row := _POLICY_ROWS.get(verdict_of(result.reason or "") or "")) is not None
        ]
        if kept and self._journal.durable:
            await self._journal.record_many(kept)

    async def _read(self) -> list[Any]:
        """Up to `BATCH` input items (of an async input, what came within `READ_WAIT`)."""
        items, batch = self._items, list[Any]()
        if not isinstance(items, AsyncIterator):
            batch = list(islice(items, BATCH))
            self._exhausted = len(batch) < BATCH
        else:
            deadline = anyio.current_time() + READ_WAIT
            try:
                while len(batch) < BATCH:
                    batch.append(await items.__anext__())
                    if anyio.current_time() >= deadline:
                        break
            except StopAsyncIteration:
                self._exhausted = True
        self._index += len(batch)
        return batch

    def _prepare(self, index: int, item: Any) -> Job | BulkResult:
        """Check one input item: a `Job`, or its ``skipped`` / ``failed`` result (no request)."""
        campaign = self._campaign
        recipient, template, fields, sender = item, campaign.template, _NO_FIELDS, None
        if isinstance(item, BulkMessage):
            recipient, fields, sender = item.recipient, item.fields, item.sender
            if item.message is not None:
                try:
                    template = Template.parse(item.message)
                except InvalidInputError as exc:
                    return _result(BulkStatus.FAILED, recipient, index, exc)
        if not isinstance(recipient, str):
            kind = "a str" if isinstance(item, BulkMessage) else "a str or BulkMessage"
            error = InvalidInputError(f"recipient must be {kind}, not {type(recipient).__name__}")
            return _result(BulkStatus.SKIPPED, str(recipient), index, error)
        try:
            e164 = normalize(recipient.strip(), self._region)
        except InvalidNumber as exc:
            error = InvalidInputError(f"recipient: {exc}")
            return _result(BulkStatus.SKIPPED, recipient, index, error, str(exc))
        try:
            if template is None:
                raise InvalidInputError("no message: pass message= or BulkMessage(message=)")
            text = template.render(fields, allow_blank=self._allow_blank)
            sender = campaign.sender if sender is None else check.sender(sender)
            if not text.strip():
                raise InvalidInputError("the message is empty once its template is filled")
        except InvalidInputError as exc:
            return _result(BulkStatus.FAILED, recipient, index, exc)
        if campaign.smart_encoding:
            text = smart_encode(text)
        return Job(index, recipient, int(e164[1:]), to_api_format(e164), text, sender)


def _result(
    status: BulkStatus, recipient: str, index: int, error: InvalidInputError, reason: str = ""
) -> BulkResult:
    return BulkResult(recipient, status, None, error, reason=reason or error.message, index=index)


#: The result of a number the journal has already seen, by its verdict.
_SEEN = {
    Verdict.DUPLICATE: (BulkStatus.SKIPPED, "duplicate"),
    Verdict.ALREADY_SENT: (BulkStatus.SKIPPED, "already sent (journal of an earlier run)"),
    Verdict.ALREADY_SUPPRESSED: (BulkStatus.SKIPPED, f"{SUPPRESSED} (journal of an earlier run)"),
    Verdict.ALREADY_CAPPED: (BulkStatus.SKIPPED, f"{FREQUENCY_CAP}: in an earlier run (journal)"),
    Verdict.ALREADY_UNKNOWN: (
        BulkStatus.UNKNOWN,
        "outcome unknown in an earlier run (journal): it may have been sent; "
        "pass resend_unknown=True to send it again",
    ),
}


def _seen(job: Job, verdict: Verdict) -> BulkResult:
    status, reason = _SEEN[verdict]
    return BulkResult(job.recipient, status, reason=reason, index=job.index)
