"""One campaign's keys and `Store.run`, which runs its scripts (retried across outages)
with the epoch this process saw; a claim waits for room in the claim budget and is fsynced
in the claim log before it returns; on a rollback the claim logs are filed (``RESTORE``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import _lua
from ._process import Local, local_state
from .errors import CampaignError, CampaignFencedError, CampaignRolledBackError

__all__ = ["REDIS_OUTAGE", "Store", "keys_of"]

logger = logging.getLogger("velstack_async.distributed")

#: Seconds a worker keeps retrying while Redis is unreachable (a restart) before it gives up.
REDIS_OUTAGE = 60.0
_TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)
_RESTORE_GROUP = 500
_NAMES = ("fence", "meta", "state", "counters", "unsent", "todo", "owners", "rate", "pause")


def keys_of(campaign_id: str) -> list[str]:
    """The campaign's keys, in the order the scripts take them (one hash tag)."""
    if not campaign_id or "}" in campaign_id or "{" in campaign_id:
        raise CampaignError("a campaign id must be non-empty, without { or }")
    return [f"vs:{{{campaign_id}}}:{name}" for name in _NAMES]


class Store:
    """The Redis client, key names and scripts of one campaign, with the fence it opened at."""

    #: Concurrent `run` calls with ``group=True`` share round trips (False: for benchmarks).
    group_calls = True

    def __init__(self, url: str, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        self.keys = keys_of(campaign_id)
        _, self.meta, self.state, self.counters, self.unsent, self.todo, *_ = self.keys
        self.prefix = self.keys[0].rsplit(":", 1)[0] + ":c:"
        self.redis = aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=5)
        self.fence = ""
        self.local: Local  # what this process's calls share (see `_process`), once opened
        self._pending: list[_Call] = []
        self._sending: anyio.Event | None = None  # set when the round trip under way ends

    @classmethod
    async def opened(
        cls, url: str, campaign_id: str, *, create: bool | None, meta: Any = None
    ) -> Store:
        """The store with its fence: ``create`` True writes one (and ``meta``), False reads."""
        store = cls(url, campaign_id)
        redis, key = store.redis, store.keys[0]
        try:
            if create is not False:
                made = await store.retry(lambda: redis.set(key, secrets.token_hex(16), nx=True))
                if create and not made:
                    raise CampaignError(f"campaign {campaign_id!r} already exists in this Redis")
            store.fence = await store.retry(lambda: redis.get(key)) or ""
            if not store.fence:
                raise CampaignError(
                    f"no campaign {campaign_id!r} in this Redis (never created, deleted, or "
                    "Redis lost its data)"
                )
            if meta:
                await store.retry(lambda: redis.hset(store.meta, mapping=meta))
            store.local = local_state(campaign_id, store.fence)
        except BaseException:
            await store.aclose()
            raise
        return store

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def run(self, name: str, *args: str | int | float, group: bool = False) -> Any:
        """Run the script ``name`` (`_lua`); ``group``: concurrent calls share a round trip."""
        local, claims = self.local, name == "TAKE"  # args: n, 2 intervals, token, pairs
        keys = [str(key) for key in args[4::2]] if claims else []
        reserved = await local.reserve(keys, str(args[3])) if claims else []
        call = _Call(name, [f"{self.fence} {local.seen} {local.life}", self.prefix, *args])
        try:
            await (self._grouped(call) if group and self.group_calls else self._send([call]))
            if isinstance(call.reply, BaseException):
                raise call.reply
            epoch, life, *rest = call.reply
        except BaseException as exc:
            local.release(reserved)
            if isinstance(exc, CampaignRolledBackError):
                await self.file_claims(exc)
            raise
        local.see(int(epoch), str(life))
        result: Any = rest[0] if rest else None
        if claims and int(result[0]) != 2:  # nothing claimed
            local.release(reserved)
        elif claims:
            mine = [(keys[int(i) - 1], str(args[2 * int(i) + 3])) for i in result[2:]]
            await anyio.to_thread.run_sync(local.attach(None, 0).append, int(epoch), life, mine)
            local.release(sorted(set(keys) - {key for key, _ in mine}))
        elif name == "OUTCOME":
            local.release([str(key) for key in args[5::3]])
        return result

    async def file_claims(self, rollback: CampaignRolledBackError) -> int:
        """After a rollback (once per process): logged claims Redis lacks become unknown."""
        if not (local := self.local).first_to_file(rollback.epoch):
            return 0
        log = local.attach(None, 0)  # the default directory unless attached
        claims, paths = await anyio.to_thread.run_sync(log.read)
        pairs = list({key: entry for *_, key, entry in claims}.items())
        filed = 0
        for start in range(0, len(pairs), _RESTORE_GROUP):
            flat = [item for pair in pairs[start : start + _RESTORE_GROUP] for item in pair]
            filed += int(await self.run("RESTORE", *flat))
        await anyio.to_thread.run_sync(log.filed, paths)
        logger.error(
            "campaign %r: Redis rolled back (it is at epoch %d, this process had seen %d); "
            "%d claims it lost are now unknown",
            *(self.campaign_id, rollback.epoch, local.seen, filed),
        )
        local.see(rollback.epoch, rollback.life, adopt=True)
        return filed

    async def _grouped(self, call: _Call) -> None:
        """One caller sends every pending call; the others wait for it, then their turn."""
        self._pending.append(call)
        try:
            while not call.sent:
                if self._sending is not None:
                    await self._sending.wait()
                    continue
                sending = self._sending = anyio.Event()
                try:
                    with anyio.CancelScope(shield=True):
                        await anyio.lowlevel.checkpoint()  # let the concurrent callers join
                        group, self._pending = self._pending, []
                        await self._send(group)
                finally:
                    self._sending = None
                    sending.set()
        except BaseException:
            if call in self._pending:
                self._pending.remove(call)
            raise

    async def _send(self, calls: list[_Call]) -> None:
        """One round trip (retried); each call gets its reply or campaign error."""
        try:
            replies = await self.retry(lambda: self._pipeline(calls))
        except Exception as exc:
            replies = [exc] * len(calls)
        for call, reply in zip(calls, replies, strict=True):
            if isinstance(reply, ResponseError):
                reply = self._refusal(reply) or reply
            call.reply, call.sent = reply, True

    async def _pipeline(self, calls: list[_Call]) -> list[Any]:
        for _ in range(2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for call in calls:
                    pipe.evalsha(_sha(call.name), len(self.keys), *self.keys, *call.args)
                replies: list[Any] = await pipe.execute(raise_on_error=False)
            for reply in replies:
                if isinstance(reply, ResponseError) and "LOADING" in str(reply):
                    raise reply  # scripts are safe to run again: `retry` sends them all
            if not any(isinstance(reply, NoScriptError) for reply in replies):
                return replies
            for name in {call.name for call in calls}:  # Redis restarted: load them again
                await self.redis.script_load(getattr(_lua, name))
        return replies

    async def retry(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Await ``call()``; retry while Redis is unreachable (up to `REDIS_OUTAGE` s)."""
        deadline, delay = time.monotonic() + REDIS_OUTAGE, 0.05
        while True:
            try:
                return await call()
            except ResponseError as exc:
                refusal = self._refusal(exc)
                if refusal is not None:
                    raise refusal from None
                if "LOADING" not in str(exc):
                    raise
                failure: Exception = exc
            except _TRANSIENT as exc:
                failure = exc
            if time.monotonic() > deadline:
                raise CampaignError(f"Redis unreachable for {REDIS_OUTAGE:.0f} s: {failure}")
            logger.warning("Redis unavailable (%s); retrying", type(failure).__name__)
            await anyio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _refusal(self, exc: ResponseError) -> CampaignError | None:
        """The campaign error a script's refusal means (None: not a refusal)."""
        text = str(exc)
        if "VSFENCED" in text:
            return CampaignFencedError(
                f"campaign {self.campaign_id!r}: Redis lost its data (the fencing key "
                "written at create time is gone); stopping instead of resending"
            )
        if "VSROLLBACK" in text:
            words = text.split("VSROLLBACK ", 1)[1].split()  # epoch E life L seen S
            return CampaignRolledBackError(
                f"campaign {self.campaign_id!r}: {_lua.ROLLED_BACK} (Redis at epoch "
                f"{words[1]}, a worker had seen {words[5]}); stopped: check the unknown "
                "ones, then resume(resend_unknown=...)",
                epoch=int(words[1]),
                life=words[3],
            )
        return None


@functools.cache
def _sha(name: str) -> str:
    return hashlib.sha1(getattr(_lua, name).encode()).hexdigest()  # how Redis names it


@attrs.define(eq=False)
class _Call:
    name: str
    args: list[str | int | float]
    reply: Any = None
    sent: bool = False
