"""What a bulk campaign takes in and hands back: messages, per-recipient results, the report."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import Attribute, field, frozen

from .._exceptions import VelstackError
from .._models import SmsSummary
from .._redact import describe_text, mask_phone

__all__ = ["BulkMessage", "BulkReport", "BulkResult", "BulkStatus"]


class BulkStatus(str, enum.Enum):
    """What happened to one recipient of a campaign. Compares equal to its value."""

    #: Velstack accepted the message.
    SENT = "sent"
    #: Refused, or not buildable (a missing template field): certainly not sent.
    FAILED = "failed"
    #: No request: an invalid number, a duplicate, already sent by an earlier run.
    SKIPPED = "skipped"
    #: The campaign stopped before this recipient.
    NOT_ATTEMPTED = "not_attempted"
    #: May have been processed (a timeout after sending): check before resending.
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


def _mask(value: object) -> str:
    return repr(mask_phone(value)) if isinstance(value, str) else repr(value)


def _is_mapping(_: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{attribute.name} must be a mapping, not {type(value).__name__}")


@frozen
class BulkMessage:
    """One recipient of a campaign: ``fields`` fill the template's ``{name}`` placeholders;
    ``message`` and ``sender`` replace the campaign's for this recipient."""

    recipient: str = field(repr=_mask)
    message: str | None = field(
        default=None, repr=lambda v: "None" if v is None else describe_text(v)
    )
    fields: Mapping[str, Any] = field(
        factory=dict,
        repr=lambda v: "{" + ", ".join(f"{k!r}: ..." for k in v) + "}",
        validator=_is_mapping,
    )
    sender: str | None = None


@frozen
class BulkResult:
    """The outcome for one recipient (the number as given, at 0-based ``index`` of the
    input): ``summary`` is Velstack's answer when ``sent``; ``error`` the error behind a
    ``failed``, ``unknown`` or invalid-number ``skipped``; ``reason`` says why in words."""

    recipient: str = field(repr=_mask)
    status: BulkStatus
    summary: SmsSummary | None = None
    error: VelstackError | None = None
    reason: str | None = field(default=None, kw_only=True)
    index: int = field(default=-1, kw_only=True)


@frozen
class BulkReport:
    """What a campaign did: counts per status, credit, speed and the results not sent.

    ``unsent``: the non-``sent`` results in the order they finished, at most
    ``keep_unsent`` (``unsent_omitted`` counts the rest; counts are always exact).
    ``stopped_reason``: why it stopped early, or None. ``messages_per_second`` is
    ``sent / elapsed``; ``credit_used`` adds each request's credit once.
    ``requests``: send requests made, retries and splits included. ``throttled``:
    429 and 503 answers met. ``settled_rate``: requests/s the campaign sustained
    while paced (accepted over its last 5 s of pacing), None if never paced.
    ``unknown_stale``: ``unknown`` results whose reused keep-alive connection the
    server closed before answering (almost certainly not processed: safe to resend
    after a check). With a sending policy, ``suppressed`` and ``capped`` count the
    ``skipped`` recipients opted out or over the frequency cap, ``deferred`` the
    ``not_attempted`` ones outside their send window.
    """

    total: int
    sent: int
    failed: int
    skipped: int
    not_attempted: int
    unknown: int
    credit_used: Decimal
    credit_left: Decimal | None
    elapsed: float
    messages_per_second: float
    stopped_reason: str | None
    unsent: tuple[BulkResult, ...] = field(repr=lambda v: f"<{len(v)} results>")
    unsent_omitted: int = 0
    requests: int = 0
    throttled: int = 0
    settled_rate: float | None = None
    unknown_stale: int = 0
    suppressed: int = 0
    capped: int = 0
    deferred: int = 0

    def count(self, status: BulkStatus | str) -> int:
        """The number of results with ``status``."""
        return int(getattr(self, BulkStatus(status).value))
