"""Running one leased chunk on the campaign engine: Redis as its work source, gate and ledger.

The chunk's recipients are the engine's `WorkSource` (`ChunkSource`); the same
`Engine` and `Delivery` as ``send_bulk`` batch, send and carry out
`velstack_async._bulk.outcome`'s decisions, so a chunk's recipients end with the
same status and reason as in a local campaign. Only the ports differ:

- `RedisGate`: the pause gate, a rate slot booked on Redis time, then the claim
  of every recipient (queued -> attempting with this run's token), in one script
  (``TAKE``) once the slot has come: a killed worker's unknowns are what was
  really in flight. A 429 pauses every worker of the campaign (``PAUSE``).
- `ChunkLedger`: each outcome (``OUTCOME``) applies only where the claim is
  still this token's; a request certainly not processed releases its claims.

A heartbeat extends the chunk's lease; when it finds the lease lost (another
worker took the chunk after it lapsed) no new batch starts. A stop decided here
(insufficient balance, a refused key, stalled) stops the campaign in Redis.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from decimal import Decimal
from typing import Protocol

import anyio
import attrs

from .. import _telemetry
from .._bulk.control import CampaignStop
from .._bulk.engine import Engine
from .._bulk.models import BulkResult, BulkStatus
from .._bulk.ports import Job, SendOne, Ticket
from .._exceptions import RateLimitError
from .._models import SmsSummary
from .._retry import RetryPolicy
from ._loader import ChunkEntry
from ._settings import Settings
from ._store import Store

__all__ = ["ChunkLedger", "ChunkRun", "ChunkSource", "RedisGate", "SmsClient"]

logger = logging.getLogger("velstack_async.distributed")

_MICRO = Decimal(1_000_000)
#: The engine's stop reason when this run must stop but the campaign goes on.
HALTED = "halted: the lease was lost or the campaign stopped"
_STATES = {
    BulkStatus.SENT: "s",
    BulkStatus.FAILED: "f",
    BulkStatus.UNKNOWN: "u",
    BulkStatus.NOT_ATTEMPTED: "q",
}


class _Sms(Protocol):
    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary: ...


class SmsClient(Protocol):
    """What a worker needs: ``client.sms.send`` (an `AsyncVelstack` has it)."""

    @property
    def sms(self) -> _Sms: ...


class ChunkSource:
    """The chunk's entries as the engine's `WorkSource`: all of them at once, then none."""

    def __init__(self, entries: list[ChunkEntry], settings: Settings) -> None:
        options, plain = settings.options, settings.plain
        self.stop_reason: str | None = None
        #: The stored entry of each job, by journal key (a claim names it).
        self.entries = {int(e.key or 0): e for e in entries}
        self._jobs: list[Job | BulkResult] = []
        for e in entries:
            text = e.text if e.text is not None else plain
            assert text is not None  # stored when the message has placeholders
            # E.164 ("+" and the key's digits): the client reads it the same in any region.
            number = "+" + str(e.key)
            sender = e.sender or options.sender
            self._jobs.append(Job(e.index, e.recipient, int(e.key or 0), number, text, sender))

    async def take(self) -> list[Job | BulkResult]:
        jobs, self._jobs = self._jobs, []
        return jobs


class RedisGate:
    """The campaign's pause gate, rate slots and claims in Redis (`Gate`)."""

    skipped = 0.0

    def __init__(self, run: ChunkRun) -> None:
        self._run = run
        options = run.settings.options
        self._mi = 1000.0 / options.rate_limit if options.rate_limit else 0.0
        self._ri = 1000.0 / options.request_rate_limit if options.request_rate_limit else 0.0

    async def acquire(self, jobs: list[Job]) -> Ticket | None:
        """Pause gate, rate slot, claim (one round trip when the slot is now); None when the
        campaign stopped."""
        run = self._run
        await run.flush_stop()
        store, token = run.store, run.token
        pairs: list[str] = []
        for job in jobs:
            pairs += (str(job.key), run.source.entries[job.key].raw)
        while True:
            reply = await store.grouped("TAKE", len(jobs), self._mi, self._ri, token, *pairs)
            kind, wait = reply[0], reply[1]
            if kind < 0:
                run.control.set(HALTED)
                return None
            if kind == 2:
                return Ticket([jobs[i - 1] for i in reply[2:]])
            await anyio.sleep(wait / 1000)
            if kind == 0:
                return Ticket([jobs[i - 1] for i in await store.run("CLAIM", token, *pairs)])

    async def refused(self, ticket: Ticket, error: Exception) -> bool:
        """A 429 pauses every worker of the campaign; a 503 backs off."""
        if not isinstance(error, RateLimitError):
            return False
        await self._run.store.run("PAUSE", int((error.retry_after or 1.0) * 1000))
        return True

    def accepted(self, ticket: Ticket) -> None:
        """Nothing to learn: Redis paces by its pause gate."""


