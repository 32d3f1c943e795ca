"""The worker pool that sends a campaign.

`Engine.run` runs at most ``concurrency`` workers in one task group (started
as there is work for them: one recipient never costs a thousand tasks). Each
pulls the next batch from the shared `Batcher` (recipients of one text, up to
``batch_size``, read lazily from the `WorkSource`), sends it through
`Delivery` (see `outcome` for what each answer means) and hands each
recipient's result to ``emit``. Every task is joined before `run` returns, so
nothing is in flight between two runs: `stream_bulk` runs the engine in bursts
and yields between them, which keeps an async generator safe to abandon at any
point (no task group is held across a ``yield``).

The engine reports every recipient on any stop: a graceful stop lets the sends
in flight finish; an abort (`CampaignStop.set(hard=True)`) or a cancellation
cuts them off (``unknown``); every later recipient is ``not_attempted``
(`report_rest`).

Local campaigns (`Engine.local`) read the caller's recipients through `Source`
and the SQLite journal; a distributed chunk passes its own ports.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel

from .. import _telemetry
from .._retry import RetryPolicy
from . import outcome
from .batcher import MAX_WAIT, Batch, Batcher
from .control import CampaignStop
from .delivery import Delivery, JournalLedger, LocalGate
from .journal import Journal, JournalOpener, JournalStore
from .models import BulkResult, BulkStatus
from .options import CampaignOptions
from .ports import Admission, Budget, Gate, Ledger, SendOne, WorkSource
from .source import Source, iterate

__all__ = ["Emit", "Engine", "SendOne"]

logger = logging.getLogger("velstack_async.bulk")

#: Receives each result; may return an awaitable.
Emit = Callable[[BulkResult], Awaitable[Any] | None]

_PROBLEMS = (BulkStatus.FAILED, BulkStatus.UNKNOWN)


class Engine:
    """One campaign run over its ports: `run` (any number of times), then `aclose`."""

    def __init__(
        self,
        send: SendOne,
        policy: RetryPolicy,
        campaign: CampaignOptions,
        source: WorkSource,
        gate: Gate,
        ledger: Ledger,
        control: CampaignStop | None = None,
        *,
        journal: JournalStore | None = None,
        budget: Budget | None = None,
        on_stop: Callable[[str], None] | None = None,
    ) -> None:
        self._control = control
        self._campaign = campaign
        self._journal = journal
        self._source = source
        self._on_stop = on_stop
        self._batcher = Batcher(source, campaign.batch_size)
        self.delivery = Delivery(
            send,
            policy,
            campaign,
            self._batcher,
            gate,
            ledger,
            self._stop,
            self._check_stop,
            budget,
        )
        self._fatal: BaseException | None = None
        self._closing = False
        self._problems = 0
        self._burst = 0
        self._workers = 0
        self._tg: anyio.abc.TaskGroup | None = None
        self._abort: anyio.CancelScope | None = None
        self._aborted = False

    @classmethod
    async def local(
        cls,
        send: SendOne,
        policy: RetryPolicy,
        campaign: CampaignOptions,
        recipients: object,
        control: CampaignStop | None = None,
        admission: Admission | None = None,
        budget: Budget | None = None,
    ) -> Engine:
        """A campaign of the caller's ``recipients``, with its journal (opened here)."""
        items = iterate(recipients)
        journal: JournalStore
        if campaign.journal is None:
            journal = Journal.temporary()
        elif isinstance(campaign.journal, JournalOpener):
            journal = await campaign.journal.open_journal(
                campaign.identity, resend_unknown=campaign.resend_unknown
            )
        else:
            journal = await Journal.open(
                campaign.journal, campaign.identity, resend_unknown=campaign.resend_unknown
            )
        source = Source(items, campaign, journal, admission)
        ledger = JournalLedger(journal if journal.durable else None)
        gate = LocalGate(campaign)
        return cls(
            send, policy, campaign, source, gate, ledger, control, journal=journal, budget=budget
        )

    @property
    def stop_reason(self) -> str | None:
        """Why the campaign stopped early, or None."""
        return self._source.stop_reason

    def _check_stop(self) -> str | None:
        """`stop_reason`, after stopping if the caller asked (`CampaignStop.set`)."""
        control = self._control
        if control is not None and control.reason is not None:
            self._stop(control.reason)
            if control.hard and not self._aborted:
                self._aborted = True  # cut off what is in flight, once
                if self._abort is not None:
                    self._abort.cancel()
        return self._source.stop_reason

    async def aclose(self) -> None:
        """Close the journal: `close`, then its ``aclose()`` if it has one (shielded)."""
        journal = self._journal
        self.close()
        aclose = getattr(journal, "aclose", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()

    def close(self) -> None:
        """Close the journal. Blocking but brief (a final commit); safe to call twice."""
        journal, self._journal = self._journal, None
        if journal is not None:
            journal.close()

    async def run(self, emit: Emit, limit: int | None = None) -> None:
        """Send until the input ends, or until about ``limit`` results were emitted.

        Re-raises a fatal error (the input raised, ``emit`` raised, the journal
        failed) once every worker has finished. After an abort, reports what it cut
        off and (without ``limit``) every recipient left (`report_rest`).
        """
        self._closing = self._fatal is not None
        self._check_stop()
        if self._aborted:  # nothing is sent any more: only reporting is left
            await self.report_rest(emit, limit)
            return
        self._burst = self._workers = 0
        abort = self._abort = anyio.CancelScope()
        async with anyio.create_task_group() as outer:
            with abort:
                async with anyio.create_task_group() as self._tg:
                    self._spawn(emit, limit)
                    outer.start_soon(self._flush_stale, emit, limit)
            outer.cancel_scope.cancel()
        self._tg = self._abort = None
        if abort.cancel_called:
            await self.report_rest(emit, limit)
        if self._fatal is not None:
            raise self._fatal

    async def report_rest(self, emit: Emit, limit: int | None = None) -> None:
        """After an abort or a cancellation: report what was cut off, then every recipient
        not reported yet as ``not_attempted`` (the rest of the input is read for it; at
        most ``limit`` results, the rest in the next call)."""
        self._stop(outcome.CANCELLED)
        delivery, batcher = self.delivery, self._batcher
        pending, emitted = delivery.aborted, 0
        while True:
            while pending and (limit is None or emitted < limit):
                if (waiting := emit(pending.popleft())) is not None:
                    await waiting
                emitted += 1
            if limit is not None and emitted >= limit:
                return
            item = await batcher.next()
            if item is None:
                return
            # No request: the campaign is stopped.
            pending.extend(await delivery.deliver(item) if isinstance(item, Batch) else [item])

    async def _flush_stale(self, emit: Emit, limit: int | None) -> None:
        """Hand out partial batches that waited long enough (the input may be slow).

        A worker may be waiting for the input's next item meanwhile: one more
        is started (up to ``concurrency``) when no worker is free to send them.
        """
        batcher = self._batcher
        while True:
            await anyio.sleep(MAX_WAIT)
            self._check_stop()  # the caller's stop is seen within MAX_WAIT while waiting
            batcher.flush_stale()
            if (
                batcher.unclaimed
                and self._workers < self._campaign.concurrency
                and not self._closing
                and self._tg is not None
            ):
                self._spawn(emit, limit)

    def _spawn(self, emit: Emit, limit: int | None) -> None:
        assert self._tg is not None
        self._workers += 1
        self._tg.start_soon(self._worker, emit, limit)

    async def _worker(self, emit: Emit, limit: int | None) -> None:
        batcher, delivery = self._batcher, self.delivery
        try:
            while not self._closing:
                if self._check_stop() is not None:  # reporting the rest: let others run too
                    await anyio.lowlevel.checkpoint()
                item = await batcher.next()
                if item is None:
                    return
                if isinstance(item, Batch):
                    # Busy with a send: let another worker take the next one, up to the pool size.
                    if self._workers < self._campaign.concurrency and not self._closing:
                        self._spawn(emit, limit)
                    results = await delivery.deliver(item)
                else:
                    results = [item]
                for i, result in enumerate(results):
                    if self._fatal is not None:
                        return
                    if result.status in _PROBLEMS:
                        self._count_problem()
                    try:
                        if (pending := emit(result)) is not None:
                            await pending
                    except anyio.get_cancelled_exc_class():
                        delivery.aborted.extend(results[i + 1 :])
                        raise
                    if limit is not None:
                        self._burst += 1
                        if self._burst >= limit:
                            self._closing = True
        except Exception as exc:
            self._fail(exc)

    def _count_problem(self) -> None:
        self._problems += 1
        limit = self._campaign.max_failures
        if limit is not None and self._problems >= limit:
            self._stop(f"max_failures reached ({self._problems} failed or unknown)")

    def _stop(self, reason: str) -> None:
        """Stop dispatch: in-flight sends finish, everything after is `not_attempted`."""
        source = self._source
        if source.stop_reason is not None:
            return
        source.stop_reason = reason
        logger.warning("bulk campaign stopping: %s", reason)
        _telemetry.stopped(reason)
        self.delivery.stopped.set()
        if self._on_stop is not None:
            self._on_stop(reason)

    def _fail(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
            self._stop(f"stopped by an error: {type(exc).__name__}")
        self._closing = True
