"""Reading the recipients lazily and turning each into a send job or an immediate result.

The `Batcher` pulls from one `Source` (it holds the one read-ahead buffer; the
source keeps none). It reads the input a small batch at a time
(a sync or async iterable, never the whole of it), normalises each number,
renders its message, and asks the journal which numbers are new, so every
per-recipient decision that needs no request is made here, once, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
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
from .ports import Admission, Job
from .template import Template, TemplateError

__all__ = ["Recipients", "Source", "iterate"]

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
    if isinstance(recipients, (str, bytes, BulkMessage)):
        raise InvalidInputError(
            "recipients must be an iterable of numbers (a list, a generator...), not one "
            f"{type(recipients).__name__}"
        )
    if isinstance(recipients, AsyncIterable):
        return recipients.__aiter__()
    if isinstance(recipients, Iterable):
        return iter(recipients)
    raise InvalidInputError(
        f"recipients must be an iterable or async iterable, not {type(recipients).__name__}"
    )


class Source:
    """Turns the input into `Job` and ready-made `BulkResult` items, in input order."""

    def __init__(
        self,
        items: Iterator[Any] | AsyncIterator[Any],
        campaign: CampaignOptions,
        journal: JournalStore,
        admission: Admission | None = None,
    ) -> None:
        self._items = items
        self._admitter = (
            None if admission is None else Admitter(admission, campaign.wait_for_window)
        )
        self._campaign = campaign
        self._journal = journal
        #: Resolved by the caller (the client's default region when the options have none).
        self._region = campaign.region or DEFAULT_REGION
        self._allow_blank = campaign.allow_blank_fields
        self._index = 0
        self._exhausted = False
        #: Once set, every recipient still to come is `not_attempted` with this reason.
        self.stop_reason: str | None = None

    async def take(self) -> list[Job | BulkResult]:
        """The next jobs and results, in input order; [] at the end.

        No buffer of its own (the caller's is the read-ahead) and no lock: one
        caller at a time (the `Batcher` reads for every worker).
        """
        while not (self._exhausted and not self._holding):
            ready = await self._refill()
            if ready:
                return ready
        return []

    @property
    def _holding(self) -> bool:
        return self._admitter is not None and self._admitter.holding

    async def _refill(self) -> list[Job | BulkResult]:
        if self._holding:
            due = await self._refill_deferred()
            if due is not None:
                return due
        start = self._index
        batch = await self._read()
        self._index += len(batch)
        if self.stop_reason is not None:
            return [
                not_attempted(_recipient_of(item), start + i, self.stop_reason)
                for i, item in enumerate(batch)
            ]
        prepared = [self._prepare(start + i, item) for i, item in enumerate(batch)]
        jobs = [p for p in prepared if type(p) is Job]
        verdicts = iter(await self._journal.aclassify([job.key for job in jobs]) if jobs else ())
        ready = [
            item
            if type(item) is not Job or (v := next(verdicts)) is Verdict.NEW
            else _seen(item, v)
            for item in prepared
        ]
        if self._admitter is not None:
            ready = await self._admit(ready)
        return ready

    async def _admit(self, ready: list[Job | BulkResult]) -> list[Job | BulkResult]:
        """The sending policy's verdict on each new job (`Admitter`): send, skip or defer."""
        assert self._admitter is not None
        admitted, ended = await self._admitter.admit(ready)
        kept: list[tuple[int, str | None, int]] = [
            (row, None, job.key)
            for job, result in ended
            if result.status is BulkStatus.SKIPPED
            and (row := _POLICY_ROWS.get(verdict_of(result.reason or "") or "")) is not None
        ]
        if kept and self._journal.durable:  # what a resumed campaign keeps: durable first
            await self._journal.record_many(kept)
        return admitted

    async def _refill_deferred(self) -> list[Job | BulkResult] | None:
        """The deferred recipients whose window opened (admitted again: an opt-out added
        meanwhile counts); once the input is read, wait for the next one ([] after the
        wait). None: read the input instead."""
        admitter = self._admitter
        assert admitter is not None
        if self.stop_reason is not None:
            return list(admitter.drop(self.stop_reason))
        due: list[Job | BulkResult] = list(admitter.due())
        if due:
            return await self._admit(due)
        if not self._exhausted:
            return None
        await admitter.wait()
        return []

    async def _read(self) -> list[Any]:
        items = self._items
        batch: list[Any] = []
        if isinstance(items, AsyncIterator):
            # A slow input is handed on as it comes: what arrived within READ_WAIT.
            deadline = anyio.current_time() + READ_WAIT
            try:
                while len(batch) < BATCH:
                    batch.append(await items.__anext__())
                    if anyio.current_time() >= deadline:
                        break
            except StopAsyncIteration:
                self._exhausted = True
        else:
            for item in items:
                batch.append(item)
                if len(batch) == BATCH:
                    break
            else:
                self._exhausted = True
        return batch

    def _prepare(self, index: int, item: Any) -> Job | BulkResult:
        """Check one input item; a `Job`, or the `skipped` / `failed` result (no request)."""
        campaign = self._campaign
        if isinstance(item, str):
            recipient, template, fields, sender = item, campaign.template, _NO_FIELDS, None
        elif isinstance(item, BulkMessage):
            recipient, fields, sender = item.recipient, item.fields, item.sender
            template = campaign.template
            if item.message is not None:
                try:
                    template = Template(check.text("message", item.message))
                except (TemplateError, InvalidInputError) as exc:
                    return _failed(item.recipient, index, str(exc))
        else:
            reason = f"recipient must be a str or BulkMessage, not {type(item).__name__}"
            return _skipped(str(item), index, reason, InvalidInputError(reason))
        if not isinstance(recipient, str):
            reason = f"recipient must be a str, not {type(recipient).__name__}"
            return _skipped(str(recipient), index, reason, InvalidInputError(reason))
        try:
            e164 = normalize(recipient.strip(), self._region)
        except InvalidNumber as exc:
            return _skipped(recipient, index, str(exc), InvalidInputError(f"recipient: {exc}"))
        if template is None:
            return _failed(recipient, index, "no message: pass message= or BulkMessage(message=)")
        try:
            text = template.render(fields, allow_blank=self._allow_blank)
            if sender is not None:
                sender = check.sender(sender)
        except (TemplateError, InvalidInputError) as exc:
            return _failed(recipient, index, str(exc))
        if not text.strip():
            return _failed(recipient, index, "the message is empty once its template is filled")
        if campaign.smart_encoding:
            text = smart_encode(text)
        number = to_api_format(e164)
        return Job(index, recipient, int(e164[1:]), number, text, sender or campaign.sender)


def _recipient_of(item: Any) -> str:
    return str(item.recipient if isinstance(item, BulkMessage) else item)


def _skipped(recipient: str, index: int, reason: str, error: InvalidInputError) -> BulkResult:
    return BulkResult(recipient, BulkStatus.SKIPPED, None, error, reason=reason, index=index)


def _failed(recipient: str, index: int, reason: str) -> BulkResult:
    error = InvalidInputError(reason)
    return BulkResult(recipient, BulkStatus.FAILED, None, error, reason=reason, index=index)


def _seen(job: Job, verdict: Verdict) -> BulkResult:
    """The result for a number the journal has already seen."""
    if verdict is Verdict.DUPLICATE:
        status, reason = BulkStatus.SKIPPED, "duplicate"
    elif verdict is Verdict.ALREADY_SENT:
        status, reason = BulkStatus.SKIPPED, "already sent (journal of an earlier run)"
    elif verdict is Verdict.ALREADY_SUPPRESSED:
        status, reason = BulkStatus.SKIPPED, f"{SUPPRESSED} (journal of an earlier run)"
    elif verdict is Verdict.ALREADY_CAPPED:
        status, reason = BulkStatus.SKIPPED, f"{FREQUENCY_CAP}: in an earlier run (journal)"
    else:
        status = BulkStatus.UNKNOWN
        reason = (
            "outcome unknown in an earlier run (journal): it may have been sent; "
            "pass resend_unknown=True to send it again"
        )
    return BulkResult(job.recipient, status, reason=reason, index=job.index)
