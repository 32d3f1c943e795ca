"""A chunk's recipients and one leased run of it. `load` writes ``send_bulk``'s `Source`
output into chunks (deduplicated by number, resumable: nothing twice). `ChunkRun` runs a
chunk on the ``send_bulk`` `Engine` with Redis as its ports: each recipient is claimed
(``TAKE``) just before its request; its outcome applies only while the claim is this
token's (``OUTCOME``).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio
import attrs
from attrs import field, frozen

from .. import _telemetry
from .._bulk.admitting import Admitter
from .._bulk.control import CampaignStop
from .._bulk.engine import Engine
from .._bulk.journal import Journal, Verdict
from .._bulk.models import BulkResult, BulkStatus
from .._bulk.outcome import not_attempted
from .._bulk.ports import Job, Ticket
from .._bulk.source import BATCH, Source, iterate
from .._exceptions import RateLimitError
from .._models import SmsSummary
from .._policy.campaign import campaign_ports
from .._policy.reasons import verdict_of
from .._retry import RetryPolicy
from ._settings import Settings
from ._store import Store
from .errors import CampaignError

if TYPE_CHECKING:
    from .._policy.policy import SendingPolicy

__all__ = ["HALTED", "MICRO", "ChunkEntry", "ChunkRun", "RedisTally", "SmsClient", "load"]

logger = logging.getLogger("velstack_async.distributed")

MICRO = Decimal(1_000_000)  # credits are kept in Redis as integer millionths
#: The engine's stop reason when this run must stop but the campaign goes on.
HALTED = "halted: the lease was lost or the campaign stopped"
_STATES = dict(zip((BulkStatus.SENT, BulkStatus.FAILED, BulkStatus.UNKNOWN), "sfu", strict=True))


class _Sms(Protocol):
    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary: ...


class SmsClient(Protocol):
    """What a worker needs: ``client.sms.send`` (an `AsyncVelstack` has it)."""

    @property
    def sms(self) -> _Sms: ...


class ChunkRun:
    """One run of one chunk under one lease token: the engine's ports over Redis."""

    skipped = 0.0  # `Gate.skipped`: Redis waits are real

    def __init__(
        self,
        store: Store,
        settings: Settings,
        client: SmsClient,
        chunk: int,
        token: str,
        concurrency: int,
        policy: SendingPolicy | None = None,
    ) -> None:
        self.store, self.settings, self.client = store, settings, client
        self.chunk, self.token, self.concurrency = chunk, token, concurrency
        self.control = CampaignStop()  # set (HALTED) when the lease was lost
        self.stop_reason: str | None = None
        o = settings.options
        #: Milliseconds between messages and between requests (0: no limit).
        self._intervals = [1000 / r if r else 0.0 for r in (o.rate_limit, o.request_rate_limit)]
        self._entries: dict[int, ChunkEntry] = {}  # by journal key
        self._jobs: list[Job | BulkResult] = []
        self._lost: list[Job | BulkResult] = []  # a lost run's claims (with a policy)
        self._outcomes = 0
        self._stopping: str | None = None
        self._error: Exception | None = None
        ports = campaign_ports(policy, o, RedisTally(store))
        self._admission, self._budget = ports["admission"], ports["budget"]
        admission = self._admission
        self._admitter = None if admission is None else Admitter(admission, o.wait_for_window)

    async def run(self) -> bool:
        """Send every batch of the chunk; True if the chunk is finished (and removed)."""
        store, settings = self.store, self.settings
        raw = await store.retry(lambda: store.redis.lrange(f"{store.prefix}{self.chunk}", 0, -1))
        entries = [ChunkEntry.from_list(json.loads(item), item) for item in raw]
        states: list[str | None] = ["q"] * len(entries)
        if self._admission is not None and entries:
            keys = [str(entry.key) for entry in entries]
            states = await store.retry(lambda: store.redis.hmget(store.keys[2], keys))
        plain, sender = settings.plain, settings.options.sender
        for entry, state in zip(entries, states, strict=True):
            key, text = int(entry.key or 0), entry.text or plain
            assert text is not None  # stored when the message has placeholders
            self._entries[key] = entry
            job = Job(entry.index, entry.recipient, key, f"+{key}", text, entry.sender or sender)
            if state == "q":
                self._jobs.append(job)
            elif state is not None and state.startswith("a:"):  # `TAKE` makes it unknown
                self._lost.append(job)
        derive = getattr(self.client, "with_options", None)  # 429s pause every worker
        sms = (derive(max_retries=0) if derive is not None else self.client).sms
        engine = Engine(
            lambda numbers, text, sender, title: sms.send(
                recipient=numbers, message=text, sender=sender, title=title
            ),
            RetryPolicy(), attrs.evolve(settings.options, concurrency=self.concurrency),
            self, self, self, self.control, budget=self._budget, on_stop=self._stop,
            admission=self._admission,  # told of every result, finished by `aclose`
        )  # fmt: skip
        trace = self._trace()
        try:
            with _telemetry.running(trace, lambda: engine.stop_reason):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._heartbeat)
                    await engine.run(_telemetry.counting(trace, lambda _: None))
                    tg.cancel_scope.cancel()
        finally:
            await engine.aclose()
        await self._flush_stop()
        if self._error is not None:
            raise self._error
        if engine.stop_reason is not None:
            await store.run("HEARTBEAT", self.chunk, self.token, 0)  # free it at once
            return False
        return bool(await store.run("COMPLETE", self.chunk, self.token))

    async def take(self) -> list[Job | BulkResult]:
        """`WorkSource`: the chunk; with a policy, admitted (not a lost run's claims)."""
        if self._lost:
            lost, self._lost = self._lost, []
            return lost
        if self._admitter is None:
            jobs, self._jobs = self._jobs, []
            return jobs
        return await self._admitter.take(self, self._next, self._file_verdicts)

    async def _next(self) -> list[Job | BulkResult]:
        batch, self._jobs = self._jobs[:BATCH], self._jobs[BATCH:]
        if (reason := self.stop_reason) is not None:
            return [not_attempted(job.recipient, job.index, reason) for job in batch]
        return batch

    async def _file_verdicts(self, ended: list[tuple[Job, BulkResult]]) -> None:
        """The policy's skips (``k``) and deferrals (``w``), where still queued (`VERDICT`)."""
        items: list[str] = []
        for job, result in ended:
            skipped = result.status is BulkStatus.SKIPPED
            counter = verdict_of(result.reason or "") or ""
            stored = self._entries[job.key].result(result)
            items += (str(job.key), "k" if skipped else "w", counter, stored)
        await self.store.run("VERDICT", *items, group=True)

    async def acquire(self, jobs: list[Job]) -> Ticket | None:
        """`Gate`: pause gate, rate slot, claim; the jobs claimed (None: stopped)."""
        await self._flush_stop()
        store, token = self.store, self.token
        pairs = [item for job in jobs for item in (str(job.key), self._entries[job.key].raw)]
        args: list[str | int | float] = [len(jobs), *self._intervals, token, *pairs]
        while True:
            kind, wait, *claimed = await store.run("TAKE", *args, group=True)
            if kind < 0:
                self.control.set(HALTED)
                return None
            if kind == 2:
                return Ticket([jobs[i - 1] for i in claimed])
            if kind == 0:
                args[1:3] = [0.0, 0.0]  # the slot is booked: claim once it has come
            await anyio.sleep(wait / 1000)

    async def refused(self, ticket: Ticket, error: Exception) -> bool:
        """`Gate`: a 429 pauses every worker of the campaign; a 503 backs off."""
        if not isinstance(error, RateLimitError):
            return False
        await self.store.run("PAUSE", int((error.retry_after or 1.0) * 1000))
        return True

    def accepted(self, ticket: Ticket) -> None:
        """`Gate`: nothing to learn (Redis paces)."""

    async def attempting(self, jobs: list[Job]) -> None:
        """`Ledger`: nothing, `acquire` claims each batch once its rate slot has come."""

    async def settle(
        self, results: list[tuple[Job, BulkResult]], summary: SmsSummary | None, requests: int
    ) -> None:
        """`Ledger`: the outcomes, where the claims are still this token's."""
        items: list[str | int] = []
        for job, result in results:
            state = _STATES.get(result.status, "q")
            stored = self._entries[job.key].result(result) if state in "fu" else ""
            items += (str(job.key), state, stored)
        if not items and not requests:
            return
        used, left = 0, ""
        if summary is not None:
            used, left = int(summary.credit_used * MICRO), str(int(summary.credit_left * MICRO))
        self._outcomes += 1
        once = f"{self.token}:{self._outcomes}"  # a retried call counts nothing twice
        await self.store.run("OUTCOME", self.token, once, requests, used, left, *items, group=True)

    async def release(self, jobs: list[Job]) -> None:
        """`Ledger`: the claims stay until the next try; the request is counted."""
        await self.settle([], None, 1)

    def _stop(self, reason: str) -> None:
        if reason != HALTED:
            self._stopping = reason

    async def _flush_stop(self) -> None:
        """Stop the campaign in Redis for a stop this run decided (every worker sees it)."""
        reason, self._stopping = self._stopping, None
        if reason is not None:
            await self.store.run("STOP", reason)

    def _trace(self) -> _telemetry.CampaignTrace | None:
        """The span of this run (its requests' parent), for an `AsyncVelstack` client."""
        from .._client import AsyncVelstack

        if not isinstance(client := self.client, AsyncVelstack):
            return None
        o = client.options
        telemetry = _telemetry.for_client(o.tracer_provider, o.meter_provider, client.base_url)
        trace = _telemetry.campaign_trace(telemetry, "campaign_chunk", self.settings.options)
        if trace is not None and trace.span is not None:
            campaign = {"velstack.campaign.name": self.store.campaign_id}
            trace.span.set_attributes({**campaign, "velstack.campaign.chunk": self.chunk})
        return trace

    async def _heartbeat(self) -> None:
        period, ms = self.settings.lease / 3, int(self.settings.lease * 1000)
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


