"""The Lua scripts of the Redis policy store: each step runs atomically in Redis.

Every script first checks the store's fencing key against the value the
process read when it opened the store: if Redis lost its data (restarted
without it, or flushed), the key is missing and the script refuses
(``VSFENCED``) instead of answering from an empty store (an empty
suppression list would text people who opted out).

Keys (one hash tag): 1 fence, then per script as documented; ARGV[1] is the fence.
"""

from __future__ import annotations

__all__ = [
    "ADMIT",
    "CLAIM",
    "FINISH",
    "SETTLE",
    "SUPPRESS",
    "SUPPRESSED",
    "SUPPRESSIONS",
    "UNSUPPRESS",
    "fence_guard",
]


def fence_guard(what: str, fence: str = "ARGV[1]") -> str:
    """The Lua every fenced script starts with (policy store, campaign, Redis journal):
    refuse (``VSFENCED``) unless the fencing key ``KEYS[1]`` holds ``fence``."""
    return f"""
if redis.call('GET', KEYS[1]) ~= {fence} then
  return redis.error_reply('VSFENCED the {what} fence is missing: Redis lost its data')
end
"""


_FENCE = fence_guard("policy store")

#: KEYS: fence, suppressions (hash number -> JSON). ARGV: fence, then number, JSON pairs.
#: Returns how many numbers were added (existing entries are kept).
SUPPRESS = (
    _FENCE
    + """
local added = 0
for i = 2, #ARGV, 2 do added = added + redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) end
return added
"""
)

#: KEYS: fence, suppressions. ARGV: fence, numbers. Returns how many were removed.
UNSUPPRESS = (
    _FENCE
    + """
if #ARGV < 2 then return 0 end
return redis.call('HDEL', KEYS[2], unpack(ARGV, 2))
"""
)

#: KEYS: fence, suppressions. ARGV: fence, numbers. Returns those suppressed.
SUPPRESSED = (
    _FENCE
    + """
local found = {}
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then found[#found + 1] = ARGV[i] end
end
return found
"""
)

#: KEYS: fence, suppressions. Returns HGETALL's flat list.
SUPPRESSIONS = (
    _FENCE
    + """
return redis.call('HGETALL', KEYS[2])
"""
)

#: KEYS: fence, the key's record (hash). ARGV: fence, fingerprint, token, now, expires,
#: seconds Redis keeps the record. Returns nil (claimed) or the record
#: {fingerprint, state, token, started, expires, summary}.
CLAIM = (
    _FENCE
    + """
local r = redis.call('HMGET', KEYS[2], 'fp', 'state', 'token', 'started', 'expires', 'summary')
if r[1] and tonumber(r[5]) > tonumber(ARGV[4]) and r[3] ~= ARGV[3] then
  if r[2] ~= 'not_sent' or r[1] ~= ARGV[2] then return r end
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'fp', ARGV[2], 'state', 'in_flight', 'token', ARGV[3],
  'started', ARGV[4], 'expires', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return nil
"""
)

#: KEYS: fence, the key's record. ARGV: fence, token, state, summary ('' if none).
FINISH = (
    _FENCE
    + """
if redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'state', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], 'summary', ARGV[4]) end
return 1
"""
)

#: KEYS: fence, suppressions, spend (zset token -> time), spend credits (hash token ->
#: credits), spent (the total), then one frequency zset per number. ARGV: fence, token,
#: credits, now, spend cap ('' none), frequency limit ('' none), window seconds, numbers.
#: Returns {'ok'}, {'suppressed', numbers}, {'capped', numbers} or {'spend', spent}.
ADMIT = (
    _FENCE
    + """
local n = #KEYS - 5
local found = {}
for i = 1, n do
  if redis.call('HEXISTS', KEYS[2], ARGV[7 + i]) == 1 then found[#found + 1] = ARGV[7 + i] end
end
if #found > 0 then return {'suppressed', found} end
local now = tonumber(ARGV[4])
local window = tonumber(ARGV[7])
if ARGV[6] ~= '' then
  local limit = tonumber(ARGV[6])
  local capped = {}
  for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[5 + i], '-inf', now - window)
    if redis.call('ZCARD', KEYS[5 + i]) >= limit then capped[#capped + 1] = ARGV[7 + i] end
  end
  if #capped > 0 then return {'capped', capped} end
end
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - 86400, 'LIMIT', 0, 1000)
for _, token in ipairs(old) do
  local credits = redis.call('HGET', KEYS[4], token)
  if credits then redis.call('INCRBYFLOAT', KEYS[5], -tonumber(credits)) end
  redis.call('HDEL', KEYS[4], token)
  redis.call('ZREM', KEYS[3], token)
end
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('SET', KEYS[5], '0') end
local spent = tonumber(redis.call('GET', KEYS[5]) or '0')
if ARGV[5] ~= '' and spent + tonumber(ARGV[3]) > tonumber(ARGV[5]) then
  return {'spend', tostring(spent)}
end
redis.call('ZADD', KEYS[3], now, ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
redis.call('INCRBYFLOAT', KEYS[5], ARGV[3])
if ARGV[6] ~= '' then
  for i = 1, n do
    redis.call('ZADD', KEYS[5 + i], now, ARGV[2])
    redis.call('EXPIRE', KEYS[5 + i], math.ceil(window) + 86400)
  end
end
return {'ok'}
"""
)

#: KEYS: fence, spend, spend credits, spent, then one frequency zset per number.
#: ARGV: fence, token, credits used ('' : not sent, release everything).
SETTLE = (
    _FENCE
    + """
local old = redis.call('HGET', KEYS[3], ARGV[2])
if ARGV[3] == '' then
  if old then
    redis.call('INCRBYFLOAT', KEYS[4], -tonumber(old))
    redis.call('HDEL', KEYS[3], ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[2])
  end
  for i = 5, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
elseif old then
  redis.call('INCRBYFLOAT', KEYS[4], tonumber(ARGV[3]) - tonumber(old))
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
end
return 1
"""
)

#: KEYS: fence, suppressions, then one frequency zset per number. ARGV: fence, token, now,
#: frequency limit ('' none), window seconds, numbers. Returns one verdict per number:
#: 's' suppressed, 'c' capped, 'k' admitted (counted under the token when there is a cap).
SCREEN = (
    _FENCE
    + """
local now = tonumber(ARGV[3])
local window = tonumber(ARGV[5])
local verdicts = {}
for i = 1, #KEYS - 2 do
  local number = ARGV[5 + i]
  if redis.call('HEXISTS', KEYS[2], number) == 1 then
    verdicts[i] = 's'
  elseif ARGV[4] == '' then
    verdicts[i] = 'k'
  else
    local key = KEYS[2 + i]
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    if redis.call('ZCARD', key) >= tonumber(ARGV[4]) then
      verdicts[i] = 'c'
    else
      redis.call('ZADD', key, now, ARGV[2])
      redis.call('EXPIRE', key, math.ceil(window) + 86400)
      verdicts[i] = 'k'
    end
  end
end
return verdicts
"""
)

#: KEYS: fence, then one frequency zset per number. ARGV: fence, token.
RELEASE = (
    _FENCE
    + """
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
return 1
"""
)
