"""A distributed campaign's `BulkReport`, from counters the scripts keep.

Counts come from those counters, but one: the unknown results whose request met a stale
keep-alive connection (``unknown_stale``) are counted by reading the stored results, only
when the campaign has unknown ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from .._bulk.models import BulkReport, BulkResult, BulkStatus
from .._bulk.outcome import STALE
from ._loader import ChunkEntry
from ._store import Store

__all__ = ["build_report", "counters"]

_MICRO = Decimal(1_000_000)
_COUNTS = (
    *("inputs", "queued", "attempting", "sent", "failed", "skipped", "unknown"),
    *("duplicates", "requests", "throttled", "suppressed", "capped", "deferred"),
)


def counters(raw: Mapping[str, str]) -> dict[str, int]:
    """Every counter of the campaign (0 when never touched)."""
    return {name: int(raw.get(name, 0)) for name in _COUNTS}


def _result(raw: str) -> BulkResult:
    data = json.loads(raw)
    entry = ChunkEntry.from_list(data["e"])
    status = BulkStatus(data["s"])
    return BulkResult(entry.recipient, status, reason=data["r"] or None, index=entry.index)


async def build_report(store: Store, keep: int | None) -> BulkReport:
    """The report over every worker; ``keep`` non-sent results at most (None: all)."""
    redis = store.redis
    raw, stopped = await store.retry(lambda: _read(store))
    n = counters(raw)
    unsent: list[BulkResult] = []
    stored = int(await store.retry(lambda: redis.hlen(store.unsent)))
    stale = 0
    # Every stored result is read when there are unknown ones (to count the stale ones),
    # else only the ``keep`` listed.
    if n["unknown"] or keep is None or keep > 0:
        async for _, value in redis.hscan_iter(store.unsent, count=500):
            result = _result(value)
            stale += result.status is BulkStatus.UNKNOWN and result.reason == STALE
            if keep is None or len(unsent) < keep:
                unsent.append(result)
            elif not n["unknown"]:
                break
    unsent.sort(key=lambda result: result.index)
    first, last = float(raw.get("first_ms", 0)), float(raw.get("last_ms", 0))
    elapsed = max(0.0, (last - first) / 1000)
    left = raw.get("credit_left")
    return BulkReport(
        total=n["inputs"],
        sent=n["sent"],
        failed=n["failed"],
        skipped=n["skipped"],
        not_attempted=n["queued"] + n["attempting"] + n["deferred"],
        unknown=n["unknown"],
        credit_used=Decimal(raw.get("credit", 0)) / _MICRO,
        credit_left=None if left is None else Decimal(left) / _MICRO,
        elapsed=elapsed,
        messages_per_second=n["sent"] / elapsed if elapsed > 0 else 0.0,
        stopped_reason=stopped,
        unsent=tuple(unsent),
        unsent_omitted=stored - len(unsent),
        requests=n["requests"],
        throttled=n["throttled"],
        unknown_stale=stale,
        suppressed=n["suppressed"],
        capped=n["capped"],
        deferred=n["deferred"],
    )


async def _read(store: Store) -> tuple[dict[str, str], str | None]:
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hgetall(store.counters)
        pipe.hget(store.meta, "stopped")
        raw, stopped = await pipe.execute()
    return raw, stopped
