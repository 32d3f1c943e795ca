"""`RedisCampaign`: one campaign shared by worker processes through Redis, exactly once by
per-recipient claims (`_lua`, `_process`), never by the queue (a surplus queue task goes
back to it). A worker's watcher takes a dead worker's lapsed chunk within `watch_period`.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .. import _validation as check
from .._bulk.models import BulkReport, BulkResult, BulkStatus
from .._bulk.options import CampaignOptions
from .._bulk.outcome import STALE
from .._policy.limits import Category, Clock
from ._settings import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE, PolicySpec, Settings
from ._store import Store
from .chunk_source import MICRO, ChunkEntry, ChunkRun, SmsClient, load
from .errors import CampaignError

if TYPE_CHECKING:
    from .._policy.policy import SendingPolicy

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_TASK_NAME", "ClientFactory", "RedisCampaign"]
__all__ += ["lease_and_run", "run_chunk_task", "send_task", "watch_period", "work"]

#: Batches in flight at once in one worker process, by default.
DEFAULT_CONCURRENCY = 16
#: Makes a queue task's client (default: ``AsyncVelstack()`` from the environment).
ClientFactory = Callable[[], AbstractAsyncContextManager[Any]]
DEFAULT_TASK_NAME = "velstack.campaign.run_chunk"
#: Longest a surplus queue task waits before it goes back to the queue (seconds).
_MAX_HOP_WAIT = 10.0
RunChunk = Callable[[int, str], Awaitable[bool]]  # (chunk, lease token) -> finished
_ANY, _LAPSED = -1, -2
_ENDED = ("done", "stopped")
_COUNTS = (
    *("inputs", "queued", "attempting", "sent", "failed", "skipped", "unknown"),
    *("duplicates", "requests", "throttled", "suppressed", "capped", "deferred"),
)


class RedisCampaign:
    """A campaign in Redis. Get one with `create` (once) or `open` (any process)."""

    def __init__(
        self,
        url: str,
        store: Store,
        settings: Settings,
        policy: SendingPolicy | None = None,
        *,
        owns_policy: bool = False,
    ) -> None:
        self.url, self._store, self.settings = url, store, settings
        #: The sending policy this process applies (rebuilt from the settings by `open`).
        self.policy, self._owns_policy = policy, owns_policy

    @property
    def id(self) -> str:
        return self._store.campaign_id

    @classmethod
    async def create(
        cls,
        url: str,
        campaign_id: str,
        *,
        message: str | None = None,
        sender: str,
        title: str | None = None,
        rate_limit: float | None = None,
        request_rate_limit: float | None = None,
        batch_size: int = 100,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        region: str | None = None,
        allow_blank_fields: bool = False,
        lease: float = DEFAULT_LEASE,
        policy: SendingPolicy | None = None,
        category: Category = "marketing",
        max_credits: int | None = None,
        wait_for_window: bool = True,
    ) -> RedisCampaign:
        """Create the campaign ``campaign_id`` in the Redis at ``url`` (an error if it exists).
        ``chunk_size`` recipients make one queue task; ``lease``: how long a chunk stays with
        a silent worker; ``policy``'s store: a ``redis://`` URL (every worker opens it). Rate
        limits and ``max_credits`` hold across workers; the rest are ``send_bulk``'s."""
        keywords = {**locals(), "region": region or "GH", "keep_unsent": 0}
        options = CampaignOptions.from_keywords(keywords)
        spec = None if policy is None else PolicySpec.of(policy, url)
        settings = Settings.create(options, chunk_size, lease, spec)
        store = await Store.opened(url, campaign_id, create=True, meta=settings.to_meta())
        return cls(url, store, settings, policy)

    @classmethod
    async def open(cls, url: str, campaign_id: str, *, clock: Clock | None = None) -> RedisCampaign:
        """Open an existing campaign (`CampaignError` if none) and its policy (``clock``)."""
        store = await Store.opened(url, campaign_id, create=False)
        try:
            meta = await store.retry(lambda: store.redis.hgetall(store.meta))
            if "sender" not in meta:
                raise CampaignError(f"no campaign {campaign_id!r} in this Redis (not created)")
            settings = Settings.from_meta(meta)
            policy = None if settings.policy is None else settings.policy.build(url, clock)
        except BaseException:
            await store.aclose()
            raise
        return cls(url, store, settings, policy, owns_policy=True)

    async def aclose(self) -> None:
        if self._owns_policy and self.policy is not None:
            self.policy.close()
        await self._store.aclose()

    async def __aenter__(self) -> RedisCampaign:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def load(self, recipients: object) -> int:
        """Add the recipients (iterable or async iterable of str | BulkMessage) once; after
        an interruption, again with the same input. Returns the number of inputs."""
        return await load(self._store, self.settings, recipients)

    async def run_worker(
        self,
        client: SmsClient,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        claims_dir: str | Path | None = None,
        first: int | None = None,
    ) -> bool:
        """Run chunks (``first``, then free or lapsed ones, a dead worker's too) until the
        campaign is finished (True) or stopped (False). ``concurrency``: batches in flight
        here (a killed process leaves at most ``concurrency x batch_size`` unknown);
        ``claims_dir``: the claim log (``$VELSTACK_CLAIMS_DIR``, else the state directory)."""
        run = self._attach(client, concurrency, claims_dir)
        return await work(self._store, self.settings.lease, run, first)

    async def run_chunk(
        self,
        client: SmsClient,
        index: int,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        claims_dir: str | Path | None = None,
    ) -> bool:
        """Run chunk ``index`` if nobody holds it; True if it is finished. Idempotent."""
        run = self._attach(client, concurrency, claims_dir)
        status, _ = await lease_and_run(self._store, self.settings.lease, run, index)
        return status in ("finished", "done")

    async def sweep(self, client: SmsClient, **keywords: Any) -> bool:
        """`run_worker` without a first chunk: kept for code written against 0.x."""
        return await self.run_worker(client, **keywords)

    def _attach(
        self, client: SmsClient, concurrency: int, claims_dir: str | Path | None
    ) -> RunChunk:
        check.count("concurrency", concurrency, 1)
        budget = concurrency * self.settings.options.batch_size
        self._store.local.attach(None if claims_dir is None else Path(claims_dir), budget)
        store, settings, policy = self._store, self.settings, self.policy
        return lambda chunk, token: ChunkRun(
            store, settings, client, chunk, token, concurrency, policy
        ).run()

    async def chunks(self) -> list[int]:
        """The chunks not finished yet."""
        store = self._store
        return [int(c) for c in await store.retry(lambda: store.redis.zrange(store.todo, 0, -1))]

    async def enqueue(self, task: Any) -> int:
        """Send every unfinished chunk to ``task`` (``taskiq.register`` / ``celery.register``),
        after `load` or a fleet restart; returns how many."""
        chunks = await self.chunks()
        for chunk in chunks:
            await send_task(task, self.url, self.id, chunk)
        return len(chunks)

    async def report(self, *, keep_unsent: int | None = 1000) -> BulkReport:
        """The `BulkReport` over every worker (counts exact; ``keep_unsent`` results listed)."""
        store, keep = self._store, keep_unsent
        raw, (_, stopped, _), *_, stored = await self._read()
        n = {name: int(raw.get(name, 0)) for name in _COUNTS}
        unsent: list[BulkResult] = []
        stale = 0
        # With unknown ones every stored result is read (to count the stale ones).
        async for _, value in store.redis.hscan_iter(store.unsent, count=500):
            data = json.loads(value)
            status, reason = BulkStatus(data["s"]), data["r"] or None
            stale += status is BulkStatus.UNKNOWN and reason == STALE
            if keep is None or len(unsent) < keep:
                e = ChunkEntry.from_list(data["e"])
                unsent.append(BulkResult(e.recipient, status, reason=reason, index=e.index))
            elif not n["unknown"]:
                break
        unsent.sort(key=lambda result: result.index)
        elapsed = max(0.0, (float(raw.get("last_ms", 0)) - float(raw.get("first_ms", 0))) / 1000)
        left = raw.get("credit_left")
        return BulkReport(
            **{name: n[name] for name in _COUNTS[3:] if name != "duplicates"},
            total=n["inputs"],
            not_attempted=n["queued"] + n["attempting"] + n["deferred"],
            credit_used=Decimal(raw.get("credit", 0)) / MICRO,
            credit_left=None if left is None else Decimal(left) / MICRO,
            elapsed=elapsed,
            messages_per_second=n["sent"] / elapsed if elapsed > 0 else 0.0,
            stopped_reason=stopped,
            unsent=tuple(unsent),
            unsent_omitted=int(stored) - len(unsent),
            unknown_stale=stale,
        )

    async def status(self) -> dict[str, Any]:
        """Counters, chunks left and leased, loaded and stopped: for a live view."""
        raw, (loaded, stopped, chunks), leased, left, paused, _ = await self._read()
        return {
            **{name: int(raw.get(name, 0)) for name in _COUNTS},
            "loaded": loaded == "1",
            "stopped": stopped,
            "chunks": int(chunks or 0),
            "chunks_left": int(left),
            "chunks_leased": int(leased),
            "paused_ms": max(0, int(paused)),
        }

    async def _read(self) -> list[Any]:
        """Counters, meta, chunks leased and left, the pause, results stored: at one time."""
        store = self._store

        async def read() -> list[Any]:
            async with store.redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(store.counters)
                pipe.hmget(store.meta, ["loaded", "stopped", "chunks"])
                pipe.zcount(store.todo, 1, "+inf")
                pipe.zcard(store.todo)
                pipe.pttl(store.keys[8])
                pipe.hlen(store.unsent)
                return list(await pipe.execute())

        return list(await store.retry(read))

    async def resume(self, *, resend_unknown: bool = False) -> int:
        """Clear a stop; ``resend_unknown`` (checked as not delivered) queues the unknown
        recipients again. Returns how many."""
        requeued, _ = await self._store.run("RESUME", int(resend_unknown), self.settings.chunk_size)
        return int(requeued)


