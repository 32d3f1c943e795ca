"""The Lua scripts that keep a distributed campaign exactly-once (atomic in Redis).

Every script checks the fencing key (a Redis that lost its data refuses: ``VSFENCED``).
Every write that matters advances ``meta.epoch``; replies are ``{epoch, life, result}``;
callers send the highest epoch their process saw: a Redis behind it is marked rolled back
and refuses (``VSROLLBACK``) all but `RESTORE` and `RESUME`. Times are Redis ``TIME``.

KEYS (one ``{hash tag}``): 1 fence, 2 meta (hash), 3 state (hash: key -> q | a:<token> |
s | f | u | k skipped by the policy | w deferred), 4 counters (hash), 5 unsent (hash: key
-> JSON result), 6 todo (zset: chunk -> lease expiry ms, 0 = free), 7 owners (hash: chunk
-> token), 8 rate (hash), 9 pause (string with a TTL). ARGV[1] is ``"<fence> <seen epoch>
<life seen in>"``, ARGV[2] the chunk key prefix; each script's own ARGV follow.
"""

from __future__ import annotations

import functools
import string

from .._policy.redis_scripts import fence_guard

__all__ = ["BUDGET", "COMPLETE", "FINISH_LOAD", "HEARTBEAT", "LEASE", "LOAD", "OUTCOME"]
__all__ += ["PAUSE", "RESTORE", "RESUME", "ROLLED_BACK", "SPEND", "STOP", "TAKE", "VERDICT"]

#: The reason a rolled-back campaign stopped (``stopped`` in its meta hash).
ROLLED_BACK = (
    "Redis rolled back: it came back with fewer writes than a worker had seen (an older "
    "snapshot or AOF, a promoted replica that missed writes); claims it lost are unknown"
)
_LOST_CLAIM = "claimed before Redis rolled back (the claim was lost): it may have been sent"

# A life is one run of Redis (run_id), recorded by its first script (life:<run_id> =
# <n>:<start epoch>, lifeseq:<n> = that epoch). A caller that saw epoch S in life L is
# behind if S is above the start of L's next life (L unknown: S > 0), in L above the epoch.
_HEAD = """
local fence, seen, seen_life = string.match(ARGV[1], '^(%S*) (%d+) (%S+)$')
$GUARD
seen = tonumber(seen)
local function num(key, field) return tonumber(redis.call('HGET', key, field) or '0') end
local epoch = num(KEYS[2], 'epoch')
local info = redis.pcall('INFO', 'server')
local life = type(info) == 'string' and string.match(info, 'run_id:(%w+)') or '-'
if life ~= '-' and redis.call('HGET', KEYS[2], 'life') ~= life then
  local n = redis.call('HINCRBY', KEYS[2], 'lives', 1)
  redis.call('HSET', KEYS[2], 'life', life, 'life:' .. life, n .. ':' .. epoch,
             'lifeseq:' .. n, epoch)
end
local function behind()
  if seen_life == '-' or life == '-' or seen_life == life then return seen > epoch end
  local record = redis.call('HGET', KEYS[2], 'life:' .. seen_life)
  if not record then return seen > 0 end
  local n = tonumber(string.match(record, '^(%d+)'))
  return seen > tonumber(redis.call('HGET', KEYS[2], 'lifeseq:' .. (n + 1)) or epoch)
end
local function advance() epoch = redis.call('HINCRBY', KEYS[2], 'epoch', 1) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local prefix = ARGV[2]
-- guarded: Lua's -0 reaches Redis as "-0", which HINCRBY refuses (not an integer)
local function incr(name, n) if n ~= 0 then redis.call('HINCRBY', KEYS[4], name, n) end end
local function unsent(key, status, reason, entry)
  redis.call('HSET', KEYS[5], key, cjson.encode({s = status, r = reason, e = cjson.decode(entry)}))
end
local function lose(key, reason, entry)
  redis.call('HSET', KEYS[3], key, 'u'); unsent(key, 'unknown', reason, entry)
end
local function close_chunk(chunk)
  redis.call('ZADD', KEYS[6], 0, chunk)
  redis.call('HSET', KEYS[2], 'chunk', chunk + 1, 'fill', 0)
  redis.call('HINCRBY', KEYS[2], 'chunks', 1)
end
local function push(chunk, fill, size, entry)
  redis.call('RPUSH', prefix .. chunk, entry)
  if fill + 1 >= size then close_chunk(chunk); return chunk + 1, 0 end
  return chunk, fill + 1
end
"""
_EPOCH = """
if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 1 or behind() then
  if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 0 then
    redis.call('HSET', KEYS[2], 'rolled_back', epoch, 'stopped', '$ROLLED')
  end
  if seen > num(KEYS[2], 'seen_max') then redis.call('HSET', KEYS[2], 'seen_max', seen) end
  return redis.error_reply('VSROLLBACK epoch ' .. epoch .. ' life ' .. life .. ' seen ' .. seen)
end
"""


