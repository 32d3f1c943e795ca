"""`RedisCampaign`: one campaign shared by any number of worker processes through Redis.

A producer `create` s the campaign and `load` s its recipients (deduplicated by
normalised number, split into chunks of ``chunk_size``); workers run chunks,
either pulling them (`run_worker`: no queue needed) or as tasks of a queue
(`run_chunk`, then `sweep`; see the ``taskiq`` and ``celery`` modules). Every
chunk is leased with a heartbeat; a chunk whose lease lapsed (its worker died)
is taken over by a live worker within the lease plus `_worker.watch_period`
(see `_worker`). Exactly-once comes from per-recipient claims in Redis (see
`_lua`) and a claim log per worker machine (`_claims`), never from the queue.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from .. import _validation as check
from .._bulk.models import BulkReport
from .._policy.limits import Category, Clock
from ._loader import load
from ._process import Local
from ._report import build_report, counters
from ._sending_policy import PolicySpec
from ._settings import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE, Settings
from ._store import Store
from ._worker import lease_and_run, work
from .chunk_source import ChunkRun, SmsClient
from .errors import CampaignError

if TYPE_CHECKING:
    from .._policy.policy import SendingPolicy

__all__ = ["DEFAULT_CONCURRENCY", "RedisCampaign"]

#: Batches in flight at once in one worker process, by default.
DEFAULT_CONCURRENCY = 16


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
        self.url = url
        self._store = store
        self.settings = settings
        #: The sending policy this process applies (rebuilt from the settings by `open`).
        self.policy = policy
        self._owns_policy = owns_policy

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

        ``rate_limit`` is messages and ``request_rate_limit`` requests per second across
        every worker; ``batch_size`` recipients of the same text go in one request;
        ``chunk_size`` recipients make one unit of work (one queue task); ``lease`` is how
        long a chunk stays with a worker that stopped heartbeating.

        ``policy``: a `SendingPolicy` every worker applies (suppressions, frequency cap,
        send window, daily spend cap); its store must be reachable by every worker: a
        ``redis://`` URL (a SQLite path only serves workers on this machine: a warning).
        ``max_credits`` caps the credits of the whole campaign, across every worker.
        ``category`` and ``wait_for_window`` as for ``send_bulk``.
        """
        spec = None if policy is None else PolicySpec.of(policy, url)
        settings = Settings.create(
            chunk_size=chunk_size,
            lease=lease,
            message=message,
            sender=sender,
            title=title,
            rate_limit=rate_limit,
            request_rate_limit=request_rate_limit,
            batch_size=batch_size,
            region=region or "GH",
            allow_blank_fields=allow_blank_fields,
            keep_unsent=0,
            policy=spec,
            category=category,
            max_credits=max_credits,
            wait_for_window=wait_for_window,
        )
        store = Store(url, campaign_id)
        try:
            fence = secrets.token_hex(16)
            if not await store.retry(lambda: store.redis.set(store.keys[0], fence, nx=True)):
                raise CampaignError(f"campaign {campaign_id!r} already exists in this Redis")
            store.fence = fence
            meta: dict[Any, Any] = settings.to_meta()
            await store.retry(lambda: store.redis.hset(store.meta, mapping=meta))
        except BaseException:
            await store.aclose()
            raise
        return cls(url, store, settings, policy)

    @classmethod
    async def open(cls, url: str, campaign_id: str, *, clock: Clock | None = None) -> RedisCampaign:
        """Open an existing campaign (`CampaignError` if Redis has no such campaign).

        A campaign created with a policy gets it back, its store opened in this process.
        ``clock`` (tests): the policy's clock here (default: the system's UTC time).
        """
        store = Store(url, campaign_id)
        try:
            fence = await store.retry(lambda: store.redis.get(store.keys[0]))
            meta = await store.retry(lambda: store.redis.hgetall(store.meta))
            if fence is None or "sender" not in meta:
                raise CampaignError(
                    f"no campaign {campaign_id!r} in this Redis (never created, deleted, or "
                    "Redis lost its data)"
                )
            store.fence = fence
            settings = Settings.from_meta(meta)
            spec = settings.policy
            policy = None if spec is None else spec.build(url, clock)
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

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def load(self, recipients: object) -> int:
        """Add the recipients (iterable or async iterable of str | BulkMessage); the producer.

        Call it once per campaign; if the producer was interrupted, call it again with the
        same input: what was already loaded is skipped. Returns the number of inputs.
        """
        settings = self.settings
        return await load(self._store, settings.options, settings.chunk_size, recipients)

    async def run_worker(
        self,
        client: SmsClient,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        claims_dir: str | Path | None = None,
        first: int | None = None,
    ) -> bool:
        """Run chunks (``first`` if given, then free or lapsed ones) until the campaign is
        finished (True) or stopped (False), taking over dead workers' chunks meanwhile.

        ``concurrency`` is the batches in flight in this process (all its chunks and
        tasks together): one killed process leaves at most ``concurrency x batch_size``
        recipients unknown. ``claims_dir`` keeps this machine's claim log (default
        ``$VELSTACK_CLAIMS_DIR`` or ``~/.local/state/velstack/claims``).
        """
        run = self._attach(client, concurrency, claims_dir)
        return await work(self._store, self.settings.lease, run, first)

    @property
    def _local(self) -> Local:
        """What this process's calls of the campaign share (claim budget, chunk slots)."""
        return self._store.local

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
        local = self._store.local
        await local.take_chunk(wait=True)
        try:
            status, _ = await lease_and_run(self._store, self.settings.lease, run, index)
        finally:
            local.give_chunk()
        return status in ("finished", "done")

    async def sweep(
        self,
        client: SmsClient,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        claims_dir: str | Path | None = None,
    ) -> bool:
        """`run_worker` without a first chunk: kept for code written against 0.x."""
        return await self.run_worker(client, concurrency=concurrency, claims_dir=claims_dir)

    def _attach(self, client: SmsClient, concurrency: int, claims_dir: str | Path | None) -> Any:
        """This process's claim log and budget; the function that runs one leased chunk."""
        check.count("concurrency", concurrency, 1)
        budget = concurrency * self.settings.options.batch_size
        self._store.local.attach(None if claims_dir is None else Path(claims_dir), budget)
        store, settings, policy = self._store, self.settings, self.policy

        async def run(chunk: int, token: str) -> bool:
            chunk_run = ChunkRun(store, settings, client, chunk, token, concurrency, policy)
            return await chunk_run.run()

        return run

    async def chunks(self) -> list[int]:
        """The chunks not finished yet."""
        store = self._store
        return [int(c) for c in await store.retry(lambda: store.redis.zrange(store.todo, 0, -1))]

    async def enqueue(self, task: Any) -> int:
        """Send every unfinished chunk to ``task`` (from ``taskiq.register`` or
        ``celery.register``); returns how many were sent. Call it after `load` (chunks are
        queued as they fill), and again after restarting a whole fleet: a finished chunk's
        task does nothing."""
        chunks = await self.chunks()
        for chunk in chunks:
            args = (self.url, self.id, chunk)
            if hasattr(task, "kiq"):
                await task.kiq(*args)
            else:
                await anyio.to_thread.run_sync(_apply_async, task, args)
        return len(chunks)

    async def report(self, *, keep_unsent: int | None = 1000) -> BulkReport:
        """The `BulkReport` over every worker (counts exact; ``keep_unsent`` results listed)."""
        return await build_report(self._store, keep_unsent)

    async def status(self) -> dict[str, Any]:
        """Counters, chunks left and leased, loaded and stopped: for a live view."""
        store, redis = self._store, self._store.redis
        raw = await store.retry(lambda: redis.hgetall(store.counters))
        meta = await store.retry(lambda: redis.hmget(store.meta, ["loaded", "stopped", "chunks"]))
        leased = await store.retry(lambda: redis.zcount(store.todo, 1, "+inf"))
        left = await store.retry(lambda: redis.zcard(store.todo))
        paused = await store.retry(lambda: redis.pttl(store.keys[8]))
        return {
            **counters(raw),
            "loaded": meta[0] == "1",
            "stopped": meta[1],
            "chunks": int(meta[2] or 0),
            "chunks_left": int(left),
            "chunks_leased": int(leased),
            "paused_ms": max(0, int(paused)),
        }

    async def resume(self, *, resend_unknown: bool = False) -> int:
        """Clear a stop; with ``resend_unknown`` the unknown recipients go back to the queue
        (once an operator checked they were not delivered). Returns how many were requeued;
        run workers (or `enqueue`) again afterwards."""
        flag = "1" if resend_unknown else "0"
        requeued, _ = await self._store.run("RESUME", flag, self.settings.chunk_size)
        return int(requeued)


def _apply_async(task: Any, args: tuple[str, str, int]) -> None:
    task.apply_async(args=args)
