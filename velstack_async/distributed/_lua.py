"""The Lua scripts that keep a distributed campaign exactly-once (run atomically by Redis).

Every script first checks the campaign's fencing key against the value the
caller read when it opened the campaign: a Redis that lost its data (restart
without persistence, failover to a replica that missed writes) has no such key,
so the script refuses (``VSFENCED``) and the worker stops instead of resending.

Every write that matters (a claim, an outcome, a lease, a load) advances the
campaign's epoch (``meta.epoch``); every reply carries it (``{epoch, result}``)
and the caller sends the highest epoch its process has seen (``ARGV[1]`` is
``"<fence> <seen>"``). A Redis that came back with fewer writes than a worker saw
(an older snapshot or AOF, a promoted replica that missed writes) has a lower
epoch: the script marks the campaign rolled back and stopped, and refuses
(``VSROLLBACK``) every call but `RESTORE` (workers file their local claim logs as
unknown) and `RESUME`. Times come from Redis ``TIME``, so worker clocks never matter.

KEYS (all share one ``{hash tag}``, Redis Cluster safe):
1 fence, 2 meta (hash), 3 state (hash: key -> q | a:<token> | s | f | u),
4 counters (hash), 5 unsent (hash: key -> JSON result), 6 todo (zset: chunk ->
lease expiry in ms, 0 = free), 7 owners (hash: chunk -> token), 8 rate (hash),
9 pause (string with a TTL). ARGV[1] is the fence and seen epoch; ARGV[2] the chunk
key prefix.
"""

from __future__ import annotations

from ._lua_head import HEAD as _HEAD
from ._lua_head import LOST_CLAIM, ROLLED_BACK
from ._lua_head import UNCHECKED as _UNCHECKED
from ._lua_head import script as _script
from ._lua_policy import BUDGET, SPEND, VERDICT

__all__ = ["CLAIM", "COMPLETE", "FINISH_LOAD", "HEARTBEAT", "LEASE", "LOAD", "OUTCOME"]
__all__ += ["PAUSE", "RESTORE", "RESUME", "ROLLED_BACK", "STOP", "TAKE"]
__all__ += ["BUDGET", "SPEND", "VERDICT"]

#: ARGV: fence, prefix, position of the first item, chunk size, then (kind, key, payload)
#: triples. kind n: a recipient (payload: its chunk entry); s / f: a ready result (payload:
#: JSON, key: a unique id). Returns the new load position, or -1 and the real one if the
#: caller is not where the campaign's load is (another producer, a restarted one).
LOAD = _script(
    _HEAD,
    """
local pos = tonumber(ARGV[3])
local size = tonumber(ARGV[4])
local upto = tonumber(redis.call('HGET', KEYS[2], 'loaded_upto') or '0')
if upto ~= pos or redis.call('HGET', KEYS[2], 'loaded') == '1' then return {-1, upto} end
local chunk = tonumber(redis.call('HGET', KEYS[2], 'chunk') or '0')
local fill = tonumber(redis.call('HGET', KEYS[2], 'fill') or '0')
local n = 0
local queued, skipped, dupes, failed = 0, 0, 0, 0
for i = 5, #ARGV, 3 do
  local kind, key, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  n = n + 1
  if kind == 'n' then
    if redis.call('HSETNX', KEYS[3], key, 'q') == 1 then
      redis.call('RPUSH', prefix .. chunk, payload)
      queued = queued + 1
      fill = fill + 1
      if fill >= size then
        close_chunk(chunk)
        chunk, fill = chunk + 1, 0
      end
    else
      dupes = dupes + 1
      skipped = skipped + 1
      redis.call('HSET', KEYS[5], 'd' .. (pos + n - 1),
        cjson.encode({s = 'skipped', r = 'duplicate', e = cjson.decode(payload)}))
    end
  else
    if kind == 's' then skipped = skipped + 1 else failed = failed + 1 end
    redis.call('HSET', KEYS[5], key, payload)
  end
end
redis.call('HSET', KEYS[2], 'fill', fill, 'loaded_upto', pos + n)
redis.call('HINCRBY', KEYS[4], 'inputs', n)
redis.call('HINCRBY', KEYS[4], 'queued', queued)
redis.call('HINCRBY', KEYS[4], 'skipped', skipped)
redis.call('HINCRBY', KEYS[4], 'duplicates', dupes)
redis.call('HINCRBY', KEYS[4], 'failed', failed)
advance()
return {pos + n, upto}
""",
)