def _script(body: str, head: str = _HEAD + _EPOCH) -> str:
    """A script replying ``{epoch after it, life, what body returns}``."""
    texts = {"GUARD": fence_guard("campaign", "fence"), "ROLLED": ROLLED_BACK, "LOST": _LOST_CLAIM}
    wrapped = f"{head}local function body()\n{body}\nend\nlocal r = body()\n"
    return string.Template(wrapped + "return {epoch, life, r}").safe_substitute(texts)


_unchecked = functools.partial(_script, head=_HEAD)  # run even for a caller behind a rollback


#: ARGV: position of the first item, chunk size, then (kind, key, payload) triples: n a
#: recipient (its chunk entry), s / f a ready result (JSON; key a unique id). Returns {new
#: load position, the campaign's}; -1 first if the load is elsewhere (another producer).
LOAD = _script("""
local pos, size = tonumber(ARGV[3]), tonumber(ARGV[4])
local upto = num(KEYS[2], 'loaded_upto')
if upto ~= pos or redis.call('HGET', KEYS[2], 'loaded') == '1' then return {-1, upto} end
local chunk, fill = num(KEYS[2], 'chunk'), num(KEYS[2], 'fill')
local n, queued, skipped, dupes, failed = 0, 0, 0, 0, 0
for i = 5, #ARGV, 3 do
  local kind, key, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  n = n + 1
  if kind ~= 'n' then
    if kind == 's' then skipped = skipped + 1 else failed = failed + 1 end
    redis.call('HSET', KEYS[5], key, payload)
  elseif redis.call('HSETNX', KEYS[3], key, 'q') == 1 then
    chunk, fill = push(chunk, fill, size, payload)
    queued = queued + 1
  else
    dupes, skipped = dupes + 1, skipped + 1
    unsent('d' .. (pos + n - 1), 'skipped', 'duplicate', payload)
  end
end
redis.call('HSET', KEYS[2], 'fill', fill, 'loaded_upto', pos + n)
incr('inputs', n); incr('queued', queued); incr('skipped', skipped)
incr('duplicates', dupes); incr('failed', failed)
advance()
return {pos + n, upto}
""")

#: Closes the last partial chunk and marks the load finished; returns the chunks.
FINISH_LOAD = _script("""
if redis.call('HGET', KEYS[2], 'loaded') ~= '1' then
  if num(KEYS[2], 'fill') > 0 then close_chunk(num(KEYS[2], 'chunk')) end
  redis.call('HSET', KEYS[2], 'loaded', '1')
  advance()
end
return num(KEYS[2], 'chunks')
""")

#: ARGV: chunk (-1: any free or lapsed, -2: only lapsed), token, lease ms. Returns {status,
#: chunk, wait ms}: ok | done | busy | none | stopped.
LEASE = _script("""
if redis.call('HGET', KEYS[2], 'stopped') then return {'stopped', -1, 0} end
local chunk, token, lease = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
if chunk < 0 then
  local low = chunk == -2 and '1' or '-inf'
  local found = redis.call('ZRANGEBYSCORE', KEYS[6], low, now, 'LIMIT', 0, 1)
  if #found == 0 then
    local first = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
    if #first > 0 then
      local wait = tonumber(first[2])
      return {'none', -1, wait == 0 and -1 or math.floor(math.max(0, wait - now))}
    end
    if redis.call('HGET', KEYS[2], 'loaded') == '1' then return {'done', -1, 0} end
    return {'none', -1, 1000}
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
""")

