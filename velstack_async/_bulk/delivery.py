"""Sending one batch: limits, retries, splitting, and a result for each of its recipients.

A batch is one request (``recipient`` a comma list). What happens on each answer:

- accepted: each recipient in the answer's ``recipients`` list (compared as
  normalised numbers) is ``sent`` with the batch's `SmsSummary`; one missing
  from it is ``failed`` ("Velstack did not accept it") and never resent.
- certainly not processed (429, 503, no connection): sent again as one
  request. 429 and 503 slow the campaign's `Pacer` and never count as a
  failure; the campaign gives up only when Velstack accepted nothing for
  ``stall_timeout`` seconds. A connection error waits the policy's backoff.
  Under ``set_testing`` those waits are skipped but still count toward
  ``stall_timeout`` (as if they had been waited), so a test against a service
  that is down stops after about as many requests as production would make.
- a 422 or 413 about the size of the recipient list: the campaign's batch size
  is halved for good and the batch is sent again in halves (nothing was processed).
- any other 422 on a batch about its numbers (or naming no field), or
  insufficient balance: the batch is split in halves until the offending
  numbers fail alone (or the balance is used up). A 422 about another field
  (the message, the sender) fails the whole batch at once.
- may have been processed (a timeout after sending, 500/502/504): every
  recipient of the request is ``unknown``, never resent.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InsufficientBalanceError,
    RateLimitError,
    ServiceUnavailableError,
    StaleConnectionError,
    ValidationError,
    VelstackError,
)
from .._models import SmsSummary
from .._phone import echoed as read_echo
from .._retry import RetryPolicy, is_testing
from .batcher import Batch, Batcher
from .journal import JournalStore, Row
from .limiter import RateLimiter
from .models import BulkResult, BulkStatus
from .options import CampaignOptions
from .pacer import Pacer
from .source import Job, not_attempted

__all__ = ["Delivery", "SendOne"]

#: Sends one request: ``(numbers in API format, comma-separated, text, sender, title)``.
SendOne = Callable[[str, str, str, str | None], Awaitable[SmsSummary]]

_NOT_PROCESSED = (RateLimitError, ServiceUnavailableError, APIConnectionError)
#: Laravel's ``max`` rule: "must not have more than 1000 items" (a list), "must not be
#: greater than 12000 characters" (a comma string); other gateways' wording too.
_SIZE_WORDS = ("more than", "greater than", "at most", "too many", "too long")
NOT_ACCEPTED = "Velstack did not accept this number: it is missing from the answer's recipients"
#: The reason of an ``unknown`` result whose request met a `StaleConnectionError`.
STALE = (
    "stale keep-alive connection: the server closed it before answering; "
    "almost certainly not processed, safe to resend after a check"
)


def _is_size_refusal(error: VelstackError) -> bool:
    """A 413, or a 422 whose recipient-field message is about how many there are."""
    if not isinstance(error, APIStatusError) or error.may_have_been_sent:
        return False
    if error.status_code == 413:
        return True
    if not isinstance(error, ValidationError):
        return False
    messages = [m.lower() for field, ms in error.errors.items() if "recipient" in field for m in ms]
    return any(word in m for m in messages for word in _SIZE_WORDS)


def _may_be_some_numbers(error: VelstackError) -> bool:
    """Whether sending fewer recipients may succeed: insufficient balance, or a 422 that
    names the recipient field (or no field): not one about the message or the sender."""
    if isinstance(error, InsufficientBalanceError):
        return True
    if not isinstance(error, ValidationError):
        return False
    return not error.errors or any("recipient" in field for field in error.errors)


class Delivery:
    """Sends batches for one campaign; shared by its workers."""

    def __init__(
        self,
        send: SendOne,
        policy: RetryPolicy,
        campaign: CampaignOptions,
        batcher: Batcher,
        journal: JournalStore | None,
        stop: Callable[[str], None],
        stop_reason: Callable[[], str | None],
    ) -> None:
        self._send = send
        self._policy = policy
        self._campaign = campaign
        self._batcher = batcher
        self._journal = journal
        self._stop = stop
        self._stop_reason = stop_reason
        self._region = campaign.region or "GH"
        self._messages = RateLimiter(campaign.rate_limit) if campaign.rate_limit else None
        self._requests = (
            RateLimiter(campaign.request_rate_limit) if campaign.request_rate_limit else None
        )
        self.pacer = Pacer()
        #: Requests made (retries and splits included).
        self.requests = 0
        self._last_accepted = time.monotonic()
        #: Seconds of pacing waits ``set_testing`` skipped since the last accepted send.
        self._skipped = 0.0
        self.stopped = anyio.Event()

    async def deliver(self, batch: Batch) -> list[BulkResult]:
        """Send ``batch`` (splitting it when needed); one result per recipient."""
        reason = self._stop_reason()
        if reason is not None:
            return [not_attempted(j.recipient, j.index, reason) for j in batch.jobs]
        journal = self._journal
        if journal is not None:  # all marked attempting in one commit, before the request
            await journal.record_many([(Row.ATTEMPTING, None, j.key) for j in batch.jobs])
        results: list[BulkResult] = []
        todo = [batch]
        while todo:
            part = todo.pop()
            size = self._batcher.size
            if len(part.jobs) > size:  # the server refused a larger size meanwhile
                todo.extend(reversed(_chunks(part, size)))
                continue
            more = await self._send_part(part, results)
            if more:
                todo.extend(reversed(more))
        return results

    async def _send_part(self, part: Batch, results: list[BulkResult]) -> list[Batch] | None:
        """Send one request for ``part``; append its results, or return the parts to send next."""
        jobs = part.jobs
        numbers = jobs[0].number if len(jobs) == 1 else ",".join([j.number for j in jobs])
        title = self._campaign.title
        pacer = self.pacer
        last: VelstackError | None = None
        round_ = 0
        # This part's backoffs that set_testing skipped since the last accepted send.
        backed_off, since = 0.0, self._last_accepted
        while True:
            reason = self._stop_reason()
            if reason is not None:
                results.extend(await self._abandon(jobs, last, reason))
                return None
            if self._messages is not None:
                await self._messages.acquire(len(jobs))
            if self._requests is not None:
                await self._requests.acquire()
            ticket = pacer.ticket()
            if ticket is None:  # paced
                ticket = await pacer.acquire()
                if is_testing() and pacer.rate:  # the pacing wait it skipped
                    self._skipped += 1.0 / pacer.rate
            self.requests += 1
            try:
                summary = await self._send(numbers, part.text, part.sender, title)
            except VelstackError as exc:
                last = exc
                if exc.may_have_been_sent:
                    results.extend(await self._finish(jobs, exc))
                    return None
                if isinstance(exc, _NOT_PROCESSED):
                    # Not a failure: slow down (429, a run of 503s) or wait a little.
                    if isinstance(exc, RateLimitError):
                        pacer.throttle(ticket, exc.headers)
                    elif not (
                        isinstance(exc, ServiceUnavailableError)
                        and pacer.unavailable(ticket, exc.headers)
                    ):
                        if since != self._last_accepted:
                            backed_off, since = 0.0, self._last_accepted
                        backed_off += await self._backoff(round_)
                    round_ += 1
                    stalled = time.monotonic() - self._last_accepted + self._skipped
                    if since == self._last_accepted:
                        stalled += backed_off
                    if stalled > self._campaign.stall_timeout:
                        self._stop(
                            f"Velstack kept refusing sends: nothing accepted for {stalled:.0f} s "
                            f"({type(exc).__name__}: {exc.message})"
                        )
                    elif is_testing():  # no wait: still let other tasks (and a cancel) run
                        await anyio.lowlevel.checkpoint()
                    continue
                if len(jobs) > 1 and _is_size_refusal(exc):
                    self._batcher.shrink(len(jobs) // 2)
                    return list(part.split())
                if len(jobs) > 1 and _may_be_some_numbers(exc):
                    return list(part.split())
                results.extend(await self._finish(jobs, exc))
                return None
            self._last_accepted = time.monotonic()
            self._skipped = 0.0
            pacer.accepted()
            listed = self._accepted_keys(summary, jobs)
            if listed is None:  # all of them: no lookups
                results.extend(
                    [BulkResult(j.recipient, BulkStatus.SENT, summary, index=j.index) for j in jobs]
                )
                if self._journal is not None:
                    message_id = summary.message_id
                    await self._journal.record_many([(Row.SENT, message_id, j.key) for j in jobs])
            else:
                results.extend(await self._partly_accepted(jobs, summary, listed))
            return None

    async def _partly_accepted(
        self, jobs: list[Job], summary: SmsSummary, listed: set[int]
    ) -> list[BulkResult]:
        """Sent: each recipient the answer lists; failed: the ones it leaves out."""
        rows: list[tuple[int, str | None, int]] = []
        results = []
        for job in jobs:
            if job.key in listed:
                rows.append((Row.SENT, summary.message_id, job.key))
                results.append(BulkResult(job.recipient, BulkStatus.SENT, summary, index=job.index))
            else:
                rows.append((Row.FAILED, None, job.key))
                results.append(
                    BulkResult(
                        job.recipient,
                        BulkStatus.FAILED,
                        summary,
                        reason=NOT_ACCEPTED,
                        index=job.index,
                    )
                )
        if self._journal is not None:
            await self._journal.record_many(rows)
        return results

    def _accepted_keys(self, summary: SmsSummary, jobs: list[Job]) -> set[int] | None:
        """The answer's recipients as journal keys; None when they are all the ones sent.

        None too when the answer lists no number but counts them all.
        """
        echoed = summary.recipients
        if not echoed:
            return None if summary.total_contacts == len(jobs) else set()
        if len(echoed) == len(jobs) and (
            echoed[0] == jobs[0].number
            if len(jobs) == 1
            else all(e == j.number for e, j in zip(echoed, jobs, strict=True))
        ):
            return None  # echoed as sent, in order (the documented answer)
        return {int(e164[1:]) for number in echoed for e164 in read_echo(number, self._region)}

    async def _finish(self, jobs: list[Job], error: VelstackError) -> list[BulkResult]:
        """The results of a request that ended in ``error``; stop the campaign if it says so."""
        if error.may_have_been_sent:
            status, row = BulkStatus.UNKNOWN, Row.UNKNOWN
        else:
            status, row = BulkStatus.FAILED, Row.FAILED
        if isinstance(error, InsufficientBalanceError):
            self._stop(f"insufficient balance: {error.message}")
        elif isinstance(error, AuthenticationError):
            self._stop(f"authentication failed: {error.message}")
        if self._journal is not None:
            await self._journal.record_many([(row, None, j.key) for j in jobs])
        reason = STALE if isinstance(error, StaleConnectionError) else error.message
        return [
            BulkResult(j.recipient, status, None, error, reason=reason, index=j.index) for j in jobs
        ]

    async def _abandon(
        self, jobs: list[Job], last: VelstackError | None, reason: str
    ) -> list[BulkResult]:
        """The campaign stopped before this part's (next) request: nothing was processed."""
        if last is None:
            if self._journal is not None:
                await self._journal.record_many([(Row.QUEUED, None, j.key) for j in jobs])
            return [not_attempted(j.recipient, j.index, reason) for j in jobs]
        if self._journal is not None:
            await self._journal.record_many([(Row.FAILED, None, j.key) for j in jobs])
        why = f"{last.message} (not retried: campaign stopped: {reason})"
        return [
            BulkResult(j.recipient, BulkStatus.FAILED, None, last, reason=why, index=j.index)
            for j in jobs
        ]

    async def _backoff(self, round_: int) -> float:
        """Wait before another round; cut short when the campaign stops.

        Returns the seconds ``set_testing`` skipped (0 when it waited).
        """
        wait = self._policy.backoff(min(round_, 10))
        if is_testing():
            return wait
        with anyio.move_on_after(wait):
            await self.stopped.wait()
        return 0.0


def _chunks(batch: Batch, size: int) -> list[Batch]:
    jobs = batch.jobs
    return [Batch(jobs[i : i + size], batch.text, batch.sender) for i in range(0, len(jobs), size)]
