"""Running one leased chunk: pause gate -> rate slot -> claim -> request -> outcome, per batch.

The order keeps a killed worker's unknowns to what was really in flight: a
batch is claimed (queued -> attempting with this run's token) only once its
rate slot has come, and its outcome is written only where the claim is still
this token's. A heartbeat extends the chunk's lease; when it finds the lease
lost (another worker took the chunk after it lapsed) no new batch starts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

import anyio

from .. import _telemetry
from .._bulk.delivery import STALE, _is_size_refusal, _may_be_some_numbers
from .._exceptions import (
    APIConnectionError,
    AuthenticationError,
    InsufficientBalanceError,
    RateLimitError,
    ServiceUnavailableError,
    StaleConnectionError,
    VelstackError,
)
from .._models import SmsSummary
from .._phone import echoed
from ._loader import Entry
from ._settings import Settings
from ._store import Store

__all__ = ["ChunkRun", "SmsClient"]

logger = logging.getLogger("velstack_async.distributed")

_MICRO = Decimal(1_000_000)
#: Extra rounds for a batch that certainly was not processed (503, no connection).
CAMPAIGN_RETRIES = 10
_NOT_ACCEPTED = "Velstack did not accept it (missing from the answer's recipients)"


class _Sms(Protocol):
    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary: ...


class SmsClient(Protocol):
    """What a worker needs: ``client.sms.send`` (an `AsyncVelstack` has it)."""

    @property
    def sms(self) -> _Sms: ...


def _result(entry: Entry, status: str, reason: str) -> str:
    return json.dumps({"s": status, "r": reason, "e": entry[:6]})


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
        self._store = store
        self._settings = settings
        # No retries inside the client: every 429 reaches this layer, which pauses every
        # worker of the campaign through Redis, and retries what certainly was not processed.
        derive = getattr(client, "with_options", None)
        self._client: SmsClient = derive(max_retries=0) if derive is not None else client
        self._chunk = chunk
        self._token = token
        self._concurrency = concurrency
        options = settings.options
        self._mi = 1000.0 / options.rate_limit if options.rate_limit else 0.0
        self._ri = 1000.0 / options.request_rate_limit if options.request_rate_limit else 0.0
        self._plain = settings.plain
        self._region = options.region or "GH"
        #: Recipients per request: the batch size, lowered for good (in this run) when
        #: Velstack refuses a list for its size.
        self._size = options.batch_size
        self._outcomes = 0
        self._error: Exception | None = None
        #: Set when the lease was lost or the campaign stopped: no new batch starts.
        self.halted = False
        self._trace: _telemetry.CampaignTrace | None = None

    async def run(self) -> bool:
        """Send every batch of the chunk; True if the chunk is finished (and removed)."""
        store = self._store
        key = store.chunk_key(self._chunk)
        raw = await store.retry(lambda: store.redis.lrange(key, 0, -1))
        # Each entry keeps its stored JSON last: the claim script files it for an orphan.
        batches = iter(self._batches([[*json.loads(item), item] for item in raw]))
        # The chunk's span is current for its workers: their request spans are its children.
        self._trace = _chunk_trace(self._client, self._settings, store.campaign_id, self._chunk)
        with _telemetry.running(self._trace, self._halt_reason):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._heartbeat)
                async with anyio.create_task_group() as workers:
                    for _ in range(self._concurrency):
                        workers.start_soon(self._work, batches)
                tg.cancel_scope.cancel()
        if self._error is not None:
            raise self._error
        if self.halted:
            # Let another worker (or a resume) take the chunk at once.
            await store.run("HEARTBEAT", self._chunk, self._token, 0)
            return False
        return bool(await store.run("COMPLETE", self._chunk, self._token))

    def _halt_reason(self) -> str | None:
        return "halted: the lease was lost or the campaign stopped" if self.halted else None

    def _count(self, status: str, count: int) -> None:
        """``count`` recipients reached ``status`` (the chunk span's counts)."""
        if self._trace is not None:
            for _ in range(count):
                self._trace.record(status)

    def _batches(self, entries: list[Entry]) -> Iterator[list[Entry]]:
        groups: dict[tuple[str | None, str | None], list[Entry]] = {}
        for entry in entries:
            group = groups.setdefault((entry[4], entry[5]), [])
            group.append(entry)
            if len(group) >= self._size:
                yield groups.pop((entry[4], entry[5]))
        yield from groups.values()

    async def _heartbeat(self) -> None:
        period = self._settings.lease / 3
        try:
            while True:
                await anyio.sleep(period)
                if not await self._store.run("HEARTBEAT", self._chunk, self._token, self._ms_lease):
                    logger.warning("chunk %d: lease lost; no new batch starts", self._chunk)
                    self.halted = True
                    return
        except Exception as exc:
            self._error = self._error or exc
            self.halted = True

    @property
    def _ms_lease(self) -> int:
        return int(self._settings.lease * 1000)

    async def _work(self, batches: Iterator[list[Entry]]) -> None:
        try:
            for batch in batches:
                if self.halted:
                    return
                await self._send_batch(batch)
        except Exception as exc:  # re-raised by `run` once every batch in flight finished
            self._error = self._error or exc
            self.halted = True

    async def _take(self, batch: list[Entry]) -> list[Entry] | None:
        """Pause gate, rate slot, claim (one round trip when the slot is now).

        Returns the entries claimed (those still queued or already this token's);
        None when the campaign stopped.
        """
        store, token = self._store, self._token
        pairs: list[str] = []
        for entry in batch:
            pairs += (entry[2], entry[6])
        while True:
            reply = await store.grouped("TAKE", len(batch), self._mi, self._ri, token, *pairs)
            kind, wait = reply[0], reply[1]
            if kind < 0:
                self.halted = True
                return None
            if kind == 2:
                return [batch[i - 1] for i in reply[2:]]
            await anyio.sleep(wait / 1000)
            if kind == 0:
                return [batch[i - 1] for i in await store.run("CLAIM", token, *pairs)]

    async def _send_batch(self, batch: list[Entry]) -> None:
        size = self._size
        if len(batch) > size:  # formed before Velstack refused a list this long
            for start in range(0, len(batch), size):
                await self._send_batch(batch[start : start + size])
            return
        rounds = 0
        while not self.halted:
            mine = await self._take(batch)
            if not mine:
                return
            if not await self._request(mine, rounds):
                return
            rounds += 1
            await anyio.sleep(min(0.05 * 2**rounds, 2.0))

    async def _request(self, batch: list[Entry], rounds: int) -> bool:
        """Send one claimed batch and record its outcome; True to retry it (released)."""
        text = batch[0][4] if batch[0][4] is not None else self._plain
        sender = batch[0][5] or self._settings.options.sender
        assert text is not None
        try:
            # E.164 ("+" and the key's digits): the client reads it the same in any region
            # (a number outside Ghana in API format, "234...", would be misread as national
            # and refuse the whole batch before any request).
            summary = await self._client.sms.send(
                recipient=",".join("+" + entry[2] for entry in batch),
                message=text,
                sender=sender,
                title=self._settings.options.title,
            )
        except VelstackError as exc:
            return await self._failed(batch, exc, rounds)
        accepted = {
            e164[1:] for number in summary.recipients for e164 in echoed(number, self._region)
        }
        items: list[str | int] = []
        for entry in batch:
            if entry[2] in accepted:
                items += (entry[2], "s", "")
                self._count("sent", 1)
            else:
                items += (entry[2], "f", _result(entry, "failed", _NOT_ACCEPTED))
                self._count("failed", 1)
        used = int(summary.credit_used * _MICRO)
        left = int(summary.credit_left * _MICRO)
        await self._store.grouped("OUTCOME", self._token, self._outcome_id(), 1, used, left, *items)
        return False

    async def _failed(self, batch: list[Entry], exc: VelstackError, rounds: int) -> bool:
        store = self._store
        if not exc.may_have_been_sent:
            stop = None
            if isinstance(exc, InsufficientBalanceError):
                stop = f"insufficient balance: {exc.message}"
            elif isinstance(exc, AuthenticationError):
                stop = f"authentication failed: {exc.message}"
            retry = isinstance(exc, (RateLimitError, ServiceUnavailableError, APIConnectionError))
            if isinstance(exc, RateLimitError):
                await store.run("PAUSE", int((exc.retry_after or 1.0) * 1000))
            if stop is not None or (retry and (rounds < CAMPAIGN_RETRIES or _is_429(exc))):
                await self._release(batch)
                if stop is not None:
                    await store.run("STOP", stop)
                    self.halted = True
                return stop is None
            if len(batch) > 1 and (_is_size_refusal(exc) or _may_be_some_numbers(exc)):
                # Nothing was processed: split until the offending numbers fail alone (the
                # halves are still claimed by this token, so claiming them again is a no-op).
                # A 422 about the message or the sender fails the batch without splitting.
                if _is_size_refusal(exc):
                    self._size = min(self._size, len(batch) // 2)
                half = (len(batch) + 1) // 2
                await self._outcome(batch, "", "", requests=1)
                await self._send_batch(batch[:half])
                await self._send_batch(batch[half:])
                return False
        status, state = ("unknown", "u") if exc.may_have_been_sent else ("failed", "f")
        reason = STALE if isinstance(exc, StaleConnectionError) else exc.message
        await self._outcome(batch, state, status, reason=reason, requests=1)
        self._count(status, len(batch))
        return False

    async def _release(self, batch: list[Entry]) -> None:
        await self._outcome(batch, "q", "", requests=1)

    async def _outcome(
        self, batch: list[Entry], state: str, status: str, *, reason: str = "", requests: int
    ) -> None:
        items: list[str | int] = []
        if state:
            for entry in batch:
                items += (entry[2], state, _result(entry, status, reason) if status else "")
        outcome_id = self._outcome_id()
        await self._store.grouped("OUTCOME", self._token, outcome_id, requests, 0, "", *items)

    def _outcome_id(self) -> str:
        self._outcomes += 1
        return f"{self._token}:{self._outcomes}"


def _chunk_trace(
    client: object, settings: Settings, campaign: str, chunk: int
) -> _telemetry.CampaignTrace | None:
    """The span of one chunk run, when ``client`` is an `AsyncVelstack` with telemetry."""
    telemetry = getattr(getattr(client, "_requester", None), "telemetry", None)
    if not isinstance(telemetry, _telemetry.Telemetry):
        return None
    trace = _telemetry.campaign_trace(telemetry, "campaign_chunk", settings.options)
    if trace is not None and trace.span is not None:
        trace.span.set_attributes(
            {"velstack.campaign.name": campaign, "velstack.campaign.chunk": chunk}
        )
    return trace


def _is_429(exc: VelstackError) -> bool:
    """Throttling is never a failure: a 429 is retried however often it comes."""
    return isinstance(exc, RateLimitError)