def watch_period(lease: float) -> float:
    """How often the watcher looks for lapsed chunks: a takeover waits at most lease + this."""
    return min(1.0, lease / 4)


async def lease_and_run(
    store: Store, lease: float, run: RunChunk, which: int, *, wait: bool = True
) -> tuple[str, int]:
    """In a chunk slot, lease chunk ``which`` (or `_ANY` / `_LAPSED`) and run it: (status, ms)."""
    local, token = store.local, secrets.token_hex(8)
    if not await local.take("chunks", wait=wait):
        return "busy", 0
    try:
        status, chunk, ms = await store.run("LEASE", which, token, int(lease * 1000))
        if status != "ok":
            return str(status), int(ms)
        finished = await run(int(chunk), token)
    finally:
        local.forget(token)
        local.slots["chunks"].release()
    return ("finished" if finished else "halted"), 0


async def work(store: Store, lease: float, run: RunChunk, first: int | None) -> bool:
    """`RedisCampaign.run_worker`'s loop, with the watcher alongside."""
    finished = anyio.Event()
    failure: list[Exception] = []  # raised once both ended (no exception group)

    async def watching() -> None:
        try:
            while not finished.is_set():
                with anyio.move_on_after(watch_period(lease)):
                    await finished.wait()
                if not finished.is_set():
                    status, _ = await lease_and_run(store, lease, run, _LAPSED, wait=False)
                    if status in _ENDED:
                        return
        except Exception as exc:
            failure.append(exc)

    status = ""
    async with anyio.create_task_group() as tg:
        tg.start_soon(watching)
        try:
            if first is not None:
                await lease_and_run(store, lease, run, first)
            while True:
                status, wait = await lease_and_run(store, lease, run, _ANY)
                if status in _ENDED:
                    break
                if status in ("busy", "none"):  # all leased by live workers (or still loading)
                    await anyio.sleep(min(max(wait / 1000, 0.05), 1.0))
        except Exception as exc:
            failure.insert(0, exc)
        finally:
            finished.set()
    if failure:
        raise failure[0]
    return status == "done"


