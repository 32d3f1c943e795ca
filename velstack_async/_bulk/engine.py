"""The worker pool that sends a campaign: `Engine.run` runs up to ``concurrency`` workers,
started as there is work; each takes the next `Batch` from the `Batcher`, sends it through
`Delivery` and hands each result to ``emit``. Every task is joined before `run` returns
(`stream_bulk` yields between runs). On any stop every recipient is reported: an abort or a
cancellation cuts off the sends in flight (``unknown``), the rest are ``not_attempted``.
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
    """One campaign run over its ports: `run` (any number of times), then `aclose`. An
    ``admission`` is told of each result before it is emitted (`Admission.ended`)."""

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
        admission: Admission | None = None,
    ) -> None:
        self._control, self._campaign, self._journal = control, campaign, journal
        self._source, self._on_stop, self._admission = source, on_stop, admission
        self._batcher = batcher = Batcher(source, campaign.batch_size)
        self.delivery = Delivery(
            send, policy, campaign, batcher, gate, ledger, self._stop, self._check_stop, budget
        )  # fmt: skip
        self._fatal: BaseException | None = None
        self._closing = False
        self._problems = self._burst = self._workers = 0
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
        items = iterate(recipients)  # a bad input raises before a journal is opened
        where, resend = campaign.journal, campaign.resend_unknown
        journal: JournalStore
        if where is None:
            journal = Journal.temporary()
        elif isinstance(where, JournalOpener):
            journal = await where.open_journal(campaign.identity, resend_unknown=resend)
        else:
            journal = await Journal.open(where, campaign.identity, resend_unknown=resend)
        source = Source(items, campaign, journal, admission)
        ledger = JournalLedger(journal if journal.durable else None)
        return cls(
            send, policy, campaign, source, LocalGate(campaign), ledger, control,
            journal=journal, budget=budget, admission=admission,
        )  # fmt: skip

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
        """Close the journal (``close()``, then its ``aclose()`` if any), then finish the
        admission (shielded). Safe twice."""
        journal, self._journal = self._journal, None
        admission, self._admission = self._admission, None
        if journal is not None:
            journal.close()
        with anyio.CancelScope(shield=True):
            if (aclose := getattr(journal, "aclose", None)) is not None:
                await aclose()
            if admission is not None:
                await admission.finish()

    async def run(self, emit: Emit, limit: int | None = None) -> None:
        """Send until the input ends, or about ``limit`` results were emitted; re-raise a
        fatal error (input, ``emit``, journal) once every worker has finished."""
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
        """After an abort or a cancellation: what was cut off, then every recipient left as
        ``not_attempted`` (no request: the campaign is stopped); at most ``limit`` results."""
        self._stop(outcome.CANCELLED)
        delivery, batcher = self.delivery, self._batcher
        pending, emitted = delivery.aborted, 0
        while True:
            while pending and (limit is None or emitted < limit):
                if self._admission is not None:
                    self._admission.ended(pending[0])
                if (waiting := emit(pending.popleft())) is not None:
                    await waiting
                emitted += 1
            if limit is not None and emitted >= limit:
                return
            item = await batcher.next()
            if item is None:
                return
            pending.extend(await delivery.deliver(item) if isinstance(item, Batch) else [item])

    async def _flush_stale(self, emit: Emit, limit: int | None) -> None:
        """Hand out partial batches that waited `MAX_WAIT`; one more worker (up to
        ``concurrency``) when none is free to send them."""
        batcher = self._batcher
        while True:
            await anyio.sleep(MAX_WAIT)
            self._check_stop()  # the caller's stop is seen within MAX_WAIT while waiting
            batcher.flush_stale()
            if batcher.unclaimed:
                self._spawn(emit, limit)

    def _spawn(self, emit: Emit, limit: int | None) -> None:
        """One more worker, up to ``concurrency``; none once closing."""
        if self._workers < self._campaign.concurrency and not self._closing:
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
                if isinstance(item, Batch):  # busy with a send: one more worker
                    self._spawn(emit, limit)
                    results = await delivery.deliver(item)
                else:
                    results = [item]
                for i, result in enumerate(results):
                    if self._fatal is not None:
                        return
                    if result.status in _PROBLEMS:
                        self._problems += 1
                        if self._problems == self._campaign.max_failures:
                            self._stop(f"max_failures reached ({self._problems} failed or unknown)")
                    if self._admission is not None:
                        self._admission.ended(result)
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
            if self._fatal is None:
                self._fatal = exc
                self._stop(f"stopped by an error: {type(exc).__name__}")
            self._closing = True

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
