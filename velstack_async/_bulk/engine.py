"""The worker pool that sends a campaign.

`Engine.run` runs at most ``concurrency`` workers in one task group (started
as there is work for them: one recipient never costs a thousand tasks). Each
pulls the next job from the shared `Source`, sends it through the client's single-send
path (its error mapping, safe-retry rules and shared 429 pause gate apply
unchanged) and hands the result to ``emit``. Every task is joined before `run`
returns, so nothing is in flight between two runs: `stream_bulk` runs the
engine in bursts and yields between them, which keeps an async generator safe
to abandon at any point (no task group is held across a ``yield``).

Retries on top of the transport's: a send that certainly was not processed
(503, 429, a connection that was never made) is tried again, up to
`CAMPAIGN_RETRIES` more times with backoff, so a flaky service still gets every
message out. A send that may have been processed is ``unknown`` and never
repeated (unless ``resend_unknown`` on a journal rerun).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from .._exceptions import (
    APIConnectionError,
    AuthenticationError,
    InsufficientBalanceError,
    RateLimitError,
    ServiceUnavailableError,
    VelstackError,
)
from .._models import SmsSummary
from .._retry import RetryPolicy, is_testing
from .campaign import Campaign
from .journal import Journal, Row
from .limiter import RateLimiter
from .models import BulkResult, BulkStatus
from .source import Job, Source, iterate, not_attempted

__all__ = ["CAMPAIGN_RETRIES", "Engine", "SendOne"]

logger = logging.getLogger("velstack_async.bulk")

#: Sends one message: ``(number in API format, text, sender, title)``.
SendOne = Callable[[str, str, str, str | None], Awaitable[SmsSummary]]
#: Receives each result; may return an awaitable.
Emit = Callable[[BulkResult], Awaitable[Any] | None]

#: Extra rounds (each a full transport call with its own retries) for a send
#: that certainly was not processed.
CAMPAIGN_RETRIES = 10
_NEVER_PROCESSED = (ServiceUnavailableError, RateLimitError, APIConnectionError)
_PROBLEMS = (BulkStatus.FAILED, BulkStatus.UNKNOWN)


class Engine:
    """One campaign: its settings, input, journal and stop state. `open`, `run`, `close`."""

    def __init__(
        self, send: SendOne, policy: RetryPolicy, campaign: Campaign, recipients: object
    ) -> None:
        self._send = send
        self._policy = policy
        self._campaign = campaign
        self._items = iterate(recipients)
        self._limiter = RateLimiter(campaign.rate_limit) if campaign.rate_limit else None
        self._journal: Journal | None = None
        #: The journal when it is durable: sends are recorded in it.
        self._record: Journal | None = None
        self._source: Source | None = None
        self._stopped: anyio.Event | None = None
        self._fatal: BaseException | None = None
        self._closing = False
        self._problems = 0
        self._burst = 0
        self._workers = 0
        self._tg: anyio.abc.TaskGroup | None = None

    @property
    def stop_reason(self) -> str | None:
        """Why the campaign stopped early, or None."""
        return None if self._source is None else self._source.stop_reason

    async def open(self) -> None:
        """Open the journal (or the temporary duplicate store)."""
        campaign = self._campaign
        if campaign.journal is None:
            journal = Journal.temporary()
        else:
            journal = await Journal.open(
                campaign.journal, campaign.identity, resend_unknown=campaign.resend_unknown
            )
        self._journal = journal
        self._record = journal if journal.durable else None
        self._source = Source(self._items, campaign, journal)
        self._stopped = anyio.Event()

    def close(self) -> None:
        """Close the journal. Blocking but brief (a final commit); safe to call twice."""
        journal, self._journal, self._record = self._journal, None, None
        if journal is not None:
            journal.close()

    async def run(self, emit: Emit, limit: int | None = None) -> None:
        """Send until the input ends, or until about ``limit`` results were emitted.

        Re-raises a fatal error (the input raised, ``emit`` raised, the journal
        failed) once every worker has finished.
        """
        self._closing = self._fatal is not None
        self._burst = self._workers = 0
        async with anyio.create_task_group() as self._tg:
            self._spawn(emit, limit)
        self._tg = None
        if self._fatal is not None:
            raise self._fatal

    def _spawn(self, emit: Emit, limit: int | None) -> None:
        assert self._tg is not None
        self._workers += 1
        self._tg.start_soon(self._worker, emit, limit)

    async def _worker(self, emit: Emit, limit: int | None) -> None:
        source = self._source
        assert source is not None
        try:
            while not self._closing:
                item = await source.next()
                if item is None:
                    return
                if isinstance(item, Job):
                    # Busy with a send: let another worker take the next one, up to the pool size.
                    if self._workers < self._campaign.concurrency and not self._closing:
                        self._spawn(emit, limit)
                    result = await self._deliver(item)
                else:
                    result = item
                if self._fatal is not None:
                    return
                if result.status in _PROBLEMS:
                    self._count_problem()
                pending = emit(result)
                if pending is not None:
                    await pending
                if limit is not None:
                    self._burst += 1
                    if self._burst >= limit:
                        self._closing = True
        except Exception as exc:
            self._fail(exc)

    async def _deliver(self, job: Job) -> BulkResult:
        """Send one job, retrying what certainly was not processed; record the outcome."""
        source = self._source
        assert source is not None
        if source.stop_reason is not None:
            return not_attempted(job.recipient, job.index, source.stop_reason)
        journal = self._record
        if journal is not None:
            await journal.record(job.key, Row.ATTEMPTING)
        campaign = self._campaign
        last: VelstackError | None = None
        for round_ in range(CAMPAIGN_RETRIES + 1):
            if source.stop_reason is not None:
                return await self._abandon(job, journal, last)
            if self._limiter is not None:
                await self._limiter.acquire()
            try:
                summary = await self._send(job.number, job.text, job.sender, campaign.title)
            except VelstackError as exc:
                if not exc.may_have_been_sent and isinstance(exc, _NEVER_PROCESSED):
                    last = exc
                    if round_ < CAMPAIGN_RETRIES:
                        await self._backoff(round_)
                    continue
                return await self._finish(job, journal, exc)
            if journal is not None:
                await journal.record(job.key, Row.SENT, summary.message_id)
            return BulkResult(job.recipient, BulkStatus.SENT, summary, index=job.index)
        assert last is not None
        self._stop(f"Velstack kept refusing sends ({type(last).__name__}: {last.message})")
        return await self._finish(job, journal, last)

    async def _finish(self, job: Job, journal: Journal | None, error: VelstackError) -> BulkResult:
        """The result of a send that ended in ``error``; stop the campaign if it says so."""
        if error.may_have_been_sent:
            status, row = BulkStatus.UNKNOWN, Row.UNKNOWN
        else:
            status, row = BulkStatus.FAILED, Row.FAILED
        if isinstance(error, InsufficientBalanceError):
            self._stop(f"insufficient balance: {error.message}")
        elif isinstance(error, AuthenticationError):
            self._stop(f"authentication failed: {error.message}")
        if journal is not None:
            await journal.record(job.key, row)
        return BulkResult(job.recipient, status, None, error, reason=error.message, index=job.index)

    async def _abandon(
        self, job: Job, journal: Journal | None, last: VelstackError | None
    ) -> BulkResult:
        """The campaign stopped before this job's (next) send: nothing was processed."""
        reason = self.stop_reason or ""
        if last is None:
            if journal is not None:
                await journal.record(job.key, Row.QUEUED)
            return not_attempted(job.recipient, job.index, reason)
        if journal is not None:
            await journal.record(job.key, Row.FAILED)
        reason = f"{last.message} (not retried: campaign stopped: {reason})"
        return BulkResult(
            job.recipient, BulkStatus.FAILED, None, last, reason=reason, index=job.index
        )

    async def _backoff(self, round_: int) -> None:
        """Wait before another round; cut short when the campaign stops."""
        if is_testing() or self._stopped is None:
            return
        with anyio.move_on_after(self._policy.backoff(round_)):
            await self._stopped.wait()

    def _count_problem(self) -> None:
        self._problems += 1
        limit = self._campaign.max_failures
        if limit is not None and self._problems >= limit:
            self._stop(f"max_failures reached ({self._problems} failed or unknown)")

    def _stop(self, reason: str) -> None:
        """Stop dispatch: in-flight sends finish, everything after is `not_attempted`."""
        source = self._source
        if source is None or source.stop_reason is not None:
            return
        source.stop_reason = reason
        logger.warning("bulk campaign stopping: %s", reason)
        if self._stopped is not None:
            self._stopped.set()

    def _fail(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
            self._stop(f"stopped by an error: {type(exc).__name__}")
        self._closing = True
