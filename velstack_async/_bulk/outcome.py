"""What one send request's answer or failure means for each of its recipients: decided here only.

`Delivery` (local and distributed alike) and the CLI carry out these decisions;
every reason text and limit is written here once.

- **accepted** (`answered`): each recipient in the answer's ``recipients`` is
  ``sent``; one missing from it is ``failed`` (`NOT_ACCEPTED`), never resent.
- **certainly not processed** (`Action.PACE`: 429, 503; `Action.RETRY`: no
  connection): sent again. 429 and 503 slow the gate and are never a failure;
  a connection error waits a backoff. The campaign gives up only when nothing
  was accepted for ``stall_timeout`` seconds (`stalled`).
- **a 413, or a 422 about the list's size** (`Action.SPLIT`, `Decision.shrink`):
  the batch size is halved for good and the batch goes again in halves.
- **another 422 about the numbers (or naming no field), insufficient balance**
  (`Action.SPLIT`): halves, until the offending numbers fail alone or the
  balance is used up; a spend cap (`Budget`) sends the part that fits first
  (`split`). A 422 about another field fails the whole batch.
- **may have been processed** (a timeout after sending, 500/502/504, a dropped
  answer): ``unknown``, never resent; `STALE` when a reused keep-alive
  connection was closed under it (almost surely not processed).
- **stops**: insufficient balance and a refused API key stop the campaign
  (`Decision.stop`); sends in flight end as they end (``unknown`` if cut off:
  `ABORTED`), every later recipient is ``not_attempted`` with the stop's reason.
"""

from __future__ import annotations

import enum

from attrs import frozen

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InsufficientBalanceError,
    RateLimitError,
    ServiceUnavailableError,
    StaleConnectionError,
    ValidationError,
    VelstackError,
)
from .._models import SmsSummary
from .._phone import echoed
from .models import BulkResult, BulkStatus
from .ports import Job

__all__ = [
    "ABORTED",
    "CANCELLED",
    "NOT_ACCEPTED",
    "STALE",
    "Action",
    "Decision",
    "answered",
    "decide",
    "ended",
    "not_attempted",
    "not_retried",
    "split",
    "stalled",
]

NOT_ACCEPTED = "Velstack did not accept this number: it is missing from the answer's recipients"
#: The reason of an ``unknown`` result whose request met a `StaleConnectionError`.
STALE = (
    "stale keep-alive connection: the server closed it before answering; "
    "almost certainly not processed, safe to resend after a check"
)
#: The reason of an ``unknown`` result whose request was in flight when the campaign aborted.
ABORTED = "in flight when the campaign was aborted: it may have been sent"
#: The stop reason of a campaign whose task was cancelled.
CANCELLED = "the campaign was cancelled"
#: Laravel's ``max`` rule: "must not have more than 1000 items" (a list), "must not be
#: greater than 12000 characters" (a comma string); other gateways' wording too.
_SIZE_WORDS = ("more than", "greater than", "at most", "too many", "too long")


class Action(enum.Enum):
    """What to do with the recipients of a request that failed: send them again once the
    gate slowed down (`PACE`) or after a backoff (`RETRY`), in two requests (`SPLIT`), or
    end each with the decision's status and reason (`END`)."""

    PACE = "pace"
    RETRY = "retry"
    SPLIT = "split"
    END = "end"


@frozen
class Decision:
    """`Action.SPLIT`: ``size`` recipients first, the batch size ``shrink`` from now on (0:
    unchanged). ``stop``: the campaign stops with this reason."""

    action: Action
    status: BulkStatus | None = None
    reason: str | None = None
    stop: str | None = None
    size: int = 0
    shrink: int = 0