async def send_task(task: Any, *args: Any) -> None:
    """Send a queue task: taskiq's ``kiq``, else Celery's ``apply_async`` (in a thread)."""
    if hasattr(task, "kiq"):
        await task.kiq(*args)
    else:
        await anyio.to_thread.run_sync(functools.partial(task.apply_async, args=args))


async def run_chunk_task(
    task: Any,
    factory: ClientFactory | None,
    concurrency: int,
    claims_dir: str | Path | None,
    redis_url: str,
    campaign_id: str,
    index: int,
    hops: int,
) -> bool:
    """A queue task: run the campaign from chunk ``index`` on (a surplus one requeues)."""
    async with await RedisCampaign.open(redis_url, campaign_id) as campaign:
        local = campaign._store.local
        if not await local.take("loops", wait=False):
            if hops:
                await anyio.sleep(min(campaign.settings.lease / 2, _MAX_HOP_WAIT))
            status = await campaign.status()
            if status["stopped"] is None and (status["chunks_left"] or not status["loaded"]):
                await send_task(task, redis_url, campaign_id, index, hops + 1)
            return False
        try:
            from .._client import AsyncVelstack

            async with (factory or AsyncVelstack)() as client:
                return await campaign.run_worker(
                    client, concurrency=concurrency, claims_dir=claims_dir, first=index
                )
        finally:
            local.slots["loops"].release()