#: ARGV: chunk, token, lease ms. 1 if the lease was extended, 0 if lost.
HEARTBEAT = _script("""
local mine = redis.call('HGET', KEYS[7], ARGV[3]) == ARGV[4]
if not mine or not redis.call('ZSCORE', KEYS[6], ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[5]), ARGV[3])
return 1
""")

#: ARGV: chunk, token. Removes a finished chunk (only by its lease owner).
COMPLETE = _script("""
if redis.call('HGET', KEYS[7], ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('ZREM', KEYS[6], ARGV[3])
redis.call('HDEL', KEYS[7], ARGV[3])
redis.call('DEL', prefix .. ARGV[3])
advance()
return 1
""")

#: ARGV: messages, message and request interval ms, token, then (key, chunk entry) pairs.
#: Pause gate, rate slot booked, then (slot now) the claim: queued -> a:<token>; another
#: token's (lapsed) becomes unknown. Returns {kind, wait ms, positions claimed...}: 2
#: claimed, 0 slot booked (ask again after the wait, intervals 0), 1 paused, -1 stopped.
TAKE = _script("""
if redis.call('HGET', KEYS[2], 'stopped') then return {-1, 0} end
local paused = redis.call('PTTL', KEYS[9])
if paused > 0 then return {1, paused} end
local n, mi, ri = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local slot = math.max(now, mi > 0 and num(KEYS[8], 'm') or 0, ri > 0 and num(KEYS[8], 'r') or 0)
if mi > 0 then redis.call('HSET', KEYS[8], 'm', tostring(slot + n * mi)) end
if ri > 0 then redis.call('HSET', KEYS[8], 'r', tostring(slot + ri)) end
local wait = math.floor(slot - now)
if wait > 0 then return {0, wait} end
local mine, reply, got, lost = 'a:' .. ARGV[6], {2, 0}, 0, 0
for i = 7, #ARGV, 2 do
  local key = ARGV[i]
  local state = redis.call('HGET', KEYS[3], key)
  if state == 'q' or state == mine then
    if state == 'q' then got = got + 1 end
    redis.call('HSET', KEYS[3], key, mine)
    reply[#reply + 1] = (i - 7) / 2 + 1
  elseif state and string.sub(state, 1, 2) == 'a:' then
    lose(key, 'claimed by a worker that was lost', ARGV[i + 1])
    lost = lost + 1
  end
end
incr('queued', -got); incr('attempting', got - lost); incr('unknown', lost)
if got > 0 or lost > 0 then advance() end
return reply
""")

#: ARGV: token, outcome id, requests, credit used and left (micro; left may be ''), then
#: (key, state s | f | u | q (not sent), result JSON or '') triples. Applied where the claim
#: is still this token's; an outcome id seen before is ignored (a retried call).
OUTCOME = _script("""
if not redis.call('SET', prefix .. 'o:' .. ARGV[4], '1', 'NX', 'PX', 86400000) then return 0 end
local mine, applied = 'a:' .. ARGV[3], 0
local names = {s = 'sent', f = 'failed', u = 'unknown', q = 'queued'}
for i = 8, #ARGV, 3 do
  local key, state, result = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', KEYS[3], key) == mine then
    redis.call('HSET', KEYS[3], key, state)
    incr('attempting', -1); incr(names[state], 1)
    if result ~= '' then redis.call('HSET', KEYS[5], key, result) end
    applied = applied + 1
  end
end
local requests = tonumber(ARGV[5])
if requests > 0 then
  incr('requests', requests)
  redis.call('HINCRBY', KEYS[4], 'credit', ARGV[6])
  local left = redis.call('HGET', KEYS[4], 'credit_left')
  if ARGV[7] ~= '' and (not left or tonumber(ARGV[7]) < tonumber(left)) then
    redis.call('HSET', KEYS[4], 'credit_left', ARGV[7])
  end
  redis.call('HSETNX', KEYS[4], 'first_ms', tostring(now))
  redis.call('HSET', KEYS[4], 'last_ms', tostring(now))
end
if applied > 0 or requests > 0 then advance() end
return applied
""")