#: ARGV: fence, prefix. Closes the last partial chunk and marks the load finished.
FINISH_LOAD = _script(
    _HEAD,
    """
if redis.call('HGET', KEYS[2], 'loaded') ~= '1' then
  local fill = tonumber(redis.call('HGET', KEYS[2], 'fill') or '0')
  if fill > 0 then close_chunk(tonumber(redis.call('HGET', KEYS[2], 'chunk') or '0')) end
  redis.call('HSET', KEYS[2], 'loaded', '1')
  advance()
end
return tonumber(redis.call('HGET', KEYS[2], 'chunks') or '0')
""",
)

#: ARGV: fence, prefix, chunk (-1: any free or lapsed, -2: only lapsed), token, lease ms.
#: Returns {status, chunk, wait ms}: ok | done | busy | none | stopped.
LEASE = _script(
    _HEAD,
    """
if redis.call('HGET', KEYS[2], 'stopped') then return {'stopped', -1, 0} end
local chunk = tonumber(ARGV[3])
local token, lease = ARGV[4], tonumber(ARGV[5])
if chunk < 0 then
  local low = '-inf'
  if chunk == -2 then low = '1' end
  local found = redis.call('ZRANGEBYSCORE', KEYS[6], low, now, 'LIMIT', 0, 1)
  if #found == 0 then
    local first = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
    local loaded = redis.call('HGET', KEYS[2], 'loaded') == '1'
    if #first == 0 and loaded then return {'done', -1, 0} end
    local wait = 1000
    if #first > 0 and tonumber(first[2]) == 0 then wait = -1 end
    if #first > 0 and tonumber(first[2]) > 0 then wait = math.max(0, tonumber(first[2]) - now) end
    return {'none', -1, math.floor(wait)}
  end
  chunk = tonumber(found[1])
else
  local score = redis.call('ZSCORE', KEYS[6], chunk)
  if not score then return {'done', chunk, 0} end
  score = tonumber(score)
  if score > now and redis.call('HGET', KEYS[7], chunk) ~= token then
    return {'busy', chunk, math.floor(score - now)}
  end
end
redis.call('ZADD', KEYS[6], now + lease, chunk)
redis.call('HSET', KEYS[7], chunk, token)
advance()
return {'ok', chunk, 0}
""",
)

#: ARGV: fence, prefix, chunk, token, lease ms. 1 if the lease was extended, 0 if lost.
HEARTBEAT = _script(
    _HEAD,
    """
if redis.call('HGET', KEYS[7], ARGV[3]) ~= ARGV[4] then return 0 end
if not redis.call('ZSCORE', KEYS[6], ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[5]), ARGV[3])
return 1
""",
)

#: ARGV: fence, prefix, chunk, token. Removes a finished chunk (only by its lease owner).
COMPLETE = _script(
    _HEAD,
    """
if redis.call('HGET', KEYS[7], ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('ZREM', KEYS[6], ARGV[3])
redis.call('HDEL', KEYS[7], ARGV[3])
redis.call('DEL', prefix .. ARGV[3])
advance()
return 1
""",
)

_CLAIM = """
local function claim(token, first)
  local mine = 'a:' .. token
  local claimed = {}
  local got, lost = 0, 0
  for i = first, #ARGV, 2 do
    local key = ARGV[i]
    local state = redis.call('HGET', KEYS[3], key)
    if state == 'q' or state == mine then
      if state == 'q' then got = got + 1 end
      redis.call('HSET', KEYS[3], key, mine)
      claimed[#claimed + 1] = (i - first) / 2 + 1
    elseif state and string.sub(state, 1, 2) == 'a:' then
      redis.call('HSET', KEYS[3], key, 'u')
      local result = {s = 'unknown', r = 'claimed by a worker that was lost',
                      e = cjson.decode(ARGV[i + 1])}
      redis.call('HSET', KEYS[5], key, cjson.encode(result))
      lost = lost + 1
    end
  end
  if got > 0 then
    redis.call('HINCRBY', KEYS[4], 'queued', -got)
    redis.call('HINCRBY', KEYS[4], 'attempting', got)
  end
  if lost > 0 then
    redis.call('HINCRBY', KEYS[4], 'attempting', -lost)
    redis.call('HINCRBY', KEYS[4], 'unknown', lost)
  end
  if got > 0 or lost > 0 then advance() end
  return claimed
end
"""