class ChunkLedger:
    """Outcomes into the campaign's state in Redis (`Ledger`), where the claim is still ours."""

    def __init__(self, run: ChunkRun) -> None:
        self._run = run
        self._outcomes = 0

    async def attempting(self, jobs: list[Job]) -> None:
        """Nothing: `RedisGate` claims each batch once its rate slot has come."""

    async def settle(
        self, results: list[tuple[Job, BulkResult]], summary: SmsSummary | None, requests: int
    ) -> None:
        run = self._run
        items: list[str | int] = []
        for job, result in results:
            state = _STATES[result.status]
            stored = ""
            if state in "fu":
                entry = run.source.entries[job.key].as_list()
                stored = json.dumps({"s": str(result.status), "r": result.reason or "", "e": entry})
            items += (str(job.key), state, stored)
        if not items and not requests:
            return
        used = left = ""
        if summary is not None:
            used, left = (
                str(int(summary.credit_used * _MICRO)),
                str(int(summary.credit_left * _MICRO)),
            )
        self._outcomes += 1
        outcome_id = f"{run.token}:{self._outcomes}"
        await run.store.grouped("OUTCOME", run.token, outcome_id, requests, used or 0, left, *items)

    async def release(self, jobs: list[Job]) -> None:
        """Certainly not processed, sent again after the wait: the claims stay (as the local
        journal keeps them attempting); the request is counted."""
        await self.settle([], None, 1)


class ChunkRun:
    """One run of one chunk under one lease token."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        client: SmsClient,
        chunk: int,
        token: str,
        concurrency: int,
    ) -> None:
        self.store = store
        self.settings = settings
        self.client = client
        self.chunk = chunk
        self.token = token
        self.concurrency = concurrency
        #: Set when the lease was lost or the campaign stopped: no new batch starts.
        self.control = CampaignStop()
        self.source = ChunkSource([], settings)
        self._stopping: str | None = None
        self._error: Exception | None = None

    async def run(self) -> bool:
        """Send every batch of the chunk; True if the chunk is finished (and removed)."""
        store = self.store
        key = store.chunk_key(self.chunk)
        raw = await store.retry(lambda: store.redis.lrange(key, 0, -1))
        self.source = ChunkSource([ChunkEntry.parse(item) for item in raw], self.settings)
        options = attrs.evolve(self.settings.options, concurrency=self.concurrency)
        engine = Engine(
            self._send_one(),
            RetryPolicy(),
            options,
            self.source,
            RedisGate(self),
            ChunkLedger(self),
            self.control,
            on_stop=self._stop,
        )
        # The chunk's span is current for its workers: their request spans are its children.
        trace = _chunk_trace(self.client, self.settings, store.campaign_id, self.chunk)
        with _telemetry.running(trace, lambda: engine.stop_reason):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._heartbeat)
                await engine.run(_telemetry.counting(trace, _ignore))
                tg.cancel_scope.cancel()
        await self.flush_stop()
        if self._error is not None:
            raise self._error
        if engine.stop_reason is not None:
            # Let another worker (or a resume) take the chunk at once.
            await store.run("HEARTBEAT", self.chunk, self.token, 0)
            return False
        return bool(await store.run("COMPLETE", self.chunk, self.token))

    def _send_one(self) -> SendOne:
        # No retries inside the client: every 429 reaches the engine, which pauses every
        # worker of the campaign through Redis, and retries what certainly was not processed.
        derive = getattr(self.client, "with_options", None)
        client: SmsClient = derive(max_retries=0) if derive is not None else self.client
        sms = client.sms

        def send(numbers: str, text: str, sender: str, title: str | None) -> Awaitable[SmsSummary]:
            return sms.send(recipient=numbers, message=text, sender=sender, title=title)

        return send

    def _stop(self, reason: str) -> None:
        if reason != HALTED:
            self._stopping = reason

    async def flush_stop(self) -> None:
        """Stop the campaign in Redis for a stop this run decided (every worker sees it)."""
        reason, self._stopping = self._stopping, None
        if reason is not None:
            await self.store.run("STOP", reason)

    async def _heartbeat(self) -> None:
        period = self.settings.lease / 3
        ms = int(self.settings.lease * 1000)
        try:
            while True:
                await anyio.sleep(period)
                if not await self.store.run("HEARTBEAT", self.chunk, self.token, ms):
                    logger.warning("chunk %d: lease lost; no new batch starts", self.chunk)
                    self.control.set(HALTED)
                    return
        except Exception as exc:
            self._error = self._error or exc
            self.control.set(HALTED)


def _ignore(result: BulkResult) -> None:
    """A chunk's results are in Redis already (`ChunkLedger`)."""


def _chunk_trace(
    client: object, settings: Settings, campaign: str, chunk: int
) -> _telemetry.CampaignTrace | None:
    """The span of one chunk run, when ``client`` is an `AsyncVelstack` with telemetry."""
    from .._client import AsyncVelstack

    if not isinstance(client, AsyncVelstack):
        return None
    options = client.options
    telemetry = _telemetry.for_client(
        options.tracer_provider, options.meter_provider, client.base_url
    )
    trace = _telemetry.campaign_trace(telemetry, "campaign_chunk", settings.options)
    if trace is not None and trace.span is not None:
        trace.span.set_attributes(
            {"velstack.campaign.name": campaign, "velstack.campaign.chunk": chunk}
        )
    return trace
