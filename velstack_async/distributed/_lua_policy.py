"""The scripts of a distributed campaign's sending policy (see `_lua` for the keys and fence).

``VERDICT`` files the policy's verdict on recipients no worker claimed: ``k``
(skipped: suppressed, over the frequency cap) or ``w`` (deferred: outside the send
window with ``wait_for_window=False``; `RESUME` queues them again). ``BUDGET`` and
``SPEND`` keep ``max_credits`` for every worker at once: credits reserved before
each request (micro-credits in the counters' ``reserved``), corrected by each
answer's ``credit_used``.
"""

from __future__ import annotations

from ._lua_head import HEAD as _HEAD
from ._lua_head import script as _script

__all__ = ["BUDGET", "SPEND", "VERDICT"]

#: ARGV: fence, prefix, then (key, state, counter, result JSON) quads; state k (skipped)
#: or w (deferred); counter: the report's count (suppressed, capped, deferred). Applied
#: only where the recipient is queued (not claimed, not finished). Returns how many.
VERDICT = _script(
    _HEAD,
    """
local applied = 0
for i = 3, #ARGV, 4 do
  local key, state = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], key) == 'q' then
    redis.call('HSET', KEYS[3], key, state)
    redis.call('HINCRBY', KEYS[4], 'queued', -1)
    if state == 'k' then redis.call('HINCRBY', KEYS[4], 'skipped', 1) end
    if ARGV[i + 2] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[i + 2], 1) end
    redis.call('HSET', KEYS[5], key, ARGV[i + 3])
    applied = applied + 1
  end
end
if applied > 0 then advance() end
return applied
""",
)

#: ARGV: fence, prefix, credits, cap (micro-credits). Reserves the credits if what every
#: worker reserved stays within the cap. Returns {reserved 1 | 0, micro-credits left before}.
BUDGET = _script(
    _HEAD,
    """
local credits, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local left = cap - tonumber(redis.call('HGET', KEYS[4], 'reserved') or '0')
if credits > left then return {0, left} end
redis.call('HINCRBY', KEYS[4], 'reserved', credits)
advance()
return {1, left}
""",
)

#: ARGV: fence, prefix, micro-credits to add to the reservations (negative: given back).
SPEND = _script(
    _HEAD,
    """
redis.call('HINCRBY', KEYS[4], 'reserved', ARGV[3])
advance()
return 1
""",
)