#: ARGV: fence, prefix, messages, message interval ms, request interval ms, token, then
#: (key, chunk entry JSON) pairs. The pause gate, then a rate slot booked on Redis time,
#: then (if the slot is now) the claim of every recipient: queued -> a:<token>; one still
#: claimed by another token (a run whose lease lapsed) becomes unknown. Returns {kind, wait
#: ms, positions claimed...}: kind 2 = claimed now, 0 = slot booked for later (claim with
#: CLAIM after the wait), 1 = paused (ask again after the wait), -1 = stopped.
TAKE = _script(
    _HEAD + _CLAIM,
    """
if redis.call('HGET', KEYS[2], 'stopped') then return {-1, 0} end
local paused = redis.call('PTTL', KEYS[9])
if paused > 0 then return {1, paused} end
local n = tonumber(ARGV[3])
local mi, ri = tonumber(ARGV[4]), tonumber(ARGV[5])
local slot = now
if mi > 0 or ri > 0 then
  local tm = tonumber(redis.call('HGET', KEYS[8], 'm') or '0')
  local tr = tonumber(redis.call('HGET', KEYS[8], 'r') or '0')
  if mi > 0 and tm > slot then slot = tm end
  if ri > 0 and tr > slot then slot = tr end
  if mi > 0 then redis.call('HSET', KEYS[8], 'm', tostring(slot + n * mi)) end
  if ri > 0 then redis.call('HSET', KEYS[8], 'r', tostring(slot + ri)) end
end
local wait = math.floor(slot - now)
if wait > 0 then return {0, wait} end
local claimed = claim(ARGV[6], 7)
table.insert(claimed, 1, 0)
table.insert(claimed, 1, 2)
return claimed
""",
)

#: ARGV: fence, prefix, token, then (key, chunk entry JSON) pairs: the claim alone, once
#: the slot TAKE booked has come. Returns the 1-based positions claimed.
CLAIM = _script(
    _HEAD + _CLAIM,
    """
return claim(ARGV[3], 4)
""",
)

#: ARGV: fence, prefix, token, outcome id, requests, credit used (micro), credit left (micro
#: or ''), then (key, state, result JSON or '') triples with state s | f | u | q (q:
#: released, certainly not sent). Applied only where the claim is still this token's; an
#: outcome id seen before is ignored (a retry after a lost reply counts nothing twice).
OUTCOME = _script(
    _HEAD,
    """
if not redis.call('SET', prefix .. 'o:' .. ARGV[4], '1', 'NX', 'PX', 86400000) then
  return 0
end
local mine = 'a:' .. ARGV[3]
local names = {s = 'sent', f = 'failed', u = 'unknown', q = 'queued'}
local applied = 0
for i = 8, #ARGV, 3 do
  local key, state, result = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', KEYS[3], key) == mine then
    redis.call('HSET', KEYS[3], key, state)
    redis.call('HINCRBY', KEYS[4], 'attempting', -1)
    redis.call('HINCRBY', KEYS[4], names[state], 1)
    if result ~= '' then redis.call('HSET', KEYS[5], key, result) end
    applied = applied + 1
  end
end
local requests = tonumber(ARGV[5])
if requests > 0 then
  redis.call('HINCRBY', KEYS[4], 'requests', requests)
  redis.call('HINCRBY', KEYS[4], 'credit', ARGV[6])
  if ARGV[7] ~= '' then
    local left = redis.call('HGET', KEYS[4], 'credit_left')
    if not left or tonumber(ARGV[7]) < tonumber(left) then
      redis.call('HSET', KEYS[4], 'credit_left', ARGV[7])
    end
  end
  if not redis.call('HGET', KEYS[4], 'first_ms') then
    redis.call('HSET', KEYS[4], 'first_ms', tostring(now))
  end
  redis.call('HSET', KEYS[4], 'last_ms', tostring(now))
end
if applied > 0 or requests > 0 then advance() end
return applied
""",
)

