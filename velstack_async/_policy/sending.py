"""A single send (`sms.send`, `sms.send_group`) under a client's `SendingPolicy`.

The order: the send-once key (replay, wait or refuse before anything else), then
the policy's admission (window, suppression, frequency and spend caps), then the
request, then its outcome: credits used, or the reservation released when the
request certainly was not processed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

from .._exceptions import InvalidInputError, VelstackError
from .._models import SmsSummary
from .._segments import count_segments
from . import limits

if TYPE_CHECKING:
    from .._options import ClientOptions

__all__ = ["from_api_format", "send_sms", "wait_bound"]

#: What a send waits for the same key in flight when the client has no timeout of its own.
DEFAULT_WAIT = 35.0


def from_api_format(number: str) -> str:
    """E.164 from a number `_phone.to_api_format` wrote (its inverse)."""
    return "+233" + number[1:] if number.startswith("0") else "+" + number


def wait_bound(timeout: httpx.Timeout | None) -> float:
    """How long one request of a client may take: its connect, write and read timeouts."""
    if timeout is None:
        return DEFAULT_WAIT
    parts = (timeout.connect, timeout.write, timeout.read, timeout.pool)
    total = sum(p for p in parts if p is not None)
    return total if total > 0 else DEFAULT_WAIT


async def send_sms(
    options: ClientOptions,
    request: Callable[[], Awaitable[SmsSummary]],
    send: tuple[str | None, str | None, str, str, str | None],
    key: str | None,
    category: str,
    region: str,
) -> SmsSummary:
    """``request()`` under the client's policy. ``send``: (recipients, checked, in API
    format, or None for a group send; group id; message; sender; title). Without a
    policy, the request as it is (a key is refused)."""
    recipients, group_id, message, sender, title = send
    policy = options.policy
    kind = limits.category(category)
    if key is not None:
        key = limits.idempotency_key(key)
        if policy is None:
            raise InvalidInputError(
                "idempotency_key needs a sending policy: "
                "AsyncVelstack(policy=SendingPolicy('policy.db'))"
            )
    if policy is None:
        return await request()
    numbers = [from_api_format(n) for n in recipients.split(",")] if recipients else []

    async def admitted() -> SmsSummary:
        # A group send reserves one recipient's worth: its contacts are counted by Velstack.
        credits = count_segments(message).segments * max(len(numbers), 1)
        reservation = await policy.admit(numbers, credits, kind, region)
        try:
            summary = await request()
        except VelstackError as exc:
            if not exc.may_have_been_sent:
                await policy.settle(reservation, None)
            raise
        await policy.settle(reservation, float(summary.credit_used))
        return summary

    if key is None:
        return await admitted()
    from .send_once import fingerprint, send_once  # hashlib, json: with the first key

    digest = fingerprint("group" if recipients is None else "quick", recipients or group_id,
                         message, sender, title)  # fmt: skip
    return await send_once(policy, key, digest, wait_bound(options.timeout), admitted)
