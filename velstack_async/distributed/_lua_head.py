"""What every campaign script starts with: the fence, the epoch check, Redis time, helpers.

See `_lua` for the scripts and the epoch rule.
"""

from __future__ import annotations

__all__ = ["HEAD", "LOST_CLAIM", "ROLLED_BACK", "UNCHECKED", "script"]

#: The reason a rolled-back campaign stopped (``stopped`` in its meta hash).
ROLLED_BACK = (
    "Redis rolled back: it came back with fewer writes than a worker had seen (an older "
    "snapshot or AOF, a promoted replica that missed writes); claims it lost are unknown"
)
#: The reason of a recipient whose claim a rolled-back Redis lost.
LOST_CLAIM = "claimed before Redis rolled back (the claim was lost): it may have been sent"

#: ARGV[1] is ``"<fence> <seen epoch> <life seen at>"`` (life ``-``: none yet). A life is
#: one run of the Redis server (its ``run_id``): the first script of a life records it in
#: meta (``life:<run_id>`` = ``<n>:<epoch it began at>``, ``lifeseq:<n>`` = that epoch). A
#: caller that saw epoch S in an earlier life L is behind a rollback when S is above the
#: epoch the life after L began at (what L handed on); unknown L: its every write was
#: lost. The same life: S above the epoch. So workers that never saw the lost writes
#: cannot hide a rollback by writing past it.
FENCE = """
local a1 = ARGV[1]
local s1 = string.find(a1, ' ', 1, true)
local s2 = string.find(a1, ' ', s1 + 1, true)
if redis.call('GET', KEYS[1]) ~= string.sub(a1, 1, s1 - 1) then
  return redis.error_reply('VSFENCED the campaign fence is missing: Redis lost its data')
end
local seen = tonumber(string.sub(a1, s1 + 1, s2 - 1))
local seen_life = string.sub(a1, s2 + 1)
local epoch = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
local info = redis.pcall('INFO', 'server')
local life = '-'
if type(info) == 'string' then life = string.match(info, 'run_id:(%w+)') or '-' end
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
  local handed = redis.call('HGET', KEYS[2], 'lifeseq:' .. (n + 1))
  return seen > tonumber(handed or epoch)
end
"""
EPOCH = (
    """
if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 1 or behind() then
  if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 0 then
    redis.call('HSET', KEYS[2], 'rolled_back', epoch, 'stopped', '"""
    + ROLLED_BACK
    + """')
  end
  if seen > tonumber(redis.call('HGET', KEYS[2], 'seen_max') or '0') then
    redis.call('HSET', KEYS[2], 'seen_max', seen)
  end
  return redis.error_reply('VSROLLBACK epoch ' .. epoch .. ' life ' .. life .. ' seen ' .. seen)
end
"""
)
COMMON = """
local function advance() epoch = redis.call('HINCRBY', KEYS[2], 'epoch', 1) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local prefix = ARGV[2]
local function close_chunk(chunk)
  redis.call('ZADD', KEYS[6], 0, chunk)
  redis.call('HSET', KEYS[2], 'chunk', chunk + 1, 'fill', 0)
  redis.call('HINCRBY', KEYS[2], 'chunks', 1)
end
"""
HEAD = FENCE + EPOCH + COMMON
UNCHECKED = FENCE + COMMON


def script(head: str, body: str) -> str:
    """A script replying ``{epoch after it, life, what body returns}``."""
    end = "\nend\nlocal r = body()\nreturn {epoch, life, r}\n"
    return head + "local function body()\n" + body + end
