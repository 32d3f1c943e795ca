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

FENCE = """
local sep = string.find(ARGV[1], ' ', 1, true)
if redis.call('GET', KEYS[1]) ~= string.sub(ARGV[1], 1, sep - 1) then
  return redis.error_reply('VSFENCED the campaign fence is missing: Redis lost its data')
end
local seen = tonumber(string.sub(ARGV[1], sep + 1))
local epoch = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
"""
EPOCH = (
    """
if seen > epoch or redis.call('HEXISTS', KEYS[2], 'rolled_back') == 1 then
  if redis.call('HEXISTS', KEYS[2], 'rolled_back') == 0 then
    redis.call('HSET', KEYS[2], 'rolled_back', epoch, 'stopped', '"""
    + ROLLED_BACK
    + """')
  end
  if seen > tonumber(redis.call('HGET', KEYS[2], 'seen_max') or '0') then
    redis.call('HSET', KEYS[2], 'seen_max', seen)
  end
  return redis.error_reply('VSROLLBACK epoch ' .. epoch .. ' < seen ' .. seen)
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
    """A script replying ``{epoch after it, what body returns}``."""
    return head + "local function body()\n" + body + "\nend\nlocal r = body()\nreturn {epoch, r}\n"
