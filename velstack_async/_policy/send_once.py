"""Send-once keys: one request per key, whatever retries, threads or processes call again.

The key is recorded in flight before the request and its outcome after it; a later
call with the key replays a sent summary, waits for one in flight, refuses after a
send that may have gone out, and sends again after one that certainly did not.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

from .. import _parsing
from .._exceptions import InvalidInputError, SendUnknownError, VelstackError
from .._models import SmsSummary
from .records import KeyRecord

if TYPE_CHECKING:
    from .policy import SendingPolicy

__all__ = ["fingerprint", "send_once"]

_FIRST_POLL = 0.02
_MAX_POLL = 0.5


def fingerprint(*parts: str | None) -> str:
    """A digest of a send's arguments (recipients, text, sender, title)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _unknown(key: str, why: str) -> SendUnknownError:
    return SendUnknownError(
        f"idempotency_key {key!r}: {why}; not sent again (it may have been sent: check before "
        "resending with a new key)"
    )


async def send_once(
    policy: SendingPolicy,
    key: str,
    digest: str,
    wait: float,
    send: Callable[[], Awaitable[SmsSummary]],
) -> SmsSummary:
    """``send()`` at most once per ``key`` in ``policy``'s store (see the module).

    ``wait``: seconds to wait for the same key in flight elsewhere (the client's timeout).
    """
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    poll = _FIRST_POLL
    while True:
        now = policy.now().timestamp()
        expires = now + policy.idempotency_ttl.total_seconds()
        record: KeyRecord | None = await policy.run(
            policy.store.claim_key, key, digest, token, now, expires
        )
        if record is None:
            break
        if record.fingerprint != digest:
            raise InvalidInputError(
                f"idempotency_key {key!r} was used with other arguments (recipient, message, "
                "sender or title): use a new key for another message"
            )
        if record.state == "sent":
            assert record.summary is not None
            return _parsing.sms_summary({"summary": json.loads(record.summary)})
        if record.state == "unknown":
            raise _unknown(key, "an earlier send's outcome is unknown")
        # In flight elsewhere: wait for its outcome, as long as a request may take.
        if now - record.started_at > wait:
            await _finish(policy, key, record.token, "unknown", None)
            raise _unknown(key, "an earlier send was left in flight (its process may have died)")
        if time.monotonic() >= deadline:
            raise _unknown(key, f"an earlier send is still in flight after {wait:g} s")
        await anyio.sleep(poll)
        poll = min(poll * 2, _MAX_POLL)
    try:
        summary = await send()
    except VelstackError as exc:
        # Refused before the request, or certainly not processed: the key is free again.
        await _finish(policy, key, token, "unknown" if exc.may_have_been_sent else "not_sent", None)
        raise
    except BaseException:  # cancelled or a bug mid-request: it may have been sent
        await _finish(policy, key, token, "unknown", None)
        raise
    await _finish(policy, key, token, "sent", json.dumps(dict(summary.raw)))
    return summary


async def _finish(
    policy: SendingPolicy, key: str, token: str, state: str, summary: str | None
) -> None:
    with anyio.CancelScope(shield=True):  # an outcome is recorded even when cancelled
        await policy.run(policy.store.finish_key, key, token, state, summary)