@frozen
class RedisTally:
    """`_policy.campaign.Tally`: ``max_credits`` reserved in the campaign's counters."""

    store: Store

    async def take(self, credits: float, cap: float) -> float | None:
        reserved, left = await self.store.run("BUDGET", _micro(credits), _micro(cap))
        return None if int(reserved) else float(Decimal(int(left)) / MICRO)

    async def add(self, credits: float) -> None:
        if credits:
            await self.store.run("SPEND", _micro(credits))


def _micro(credits: float) -> int:
    return int(Decimal(repr(credits)) * MICRO)


@frozen
class ChunkEntry:
    """A recipient in a chunk, stored as ``[index, recipient, key, number, text, sender]``
    (JSON, opaque to the scripts); ``text`` / ``sender`` None: the campaign's."""

    index: int
    recipient: str
    key: str | None = None
    number: str | None = None
    text: str | None = None
    sender: str | None = None
    #: The stored JSON (a claim script files it as is).
    raw: str = field(default="", eq=False, repr=False)

    @classmethod
    def from_list(cls, values: list[Any], raw: str = "") -> ChunkEntry:
        """From the stored list (a script may have dropped trailing nulls)."""
        index, recipient, *rest = values
        key, number, text, sender = (rest + [None] * 4)[:4]
        return cls(int(index), str(recipient), key, number, text, sender, raw=raw)

    def as_list(self) -> list[Any]:
        return [self.index, self.recipient, self.key, self.number, self.text, self.sender]

    def result(self, result: BulkResult) -> str:
        """``result`` as stored (`RedisCampaign.report` and the scripts read it back)."""
        return json.dumps({"s": str(result.status), "r": result.reason or "", "e": self.as_list()})


