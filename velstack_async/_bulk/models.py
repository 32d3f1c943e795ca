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
    #: Velstack refused it, or it could not be built (e.g. a template field is
    #: missing). It was certainly not sent; a rerun with the journal tries again.
    FAILED = "failed"
    #: No request was made: an invalid number, a duplicate, or already sent in
    #: an earlier run of the same journal.
    SKIPPED = "skipped"
    #: The campaign stopped (or this run's journal says so) before this recipient.
    NOT_ATTEMPTED = "not_attempted"
    #: The request may have been processed (a timeout or dropped connection
    #: after sending): check before resending. Never resent automatically.
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


def _mask(value: object) -> str:
    return repr(mask_phone(value)) if isinstance(value, str) else repr(value)


def _describe_optional(value: str | None) -> str:
    return "None" if value is None else describe_text(value)


def _is_mapping(_: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{attribute.name} must be a mapping, not {type(value).__name__}")


def _field_names(value: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k!r}: ..." for k in value) + "}"


@frozen
class BulkMessage:
    """One recipient of a campaign, with its own template fields (and optional overrides).

    ``message`` and ``sender`` replace the campaign's for this recipient;
    ``fields`` fill the ``{name}`` placeholders of the message template.
    """

    recipient: str = field(repr=_mask)
    message: str | None = field(default=None, repr=_describe_optional)
    fields: Mapping[str, Any] = field(factory=dict, repr=_field_names, validator=_is_mapping)
    sender: str | None = None


@frozen
class BulkResult:
    """The outcome for one recipient.

    ``recipient`` is the number as it was given. ``summary`` is Velstack's
    answer when ``status`` is ``sent``; ``error`` is the error behind a
    ``failed``, ``unknown`` or invalid-number ``skipped`` result; ``reason``
    says why in words for every status but ``sent``. ``index`` is the
    recipient's 0-based position in the input.
    """

    recipient: str = field(repr=_mask)
    status: BulkStatus
    summary: SmsSummary | None = None
    error: VelstackError | None = None
    reason: str | None = field(default=None, kw_only=True)
    index: int = field(default=-1, kw_only=True)


@frozen
class BulkReport:
    """What a campaign did: counts per status, credit, speed and the results that were not sent.

    ``unsent`` holds the non-``sent`` results in the order they finished, at
    most ``keep_unsent`` of them (``unsent_omitted`` counts the rest); the
    counts are always exact. ``stopped_reason`` says why the campaign stopped
    early (insufficient balance, authentication, ``max_failures``), or is None.
    ``messages_per_second`` is ``sent / elapsed``. ``credit_used`` adds each
    request's ``credit_used`` once (a batch's results share one summary).

    ``requests`` counts the send requests made, retries and splits included
    (about ``sent / batch_size`` on a healthy service). ``throttled`` counts
    the 429 and 503 answers met; ``settled_rate`` is the request rate
    (requests per second, over all workers) the campaign sustained while
    paced (accepted over its last 5 s of pacing), None if it was never paced.

    ``unknown_stale`` counts the ``unknown`` results (included in ``unknown``)
    whose request met a `StaleConnectionError`: the server closed a reused
    keep-alive connection before answering, so they were almost certainly not
    processed and are safe to resend after a check (``resend_unknown=True``).

    With a sending policy: ``suppressed`` and ``capped`` count the ``skipped``
    recipients that opted out or were over the frequency cap; ``deferred`` the
    ``not_attempted`` ones outside their send window (``wait_for_window=False``).
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
    #: ``skipped`` results (in ``skipped``) whose recipient is on the suppression list.
    suppressed: int = 0
    #: ``skipped`` results (in ``skipped``) over the policy's frequency cap.
    capped: int = 0
    #: ``not_attempted`` results (in ``not_attempted``) outside their send window.
    deferred: int = 0

    def count(self, status: BulkStatus | str) -> int:
        """The number of results with ``status``."""
        return int(getattr(self, BulkStatus(status).value))
