"""The worker pool that sends a campaign.

`Engine.run` runs at most ``concurrency`` workers in one task group (started
as there is work for them: one recipient never costs a thousand tasks). Each
pulls the next batch from the shared `Batcher` (recipients of one text, up to
``batch_size``, read lazily from the `Source`), sends it as one request
through the client's single-send path (its error mapping and shared 429 pause
gate apply unchanged; see `delivery` for retries and splitting) and hands each
recipient's result to ``emit``. Every task is joined before `run` returns, so
nothing is in flight between two runs: `stream_bulk` runs the engine in bursts
and yields between them, which keeps an async generator safe to abandon at any
point (no task group is held across a ``yield``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from .. import _telemetry
from .._retry import RetryPolicy
from .batcher import MAX_WAIT, Batch, Batcher
from .control import CampaignStop
from .delivery import Delivery, SendOne
from .journal import Journal, JournalOpener, JournalStore
from .models import BulkResult, BulkStatus
from .options import CampaignOptions
from .source import Source, iterate

__all__ = ["Engine", "SendOne"]

logger = logging.getLogger("velstack_async.bulk")

#: Receives each result; may return an awaitable.
Emit = Callable[[BulkResult], Awaitable[Any] | None]

_PROBLEMS = (BulkStatus.FAILED, BulkStatus.UNKNOWN)


class Engine:
    """One campaign: its settings, input, journal and stop state. `open`, `run`, `close`."""

    def __init__(
        self,
        send: SendOne,
        policy: RetryPolicy,
        campaign: CampaignOptions,
        recipients: object,
        control: CampaignStop | None = None,
    ) -> None:
        self._send = send
        self._control = control
        self._policy = policy
        self._campaign = campaign
        self._items = iterate(recipients)
        self._journal: JournalStore | None = None
        self._source: Source | None = None
        self._batcher: Batcher | None = None
        self._delivery: Delivery | None = None
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

    def _check_stop(self) -> str | None:
        """`stop_reason`, after stopping if the caller asked (`CampaignStop.set`)."""
        control = self._control
        if control is not None and control.reason is not None:
            self._stop(control.reason)
        return self.stop_reason

    @property
    def delivery(self) -> Delivery:
        assert self._delivery is not None
        return self._delivery

    async def open(self) -> None:
        """Open the journal (or the temporary duplicate store)."""
        campaign = self._campaign
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
        self._journal = journal
        self._source = Source(self._items, campaign, journal)
        self._batcher = Batcher(self._source, campaign.batch_size)
        self._delivery = Delivery(
            self._send,
            self._policy,
            campaign,
            self._batcher,
            journal if journal.durable else None,
            self._stop,
            self._check_stop,
        )

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
        journal, self._journal, self._delivery = self._journal, None, None
        if journal is not None:
            journal.close()

    async def run(self, emit: Emit, limit: int | None = None) -> None:
        """Send until the input ends, or until about ``limit`` results were emitted.

        Re-raises a fatal error (the input raised, ``emit`` raised, the journal
        failed) once every worker has finished.
        """
        self._closing = self._fatal is not None
        self._check_stop()
        self._burst = self._workers = 0
        self.delivery._last_accepted = time.monotonic()
        async with anyio.create_task_group() as outer:
            async with anyio.create_task_group() as self._tg:
                self._spawn(emit, limit)
                outer.start_soon(self._flush_stale, emit, limit)
            outer.cancel_scope.cancel()
        self._tg = None
        if self._fatal is not None:
            raise self._fatal

    async def _flush_stale(self, emit: Emit, limit: int | None) -> None:
        """Hand out partial batches that waited long enough (the input may be slow).

        A worker may be waiting for the input's next item meanwhile: one more
        is started (up to ``concurrency``) when no worker is free to send them.
        """
        batcher = self._batcher
        assert batcher is not None
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
        batcher = self._batcher
        delivery = self._delivery
        assert batcher is not None
        assert delivery is not None
        try:
            while not self._closing:
                self._check_stop()
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
                for result in results:
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
        _telemetry.stopped(reason)
        if self._delivery is not None:
            self._delivery.stopped.set()

    def _fail(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
            self._stop(f"stopped by an error: {type(exc).__name__}")
        self._closing = True