class _AllNew:
    """The `Source`'s journal: every number is new here (Redis deduplicates)."""

    durable = False

    async def aclassify(self, keys: list[int]) -> list[Verdict]:
        return [Verdict.NEW] * len(keys)


async def load(store: Store, settings: Settings, recipients: object) -> int:
    """Load ``recipients``; return how many inputs the campaign holds. Resumable."""
    options, plain = settings.options, settings.plain
    source = Source(iterate(recipients), options, cast(Journal, _AllNew()))
    meta = await store.retry(lambda: store.redis.hmget(store.meta, ["loaded_upto", "loaded"]))
    if meta[1] == "1":
        raise CampaignError(f"campaign {store.campaign_id!r} is already loaded")
    start = int(meta[0] or 0)
    group: list[str] = []
    position = start
    while True:
        items = await source.take()
        for item in items:
            if item.index < start:
                continue  # loaded by an earlier (interrupted) call
            if isinstance(item, Job):  # the text and sender only where not the campaign's
                text = None if item.text == plain else item.text
                sender = None if item.sender == options.sender else item.sender
                entry = ChunkEntry(
                    item.index, item.recipient, str(item.key), item.number, text, sender
                )
                group += ("n", str(item.key), json.dumps(entry.as_list()))
            else:  # a ready result: skipped or failed
                stored = ChunkEntry(item.index, item.recipient).result(item)
                group += ("s" if item.status == "skipped" else "f", f"i{item.index}", stored)
        if group and (not items or len(group) >= 3 * BATCH):
            done, upto = await store.run("LOAD", position, settings.chunk_size, *group)
            if done < 0:
                raise CampaignError(
                    f"campaign {store.campaign_id!r}: another producer is loading it "
                    f"(it is at input {upto}, this one at {position})"
                )
            position, group = done, []
        if not items:
            break
    await store.run("FINISH_LOAD")
    return position