#: ARGV: fence, prefix, pause ms. Pauses every worker (a 429 anywhere); never shortens.
PAUSE = _script(
    _HEAD,
    """
redis.call('HINCRBY', KEYS[4], 'throttled', 1)
local ms = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[9]) < ms then redis.call('SET', KEYS[9], '1', 'PX', ms) end
return 1
""",
)

#: ARGV: fence, prefix, reason. Stops the campaign (kept: the first reason).
STOP = _script(
    _HEAD,
    """
redis.call('HSETNX', KEYS[2], 'stopped', ARGV[3])
return 1
""",
)

#: ARGV: fence, prefix, resend unknown (1/0), chunk size. Clears the stop (and a rollback);
#: the deferred recipients (outside their send window) and, with resend, the unknown ones
#: go back to queued in new chunks. Returns {requeued, chunks}.
RESUME = _script(
    _UNCHECKED,
    """
if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 1 then
  -- every epoch a worker reported since is now behind: they run again
  epoch = math.max(epoch, tonumber(redis.call('HGET', KEYS[2], 'seen_max') or '0'))
  redis.call('HSET', KEYS[2], 'epoch', epoch)
  redis.call('HDEL', KEYS[2], 'rolled_back')
  advance()
end
redis.call('HDEL', KEYS[2], 'stopped')
local requeued, deferred = 0, 0
local resend = ARGV[3] == '1'
if resend or tonumber(redis.call('HGET', KEYS[4], 'deferred') or '0') > 0 then
  local size = tonumber(ARGV[4])
  local chunk = tonumber(redis.call('HGET', KEYS[2], 'chunk') or '0')
  local fill = 0
  local cursor = '0'
  repeat
    local page = redis.call('HSCAN', KEYS[5], cursor, 'COUNT', 500)
    cursor = page[1]
    for i = 1, #page[2], 2 do
      local key, result = page[2][i], page[2][i + 1]
      local r = cjson.decode(result)
      local state = redis.call('HGET', KEYS[3], key)
      if (resend and r.s == 'unknown' and state == 'u') or state == 'w' then
        if state == 'w' then deferred = deferred + 1 end
        redis.call('HSET', KEYS[3], key, 'q')
        redis.call('HDEL', KEYS[5], key)
        redis.call('RPUSH', prefix .. chunk, cjson.encode(r.e))
        requeued = requeued + 1
        fill = fill + 1
        if fill >= size then close_chunk(chunk); chunk, fill = chunk + 1, 0 end
      end
    end
  until cursor == '0'
  if fill > 0 then close_chunk(chunk) end
  redis.call('HINCRBY', KEYS[4], 'unknown', deferred - requeued)
  -- guarded: Lua's -0 reaches Redis as "-0", which HINCRBY refuses (not an integer)
  if deferred > 0 then redis.call('HINCRBY', KEYS[4], 'deferred', -deferred) end
  redis.call('HINCRBY', KEYS[4], 'queued', requeued)
end
return {requeued, tonumber(redis.call('HGET', KEYS[2], 'chunks') or '0')}
""",
)

#: ARGV: fence, prefix, then (key, chunk entry JSON) pairs from a worker's claim log, after a
#: rollback (run even then). Each recipient the log says was claimed and Redis does not
#: have finished (queued, attempting or missing: the claim was lost) becomes unknown.
#: Returns how many.
RESTORE = _script(
    _UNCHECKED,
    """
local restored = 0
for i = 3, #ARGV, 2 do
  local key = ARGV[i]
  local state = redis.call('HGET', KEYS[3], key)
  if not state or state == 'q' or string.sub(state, 1, 2) == 'a:' then
    redis.call('HSET', KEYS[3], key, 'u')
    local result = {s = 'unknown', r = '"""
    + LOST_CLAIM
    + """', e = cjson.decode(ARGV[i + 1])}
    redis.call('HSET', KEYS[5], key, cjson.encode(result))
    if not state then
      redis.call('HINCRBY', KEYS[4], 'inputs', 1)
    elseif state == 'q' then
      redis.call('HINCRBY', KEYS[4], 'queued', -1)
    else
      redis.call('HINCRBY', KEYS[4], 'attempting', -1)
    end
    redis.call('HINCRBY', KEYS[4], 'unknown', 1)
    restored = restored + 1
  end
end
return restored
""",
)
