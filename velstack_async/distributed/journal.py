"""`RedisJournal`: the SQLite journal's contract (`_bulk.journal`) in one Redis hash (key
-> ``state:run``): attempting is durable before the request, a new run turns it unknown;
fenced, so a Redis that lost its data refuses and a rerun never resends what it forgot.
"""

from __future__ import annotations

import json
from typing import Any

from .._bulk.journal import Row, Verdict, earlier_verdict
from .._exceptions import InvalidInputError
from .._policy.redis_scripts import fence_guard
from ._store import Store

__all__ = ["RedisJournal"]

_HEAD = fence_guard("journal")
#: ARGV: fence, campaign. New run: check the campaign, bump the run, attempting -> unknown.
_OPEN = f"""{_HEAD}
local campaign = redis.call('HGET', KEYS[2], 'campaign')
if campaign and campaign ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[2], 'campaign', ARGV[2])
local run = redis.call('HINCRBY', KEYS[2], 'run', 1)
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[3], cursor, 'COUNT', 1000)
  cursor = page[1]
  for i = 1, #page[2], 2 do
    local value = page[2][i + 1]
    if string.sub(value, 1, 2) == '1:' then
      redis.call('HSET', KEYS[3], page[2][i], '4:' .. string.sub(value, 3))
    end
  end
until cursor == '0'
return run
"""
#: ARGV: fence, run, {state: verdict} kept from earlier runs (JSON; others: NEW), keys...
_CLASSIFY = f"""{_HEAD}
local run, kept, verdicts = ARGV[2], cjson.decode(ARGV[3]), {{}}
for i = 4, #ARGV do
  local value = redis.call('HGET', KEYS[3], ARGV[i])
  local state, seen = '0', nil
  if value then state, seen = string.match(value, '^(%d+):(%d+)$') end
  local verdict = 1
  if seen ~= run then
    verdict = kept[state] or 0
    if verdict == 0 then state = '0' end
    redis.call('HSET', KEYS[3], ARGV[i], state .. ':' .. run)
  end
  verdicts[#verdicts + 1] = verdict
end
return verdicts
"""
#: ARGV: fence, run, then (state, key) pairs.
_RECORD = f"""{_HEAD}
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i + 1], ARGV[i] .. ':' .. ARGV[2]) end
return 1
"""


class RedisJournal:
    """A campaign journal in the Redis at ``url`` under ``journal_id``, for ``journal=`` of
    ``send_bulk`` / ``stream_bulk``: a rerun skips what was sent; another campaign is refused.
    """

    durable = True

    def __init__(self, url: str, journal_id: str) -> None:
        self.url, self.journal_id, self._run, self._kept = url, journal_id, 0, "{}"
        self._store: Store | None = None

    def __repr__(self) -> str:
        return f"RedisJournal({self.journal_id!r})"

    async def open_journal(self, campaign: str, *, resend_unknown: bool) -> RedisJournal:
        """Start a run of ``campaign`` (rows left attempting become unknown); returns self."""
        self._store = await Store.opened(self.url, f"journal:{self.journal_id}", create=None)
        try:
            if (run := int(await self._call(_OPEN, campaign))) < 0:
                raise InvalidInputError(
                    f"journal {self.journal_id!r} belongs to another campaign (its message "
                    "template or sender differ): use a new journal id for a new campaign"
                )
        except BaseException:
            await self.aclose()
            raise
        self._run = run
        kept = {row: earlier_verdict(row, resend_unknown) for row in Row}
        self._kept = json.dumps({str(int(r)): int(v) for r, v in kept.items() if v})
        return self

    def _open(self) -> Store:
        if self._store is None:
            raise InvalidInputError("the journal is not open")
        return self._store

    async def _call(self, source: str, *args: str | int) -> Any:
        store = self._open()
        script = store.redis.register_script(source)
        return await store.retry(lambda: script(keys=store.keys, args=[store.fence, *args]))

    async def aclassify(self, keys: list[int]) -> list[Verdict]:
        """Mark ``keys`` seen in this run; say what to do with each (one round trip)."""
        return [Verdict(int(v)) for v in await self._call(_CLASSIFY, self._run, self._kept, *keys)]

    async def record_many(self, rows: list[tuple[int, str | None, int]]) -> None:
        """Set ``(state, message_id, key)`` rows in one script; returns once Redis has them."""
        await self._call(_RECORD, self._run, *(v for s, _, k in rows for v in (int(s), k)))

    async def states(self) -> dict[int, Row]:
        """Every recipient's state (a scan: for tests and inspection)."""
        store = self._open()
        rows = await store.retry(lambda: store.redis.hgetall(store.keys[2]))
        return {int(key): Row(int(value.split(":")[0])) for key, value in rows.items()}

    def close(self) -> None:
        """Nothing to flush (every record is written before it returns); see `aclose`."""

    async def aclose(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await store.aclose()
