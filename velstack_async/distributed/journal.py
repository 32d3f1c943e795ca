"""`RedisJournal`: the journal of one ``send_bulk`` in Redis instead of an SQLite file.

The same contract as the SQLite journal (`velstack_async._bulk.journal`): a
recipient's row goes queued -> attempting -> sent | failed | unknown, the
attempting mark is durable (``appendfsync always``) before the request, and a
new run turns rows left attempting into unknown. One Redis hash per journal
(key -> ``state:run``), all keys under one ``{hash tag}``; a fencing key
written when the journal is first opened makes every script refuse if Redis
lost its data, so a rerun never resends what Redis forgot it sent.

    report = await client.sms.send_bulk(numbers, message="Hi", sender="SHOP",
                                        journal=RedisJournal("redis://127.0.0.1:6379/0", "id"))
"""

from __future__ import annotations

import secrets

from .._bulk.journal import Row, Verdict
from .._exceptions import InvalidInputError
from ._store import Store

__all__ = ["RedisJournal"]

_HEAD = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('VSFENCED the journal fence is missing: Redis lost its data')
end
"""
#: ARGV: fence, campaign. New run: check the campaign, bump the run, attempting -> unknown.
_OPEN = (
    _HEAD
    + """
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
)
#: ARGV: fence, run, resend unknown (1/0), keys... Returns a Verdict per key.
_CLASSIFY = (
    _HEAD
    + """
local run, resend = ARGV[2], ARGV[3] == '1'
local verdicts = {}
for i = 4, #ARGV do
  local key = ARGV[i]
  local value = redis.call('HGET', KEYS[3], key)
  local verdict = 0
  if not value then
    redis.call('HSET', KEYS[3], key, '0:' .. run)
  else
    local state, seen = string.match(value, '^(%d+):(%d+)$')
    if seen == run then
      verdict = 1
    elseif state == '2' then
      verdict = 2
      redis.call('HSET', KEYS[3], key, state .. ':' .. run)
    elseif state == '4' and not resend then
      verdict = 3
      redis.call('HSET', KEYS[3], key, state .. ':' .. run)
    else
      redis.call('HSET', KEYS[3], key, '0:' .. run)
    end
  end
  verdicts[#verdicts + 1] = verdict
end
return verdicts
"""
)
#: ARGV: fence, run, then (state, key) pairs.
_RECORD = (
    _HEAD
    + """
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i + 1], ARGV[i] .. ':' .. ARGV[2])
end
return 1
"""
)


class RedisJournal:
    """A campaign journal kept in the Redis at ``url`` under ``journal_id``.

    Pass it as ``journal=`` to ``send_bulk`` / ``stream_bulk``. Rerunning the same
    campaign (same message template and sender) with the same id skips what was
    sent; another campaign on the same id is refused.
    """

    durable = True

    def __init__(self, url: str, journal_id: str) -> None:
        self.url = url
        self.journal_id = journal_id
        self._store: Store | None = None
        self._run = 0
        self._resend_unknown = False

    def __repr__(self) -> str:
        return f"RedisJournal({self.journal_id!r})"

    async def open_journal(self, campaign: str, *, resend_unknown: bool) -> RedisJournal:
        """Start a run of ``campaign`` (rows left attempting become unknown); returns self."""
        store = Store(self.url, f"journal:{self.journal_id}")
        keys = store.keys
        try:
            fence = secrets.token_hex(16)
            await store.retry(lambda: store.redis.set(keys[0], fence, nx=True))
            store.fence = await store.retry(lambda: store.redis.get(keys[0]))
            self._store = store
            run = int(str(await self._call(_OPEN, campaign)))
        except BaseException:
            self._store = None
            await store.aclose()
            raise
        if run < 0:
            await self.aclose()
            raise InvalidInputError(
                f"journal {self.journal_id!r} belongs to another campaign (its message template "
                "or sender differ): use a new journal id for a new campaign"
            )
        self._run = run
        self._resend_unknown = resend_unknown
        return self

    async def _call(self, source: str, *args: str | int) -> object:
        store = self._store
        if store is None:
            raise InvalidInputError("the journal is not open")
        script = store.redis.register_script(source)
        argv: list[str | int | float] = [store.fence, *args]
        return await store.retry(lambda: script(keys=store.keys, args=argv))

    async def aclassify(self, keys: list[int]) -> list[Verdict]:
        """Mark ``keys`` seen in this run; say what to do with each (one round trip)."""
        flag = "1" if self._resend_unknown else "0"
        verdicts = await self._call(_CLASSIFY, self._run, flag, *keys)
        assert isinstance(verdicts, list)
        return [Verdict(int(v)) for v in verdicts]

    async def record_many(self, rows: list[tuple[int, str | None, int]]) -> None:
        """Set ``(state, message_id, key)`` rows in one script; returns once Redis has them."""
        args: list[str | int] = []
        for state, _message_id, key in rows:
            args += (int(state), key)
        await self._call(_RECORD, self._run, *args)

    async def record(self, key: int, state: Row, message_id: str | None = None) -> None:
        await self.record_many([(state, message_id, key)])

    async def states(self) -> dict[int, Row]:
        """Every recipient's state (a scan: for tests and inspection)."""
        store = self._store
        if store is None:
            raise InvalidInputError("the journal is not open")
        rows = await store.retry(lambda: store.redis.hgetall(store.keys[2]))
        return {int(key): Row(int(value.split(":")[0])) for key, value in rows.items()}

    def close(self) -> None:
        """Nothing to flush (every record is written before it returns); see `aclose`."""

    async def aclose(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await store.aclose()