def decide(error: VelstackError, count: int) -> Decision:
    """What a request for ``count`` recipients that ended in ``error`` means for them."""
    if error.may_have_been_sent:
        reason = STALE if isinstance(error, StaleConnectionError) else error.message
        return Decision(Action.END, BulkStatus.UNKNOWN, reason)
    if isinstance(error, (RateLimitError, ServiceUnavailableError)):
        return Decision(Action.PACE)
    if isinstance(error, APIConnectionError):  # refused, reset: certainly not sent
        return Decision(Action.RETRY)
    if count > 1 and isinstance(error, APIStatusError) and _is_size_refusal(error):
        return Decision(Action.SPLIT, size=split(count), shrink=count // 2)
    if count > 1 and _may_be_some_numbers(error):
        return Decision(Action.SPLIT, size=split(count))
    stop = None
    if isinstance(error, InsufficientBalanceError):
        stop = f"insufficient balance: {error.message}"
    elif isinstance(error, AuthenticationError):
        stop = f"authentication failed: {error.message}"
    return Decision(Action.END, BulkStatus.FAILED, error.message, stop)


def split(count: int, fits: int | None = None) -> int:
    """How many of ``count`` recipients go in the first part of a split: those that fit
    (a spend cap's budget), else half (the first the larger). The rest go after it."""
    if fits is not None:
        return max(0, min(count, fits))
    return (count + 1) // 2


def stalled(seconds: float, limit: float, error: VelstackError) -> str | None:
    """The stop reason when Velstack accepted nothing for more than ``limit`` seconds."""
    if seconds <= limit:
        return None
    return (
        f"Velstack kept refusing sends: nothing accepted for {seconds:.0f} s "
        f"({type(error).__name__}: {error.message})"
    )


def not_retried(error: VelstackError, stop: str) -> str:
    """The reason of a recipient whose request failed, not sent again as the campaign stopped."""
    return f"{error.message} (not retried: campaign stopped: {stop})"


def _is_size_refusal(error: APIStatusError) -> bool:
    """A 413, or a 422 whose recipient-field message is about how many there are."""
    if error.status_code == 413:
        return True
    if not isinstance(error, ValidationError):
        return False
    messages = [m.lower() for field, ms in error.errors.items() if "recipient" in field for m in ms]
    return any(word in m for m in messages for word in _SIZE_WORDS)


def _may_be_some_numbers(error: VelstackError) -> bool:
    """Whether sending fewer recipients may succeed: insufficient balance, or a 422 that
    names the recipient field (or no field): not one about the message or the sender."""
    if isinstance(error, InsufficientBalanceError):
        return True
    if not isinstance(error, ValidationError):
        return False
    return not error.errors or any("recipient" in field for field in error.errors)


def answered(jobs: list[Job], summary: SmsSummary, region: str) -> list[tuple[Job, BulkResult]]:
    """An accepted request: ``sent`` for each number the answer lists, ``failed`` for the rest."""
    listed = _listed(summary, jobs, region)
    results = []
    for job in jobs:
        if listed is None or job.key in listed:
            result = BulkResult(job.recipient, BulkStatus.SENT, summary, index=job.index)
        else:
            result = BulkResult(
                job.recipient, BulkStatus.FAILED, summary, reason=NOT_ACCEPTED, index=job.index
            )
        results.append((job, result))
    return results


def _listed(summary: SmsSummary, jobs: list[Job], region: str) -> set[int] | None:
    """The answer's recipients as journal keys; None when they are all the ones sent (also
    when the answer lists no number but counts them all)."""
    echo = summary.recipients
    if not echo:
        return None if summary.total_contacts == len(jobs) else set()
    if len(echo) == len(jobs) and all(e == j.number for e, j in zip(echo, jobs, strict=True)):
        return None  # echoed as sent, in order (the documented answer)
    return {int(e164[1:]) for number in echo for e164 in echoed(number, region)}


def ended(
    jobs: list[Job], status: BulkStatus, reason: str | None, error: VelstackError | None = None
) -> list[tuple[Job, BulkResult]]:
    """The same end for every job of a request."""
    return [
        (j, BulkResult(j.recipient, status, None, error, reason=reason, index=j.index))
        for j in jobs
    ]


def not_attempted(recipient: str, index: int, reason: str) -> BulkResult:
    """A recipient the campaign stopped before (no request was made for it)."""
    return BulkResult(recipient, BulkStatus.NOT_ATTEMPTED, reason=reason, index=index)
