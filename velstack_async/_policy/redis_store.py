"""`RedisStore`: a policy store in Redis, shared by every machine using the same server.

Each step is one Lua script (`redis_scripts`), atomic in Redis. The store is
fenced like distributed campaigns: opening it writes a random fencing key if
there is none, every script checks it, and a process whose Redis lost its data
gets `PolicyStoreError` instead of answers from an empty store.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from .._exceptions import PolicyStoreError
from .records import Admission, KeyRecord, KeyState, Suppression, Verdict
from .redis_scripts import (
    ADMIT,
    CLAIM,
    FINISH,
    RELEASE,
    SCREEN,
    SETTLE,
    SUPPRESS,
    SUPPRESSED,
    SUPPRESSIONS,
    UNSUPPRESS,
)
from .store import PolicyStore

__all__ = ["PREFIX", "RedisStore"]

logger = logging.getLogger("velstack_async.policy")

#: Every key of the policy store starts with this (one hash tag: one cluster slot).
PREFIX = "vs:{policy}:"
DAY = 86400
_PASSWORD = re.compile(r"//[^@/]*@")
_SCREENED: dict[str, str | None] = {"s": "suppressed", "c": "capped", "k": None}


class RedisStore(PolicyStore):
    def __init__(self, url: str) -> None:
        try:
            import redis
            from redis.backoff import ExponentialBackoff
            from redis.retry import Retry
        except ImportError:  # pragma: no cover (the distributed extra)
            raise PolicyStoreError(
                "a redis:// policy store needs redis: pip install 'velstack-async[distributed]'"
            ) from None
        self.location = _PASSWORD.sub("//***@", url)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        try:
            self.redis = redis.Redis.from_url(
                url,
                decode_responses=True,
                health_check_interval=5,
                retry=Retry(ExponentialBackoff(cap=2.0), 5),
                retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            )
        except (ValueError, *self._errors) as exc:
            raise PolicyStoreError(f"policy store {self.location}: {exc}") from None
        sources = {
            "admit": ADMIT, "claim": CLAIM, "finish": FINISH, "release": RELEASE,
            "screen": SCREEN, "settle": SETTLE,
            "suppress": SUPPRESS, "suppressed": SUPPRESSED, "suppressions": SUPPRESSIONS,
            "unsuppress": UNSUPPRESS,
        }  # fmt: skip
        self._scripts = {name: self.redis.register_script(src) for name, src in sources.items()}
        self.fence = self._call(self._open_fence)

    def _open_fence(self) -> str:
        key = PREFIX + "fence"
        if self.redis.set(key, uuid.uuid4().hex, nx=True):
            logger.warning("created a new sending-policy store in Redis (%s)", self.location)
        fence = self.redis.get(key)
        assert isinstance(fence, str)
        return fence

    def _call(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except self._errors as exc:
            if "VSFENCED" in str(exc):
                raise PolicyStoreError(
                    f"the policy store in Redis ({self.location}) lost its data (its fencing "
                    "key is missing): refusing to send on an empty suppression list"
                ) from None
            raise PolicyStoreError(f"policy store {self.location}: {exc}") from None

    def _run(self, name: str, keys: Sequence[str], *args: str | float) -> Any:
        script = self._scripts[name]
        argv = [self.fence, *args]
        return self._call(lambda: script(keys=[PREFIX + "fence", *keys], args=argv))

    def add_suppressions(self, entries: Sequence[Suppression]) -> int:
        args: list[str] = []
        for e in entries:
            args += [e.number, json.dumps([e.reason, e.added_at.timestamp()])]
        return int(self._run("suppress", [PREFIX + "suppressions"], *args))

    def remove_suppressions(self, numbers: Sequence[str]) -> int:
        return int(self._run("unsuppress", [PREFIX + "suppressions"], *numbers))

    def suppressed(self, numbers: Sequence[str]) -> set[str]:
        return set(self._run("suppressed", [PREFIX + "suppressions"], *numbers))

    def suppressions(self) -> list[Suppression]:
        flat = self._run("suppressions", [PREFIX + "suppressions"])
        found = []
        for number, value in zip(flat[::2], flat[1::2], strict=True):
            reason, at = json.loads(value)
            found.append(Suppression(number, reason, datetime.fromtimestamp(at, timezone.utc)))
        return sorted(found, key=lambda s: s.number)

    def claim_key(
        self, key: str, fingerprint: str, token: str, now: float, expires: float
    ) -> KeyRecord | None:
        keep = max(int(expires - now), 1) + DAY  # Redis forgets it a day after it expires
        record = self._run(
            "claim", [PREFIX + "k:" + key], fingerprint, token, repr(now), repr(expires), keep
        )
        if record is None:
            return None
        fp, state, owner, started, _expires, *rest = [*record, None][:6]
        return KeyRecord(fp, state, owner, float(started), rest[0] or None)

    def finish_key(self, key: str, token: str, state: KeyState, summary: str | None) -> None:
        self._run("finish", [PREFIX + "k:" + key], token, state, summary or "")

    def admit(self, admission: Admission) -> Verdict:
        a = admission
        limit, window = a.frequency if a.frequency is not None else ("", 0.0)
        reply = self._run(
            "admit",
            [*self._ledger(), *(PREFIX + "f:" + n for n in a.numbers)],
            a.token,
            repr(a.credits),
            repr(a.now),
            "" if a.spend_cap is None else repr(a.spend_cap),
            str(limit),
            repr(window),
            *a.numbers,
        )
        if reply[0] == "suppressed":
            return Verdict(False, suppressed=tuple(sorted(reply[1])))
        if reply[0] == "capped":
            return Verdict(False, capped=tuple(reply[1]))
        if reply[0] == "spend":
            return Verdict(False, spent=float(reply[1]))
        return Verdict.ok()

    def screen(
        self, numbers: Sequence[str], token: str, now: float, frequency: tuple[int, float] | None
    ) -> list[str | None]:
        if not numbers:
            return []
        limit, window = frequency if frequency is not None else ("", 0.0)
        keys = [PREFIX + "suppressions", *(PREFIX + "f:" + n for n in numbers)]
        reply = self._run("screen", keys, token, repr(now), str(limit), repr(window), *numbers)
        return [_SCREENED[v] for v in reply]

    def release(self, token: str, numbers: Sequence[str]) -> None:
        if numbers:
            self._run("release", [PREFIX + "f:" + n for n in numbers], token)

    def settle(self, token: str, numbers: Sequence[str], credits: float | None) -> None:
        keys = [*self._ledger()[1:], *(PREFIX + "f:" + n for n in numbers)]
        self._run("settle", keys, token, "" if credits is None else repr(credits))

    @staticmethod
    def _ledger() -> list[str]:
        return [PREFIX + name for name in ("suppressions", "spend", "spend_credits", "spent")]

    def close(self) -> None:
        self.redis.close()
