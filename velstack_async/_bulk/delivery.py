"""Sending one batch: gate, request, `outcome.decide`, record; a result for each recipient.

Over three ports: the `Gate`, the `Ledger` and the send (local: `LocalGate`, `JournalLedger`).
Jobs are marked attempting before the first request, each outcome recorded before it is
reported; what an abort cuts off (``unknown`` in flight, else ``not_attempted``) goes to
`Delivery.aborted` for the engine to report.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import anyio
import anyio.lowlevel

from .._exceptions import RateLimitError, VelstackError
from .._models import SmsSummary
from .._phone import DEFAULT_REGION
from .._retry import RetryPolicy, is_testing
from . import outcome
from .batcher import Batch, Batcher
from .estimate import estimate
from .journal import JournalStore, Row
from .models import BulkResult, BulkStatus
from .options import CampaignOptions
from .outcome import Action
from .pacer import Pacer, RateLimiter
from .ports import Budget, Ended, Gate, Job, Ledger, SendOne, Ticket

__all__ = ["Delivery", "JournalLedger", "LocalGate"]

_ROWS = {
    BulkStatus.SENT: Row.SENT,
    BulkStatus.FAILED: Row.FAILED,
    BulkStatus.UNKNOWN: Row.UNKNOWN,
    BulkStatus.NOT_ATTEMPTED: Row.QUEUED,
}


class LocalGate:
    """The in-process `Gate`: fixed rate limits, then the adaptive `Pacer`."""

    def __init__(self, campaign: CampaignOptions) -> None:
        self._messages = RateLimiter(campaign.rate_limit) if campaign.rate_limit else None
        rate = campaign.request_rate_limit
        self._requests = RateLimiter(rate) if rate else None
        self.pacer = Pacer()
        #: Seconds of pacing waits ``set_testing`` skipped (`Delivery` counts them as waited).
        self.skipped = 0.0

    async def acquire(self, jobs: list[Job]) -> Ticket:
        if self._messages is not None:
            await self._messages.acquire(len(jobs))
        if self._requests is not None:
            await self._requests.acquire()
        pacer = self.pacer
        number = pacer.ticket()
        if number is None:  # paced
            number = await pacer.acquire()
            if is_testing() and pacer.rate:  # the pacing wait it skipped
                self.skipped += 1.0 / pacer.rate
        return Ticket(jobs, number)

    async def refused(self, ticket: Ticket, error: Exception) -> bool:
        headers = getattr(error, "headers", None)
        if isinstance(error, RateLimitError):
            self.pacer.throttle(ticket.number, headers)
            return True
        return self.pacer.unavailable(ticket.number, headers)

    def accepted(self, ticket: Ticket) -> None:
        self.skipped = 0.0
        self.pacer.accepted()


class JournalLedger:
    """The `Ledger` over a `JournalStore` (SQLite or `RedisJournal`); None: nothing durable."""

    def __init__(self, journal: JournalStore | None) -> None:
        self.journal = journal

    async def attempting(self, jobs: list[Job]) -> None:
        if self.journal is not None:  # all in one commit, before the request
            await self.journal.record_many([(Row.ATTEMPTING, None, j.key) for j in jobs])

    async def settle(self, results: Ended, summary: SmsSummary | None, requests: int) -> None:
        if self.journal is not None and results:
            mid, sent = None if summary is None else summary.message_id, BulkStatus.SENT
            await self.journal.record_many(
                [(_ROWS[r.status], mid if r.status is sent else None, j.key) for j, r in results]
            )

    async def release(self, jobs: list[Job]) -> None:
        """Nothing: the jobs stay attempting until their outcome."""


class Delivery:
    """Sends batches for one campaign; shared by its workers."""

    def __init__(
        self,
        send: SendOne,
        policy: RetryPolicy,
        campaign: CampaignOptions,
        batcher: Batcher,
        gate: Gate,
        ledger: Ledger,
        stop: Callable[[str], None],
        stop_reason: Callable[[], str | None],
        budget: Budget | None = None,
    ) -> None:
        self._send, self._policy, self._campaign, self._batcher = send, policy, campaign, batcher
        self.gate, self._ledger, self._budget = gate, ledger, budget
        self._stop, self._stop_reason = stop, stop_reason
        #: A ledger with nothing durable (a temporary journal) records nothing: not called.
        self._records = not (type(ledger) is JournalLedger and ledger.journal is None)
        self._region, self._title = campaign.region or DEFAULT_REGION, campaign.title
        #: Requests made (retries and splits included).
        self.requests = 0
        self.last_accepted = time.monotonic()
        self.stopped = anyio.Event()
        #: Results of batches an abort cut off (the engine reports them).
        self.aborted: deque[BulkResult] = deque()

    async def deliver(self, batch: Batch) -> list[BulkResult]:
        """Send ``batch`` (splitting it when needed); one result per recipient."""
        reason = self._stop_reason()
        if reason is not None:
            return [outcome.not_attempted(j.recipient, j.index, reason) for j in batch.jobs]
        results: list[BulkResult] = []
        todo = [batch]
        try:
            if self._records:
                await self._ledger.attempting(batch.jobs)
            while todo:
                part = todo.pop()
                size = self._batcher.size
                if len(part.jobs) > size:  # the server refused a larger size meanwhile
                    todo.extend(reversed(part.chunks(size)))
                    continue
                more = await self._send_part(part, results)
                if more:
                    todo.extend(reversed(more))
        except anyio.get_cancelled_exc_class():
            rest = [j for part in todo for j in part.jobs]
            await self._cut_off(rest, BulkStatus.NOT_ATTEMPTED, 0)
            self.aborted.extend(results)
            raise
        return results

    async def _cut_off(self, jobs: list[Job], status: BulkStatus, requests: int) -> None:
        reason = outcome.ABORTED if status is BulkStatus.UNKNOWN else self._stop_reason()
        ended = outcome.ended(jobs, status, reason or outcome.CANCELLED)
        with anyio.CancelScope(shield=True):
            await self._ledger.settle(ended, None, requests)
        self.aborted.extend(r for _, r in ended)

    async def _send_part(self, part: Batch, results: list[BulkResult]) -> list[Batch] | None:
        """Send one request for ``part``; append its results, or return the parts to send next."""
        jobs = part.jobs
        numbers = jobs[0].number if len(jobs) == 1 else ",".join([j.number for j in jobs])
        last: VelstackError | None = None
        round_ = 0
        # This part's backoffs that set_testing skipped since the last accepted send.
        backed_off, since = 0.0, self.last_accepted
        in_flight = False
        try:
            while True:
                reason = self._stop_reason()
                if reason is not None:  # stopped before this part's (next) request
                    if last is None:
                        ended = outcome.ended(jobs, BulkStatus.NOT_ATTEMPTED, reason)
                    else:
                        reason = outcome.not_retried(last, reason)
                        ended = outcome.ended(jobs, BulkStatus.FAILED, reason, last)
                    await self._record(ended, None, 0, results)
                    return None
                ticket = await self.gate.acquire(jobs)
                if ticket is None:  # the campaign stopped meanwhile
                    continue
                if len(ticket.jobs) != len(jobs):  # some are another worker's (a Redis claim)
                    jobs = ticket.jobs
                    numbers = ",".join([j.number for j in jobs])
                if not jobs:
                    return None
                if self._budget is not None:
                    fits = await self._budget.reserve(len(jobs), estimate(part.text).credits)
                    if 0 < fits < len(jobs):  # those that fit first, the rest after
                        return _parts(part, jobs, fits)
                    if not fits:
                        self._stop("spend cap reached: max_credits would be exceeded")
                        last = None  # nothing sent: not_attempted with the stop's reason
                        continue
                self.requests += 1
                in_flight = True
                try:
                    summary = await self._send(numbers, part.text, part.sender, self._title)
                except VelstackError as exc:
                    in_flight = False
                    last = exc
                    decision = outcome.decide(exc, len(jobs))
                    action = decision.action
                    if action is Action.PACE or action is Action.RETRY:
                        if not (action is Action.PACE and await self.gate.refused(ticket, exc)):
                            if since != self.last_accepted:
                                backed_off, since = 0.0, self.last_accepted
                            wait = self._policy.backoff(min(round_, 10))
                            if is_testing():  # skipped: counted as waited
                                backed_off += wait
                            else:  # cut short by a stop
                                with anyio.move_on_after(wait):
                                    await self.stopped.wait()
                        round_ += 1
                        await self._refund(jobs, part.text)  # reserved again for the next attempt
                        await self._ledger.release(jobs)
                        waited = backed_off if since == self.last_accepted else 0.0
                        seconds = time.monotonic() - self.last_accepted + self.gate.skipped + waited
                        stall = outcome.stalled(seconds, self._campaign.stall_timeout, exc)
                        if stall is not None:
                            self._stop(stall)
                        if is_testing():  # no wait: still let other tasks (and a cancel) run
                            await anyio.lowlevel.checkpoint()
                        continue
                    if not exc.may_have_been_sent:  # else the credits may be spent: kept
                        await self._refund(jobs, part.text)
                    if action is Action.SPLIT:
                        if decision.shrink:
                            batcher = self._batcher
                            batcher.size = max(1, min(batcher.size, decision.shrink))
                        await self._record([], None, 1, results)
                        return _parts(part, jobs, decision.size)
                    if decision.stop is not None:
                        self._stop(decision.stop)
                    assert decision.status is not None
                    ended = outcome.ended(jobs, decision.status, decision.reason, exc)
                    await self._record(ended, None, 1, results)
                    return None
                in_flight = False
                self.last_accepted = time.monotonic()
                self.gate.accepted(ticket)
                if self._budget is not None:
                    await self._budget.settle(
                        len(jobs) * estimate(part.text).credits, summary.credit_used
                    )
                ended = outcome.answered(jobs, summary, self._region)
                await self._record(ended, summary, 1, results)
                return None
        except anyio.get_cancelled_exc_class():
            status = BulkStatus.UNKNOWN if in_flight else BulkStatus.NOT_ATTEMPTED
            await self._cut_off(jobs, status, int(in_flight))
            raise

    async def _record(
        self, ended: Ended, summary: SmsSummary | None, requests: int, results: list[BulkResult]
    ) -> None:
        """Record outcomes (not cancellable: a result recorded is a result reported)."""
        if self._records:
            with anyio.CancelScope(shield=True):
                await self._ledger.settle(ended, summary, requests)
        results.extend([result for _, result in ended])

    async def _refund(self, jobs: list[Job], text: str) -> None:
        if self._budget is not None:
            await self._budget.settle(len(jobs) * estimate(text).credits, 0)


def _parts(part: Batch, jobs: list[Job], first: int) -> list[Batch]:
    """``jobs`` (of ``part``) in two batches, the first of ``first``."""
    text, sender = part.text, part.sender
    return [Batch(jobs[:first], text, sender), Batch(jobs[first:], text, sender)]
