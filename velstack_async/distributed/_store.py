"""One campaign's keys in Redis and the calls that run its scripts (retried across outages)."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import anyio.lowlevel
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import _lua
from .errors import CampaignError, CampaignFencedError

__all__ = ["REDIS_OUTAGE", "Store", "keys_of"]

logger = logging.getLogger("velstack_async.distributed")

#: Seconds a worker keeps retrying while Redis is unreachable (a restart) before it gives up.
REDIS_OUTAGE = 60.0
_TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)
_NAMES = ("fence", "meta", "state", "counters", "unsent", "todo", "owners", "rate", "pause")


def keys_of(campaign_id: str) -> list[str]:
    """The campaign's keys, in the order the scripts take them (one hash tag)."""
    if not campaign_id or "}" in campaign_id or "{" in campaign_id:
        raise CampaignError("a campaign id must be non-empty, without { or }")
    tag = f"vs:{{{campaign_id}}}:"
    return [tag + name for name in _NAMES]


class Store:
    """The Redis client, key names and scripts of one campaign, with the fence it opened at."""

    #: Concurrent claims and outcomes share round trips (False: one each; for benchmarks).
    group_calls = True

    def __init__(self, url: str, campaign_id: str, *, client: aioredis.Redis | None = None) -> None:
        self.campaign_id = campaign_id
        self.keys = keys_of(campaign_id)
        self.prefix = self.keys[0].rsplit(":", 1)[0] + ":c:"
        self.redis: aioredis.Redis = client or aioredis.Redis.from_url(
            url, decode_responses=True, health_check_interval=5
        )
        self.fence = ""
        self._scripts: dict[str, Any] = {}
        self._pending: list[_Call] = []
        self._leading = False

    @property
    def meta(self) -> str:
        return self.keys[1]

    @property
    def counters(self) -> str:
        return self.keys[3]

    @property
    def unsent(self) -> str:
        return self.keys[4]

    @property
    def todo(self) -> str:
        return self.keys[5]

    def chunk_key(self, chunk: int) -> str:
        return f"{self.prefix}{chunk}"

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def run(self, name: str, *args: str | int | float) -> Any:
        """Run the script ``name`` (see `_lua`) with ``args`` after the fence and prefix."""
        script = self._script(name)
        argv: list[str | int | float] = [self.fence, self.prefix, *args]
        return await self.retry(lambda: script(keys=self.keys, args=argv))

    async def grouped(self, name: str, *args: str | int | float) -> Any:
        """`run`, but calls made at the same time share one round trip (a pipeline).

        The first caller leads: it lets the others join, sends every pending call, hands
        each its reply, and passes the lead to whoever queued meanwhile.
        """
        if not self.group_calls:
            return await self.run(name, *args)
        call = _Call(name, [self.fence, self.prefix, *args])
        self._pending.append(call)
        if self._leading:
            try:
                await call.event.wait()
            except BaseException:
                self._abandon(call)
                raise
            if not call.lead:
                return call.outcome()
        self._leading = True
        try:
            with anyio.CancelScope(shield=True):
                if not call.lead:
                    await anyio.lowlevel.checkpoint()  # let the concurrent callers join
                group, self._pending = self._pending, []
                await self._flush(group)
        finally:
            self._pass_lead()
        return call.outcome()

    def _abandon(self, call: _Call) -> None:
        if call in self._pending:
            self._pending.remove(call)
        if call.lead:
            self._pass_lead()

    def _pass_lead(self) -> None:
        if self._pending:
            following = self._pending[0]
            following.lead = True
            following.event.set()
        else:
            self._leading = False

    async def _flush(self, group: list[_Call]) -> None:
        try:
            replies = await self.retry(lambda: self._pipeline(group))
        except Exception as exc:
            replies = [exc] * len(group)
        for call, reply in zip(group, replies, strict=True):
            if isinstance(reply, ResponseError) and "VSFENCED" in str(reply):
                reply = CampaignFencedError(
                    f"campaign {self.campaign_id!r}: Redis lost its data (the fencing key "
                    "written at create time is gone); stopping instead of resending"
                )
            call.reply = reply
            call.event.set()

    async def _pipeline(self, group: list[_Call]) -> list[Any]:
        for _ in range(2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for call in group:
                    script = self._script(call.name)
                    pipe.evalsha(script.sha, len(self.keys), *self.keys, *call.args)
                replies: list[Any] = await pipe.execute(raise_on_error=False)
            if not any(isinstance(reply, NoScriptError) for reply in replies):
                return replies
            for name in {call.name for call in group}:  # Redis restarted: load them again
                await self.redis.script_load(getattr(_lua, name))
        return replies

    def _script(self, name: str) -> Any:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.redis.register_script(getattr(_lua, name))
        return script

    async def retry(self, call: Any) -> Any:
        """Await ``call()``; retry while Redis is unreachable (up to `REDIS_OUTAGE` s)."""
        deadline = time.monotonic() + REDIS_OUTAGE
        delay = 0.05
        while True:
            try:
                return await call()
            except ResponseError as exc:
                text = str(exc)
                if "VSFENCED" in text:
                    raise CampaignFencedError(
                        f"campaign {self.campaign_id!r}: Redis lost its data (the fencing key "
                        "written at create time is gone); stopping instead of resending"
                    ) from None
                if "LOADING" not in text:
                    raise
                failure: Exception = exc
            except _TRANSIENT as exc:
                failure = exc
            if time.monotonic() > deadline:
                raise CampaignError(f"Redis unreachable for {REDIS_OUTAGE:.0f} s: {failure}")
            logger.warning("Redis unavailable (%s); retrying", type(failure).__name__)
            await anyio.sleep(delay)
            delay = min(delay * 2, 1.0)


class _Call:
    """A script call waiting for its group's round trip."""

    __slots__ = ("args", "event", "lead", "name", "reply")

    def __init__(self, name: str, args: list[str | int | float]) -> None:
        self.name = name
        self.args = args
        self.event = anyio.Event()
        self.lead = False
        self.reply: Any = None

    def outcome(self) -> Any:
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply
