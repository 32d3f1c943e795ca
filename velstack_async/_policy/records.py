"""What a policy store keeps and answers: suppressions, send-once keys, admissions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from .._redact import mask_phone

__all__ = ["Admission", "KeyRecord", "KeyState", "Suppression", "Verdict"]

#: A send-once key's state: recorded before the request, then its outcome.
KeyState = Literal["in_flight", "sent", "unknown", "not_sent"]


@attrs.frozen
class Suppression:
    """A number on the suppression (opt-out) list: E.164, why, and when it was added."""

    number: str = attrs.field(repr=lambda n: repr(mask_phone(n)))
    reason: str | None
    added_at: datetime


@attrs.frozen
class KeyRecord:
    """A send-once key as stored (``summary``: the sent `SmsSummary`'s raw JSON)."""

    fingerprint: str
    state: KeyState
    token: str
    started_at: float
    summary: str | None = None


@attrs.frozen
class Admission:
    """One request to admit: its numbers (E.164; empty for a group send), estimated
    credits, the time (epoch seconds by the policy's clock) and the limits to apply.

    ``frequency``: (messages, window seconds) for a marketing send under a cap, else None.
    """

    token: str
    numbers: tuple[str, ...]
    credits: float
    now: float
    spend_cap: float | None
    frequency: tuple[int, float] | None


@attrs.frozen
class Verdict:
    """A store's answer: admitted (reserved under the admission's token) or why not."""

    admitted: bool
    suppressed: tuple[str, ...] = ()
    capped: tuple[str, ...] = ()
    #: Credits already spent in the last 24 hours (when the spend cap refused).
    spent: float = 0.0

    @classmethod
    def ok(cls) -> Verdict:
        return cls(True)