#: ARGV: pause ms. Pauses every worker (a 429 anywhere); never shortens a pause.
PAUSE = _script("""
incr('throttled', 1)
local ms = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[9]) < ms then redis.call('SET', KEYS[9], '1', 'PX', ms) end
return 1
""")

#: ARGV: reason. Stops the campaign (the first reason is kept).
STOP = _script("""
redis.call('HSETNX', KEYS[2], 'stopped', ARGV[3])
return 1
""")

#: ARGV: resend unknown (1/0), chunk size. Clears the stop (and a rollback); deferred and
#: (resend) unknown recipients are queued in new chunks. Returns {requeued, chunks}.
RESUME = _unchecked("""
if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 1 then
  -- every epoch a worker reported since is now behind: they run again
  epoch = math.max(epoch, num(KEYS[2], 'seen_max')) + 1
  redis.call('HSET', KEYS[2], 'epoch', epoch)
  redis.call('HDEL', KEYS[2], 'rolled_back')
end
redis.call('HDEL', KEYS[2], 'stopped')
local requeued, deferred = 0, 0
local resend = ARGV[3] == '1'
if resend or num(KEYS[4], 'deferred') > 0 then
  local size, chunk, fill, cursor = tonumber(ARGV[4]), num(KEYS[2], 'chunk'), 0, '0'
  repeat
    local page = redis.call('HSCAN', KEYS[5], cursor, 'COUNT', 500)
    cursor = page[1]
    for i = 1, #page[2], 2 do
      local key, r = page[2][i], cjson.decode(page[2][i + 1])
      local state = redis.call('HGET', KEYS[3], key)
      if (resend and r.s == 'unknown' and state == 'u') or state == 'w' then
        if state == 'w' then deferred = deferred + 1 end
        redis.call('HSET', KEYS[3], key, 'q')
        redis.call('HDEL', KEYS[5], key)
        chunk, fill = push(chunk, fill, size, cjson.encode(r.e))
        requeued = requeued + 1
      end
    end
  until cursor == '0'
  if fill > 0 then close_chunk(chunk) end
  incr('unknown', deferred - requeued); incr('deferred', -deferred); incr('queued', requeued)
end
return {requeued, num(KEYS[2], 'chunks')}
""")

#: ARGV: (key, chunk entry) pairs from a claim log, after a rollback: each one Redis has
#: not finished (queued, attempting, missing: the claim was lost) becomes unknown (count).
RESTORE = _unchecked("""
local restored = 0
for i = 3, #ARGV, 2 do
  local key = ARGV[i]
  local state = redis.call('HGET', KEYS[3], key)
  if not state or state == 'q' or string.sub(state, 1, 2) == 'a:' then
    lose(key, '$LOST', ARGV[i + 1])
    if not state then incr('inputs', 1)
    elseif state == 'q' then incr('queued', -1)
    else incr('attempting', -1) end
    incr('unknown', 1)
    restored = restored + 1
  end
end
return restored
""")

#: ARGV: (key, state, counter, result JSON) quads: the policy's verdict on queued recipients:
#: k skipped (suppressed, capped) or w deferred (RESUME queues it again); counter: the
#: report's count. Returns how many applied.
VERDICT = _script("""
local applied = 0
for i = 3, #ARGV, 4 do
  local key, state = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], key) == 'q' then
    redis.call('HSET', KEYS[3], key, state)
    incr('queued', -1)
    if state == 'k' then incr('skipped', 1) end
    if ARGV[i + 2] ~= '' then incr(ARGV[i + 2], 1) end
    redis.call('HSET', KEYS[5], key, ARGV[i + 3])
    applied = applied + 1
  end
end
if applied > 0 then advance() end
return applied
""")

#: ARGV: credits, cap (micro): reserves the credits if all reservations stay within
#: ``max_credits``. Returns {1 | 0, left before}.
BUDGET = _script("""
local credits, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local left = cap - num(KEYS[4], 'reserved')
if credits > left then return {0, left} end
redis.call('HINCRBY', KEYS[4], 'reserved', credits)
advance()
return {1, left}
""")

#: ARGV: micro-credits added to the reservations (negative: an answer's lower cost).
SPEND = _script("""
redis.call('HINCRBY', KEYS[4], 'reserved', ARGV[3])
advance()
return 1
""")
