"""What one send request's answer or failure means for each of its recipients: decided here only.

- accepted (`answered`): each number the answer lists ``sent``, one missing ``failed``.
- certainly not processed (`Action.PACE`: 429, 503; `Action.RETRY`: no connection): sent
  again until nothing was accepted for ``stall_timeout`` seconds (`stalled`).
- 413, or a 422 about the list's size: the batch size halves for good (`Decision.shrink`);
  another 422 about the numbers (or no field), insufficient balance: halves, until the bad
  numbers fail alone (`Action.SPLIT`). A 422 about another field fails the whole batch.
- may have been processed (timeout after sending, 500/502/504, dropped answer): ``unknown``
  (`STALE`: a reused keep-alive connection closed under it), never resent.
- insufficient balance and a refused API key stop the campaign (`Decision.stop`): the rest
  ``not_attempted``; sends cut off by an abort ``unknown`` (`ABORTED`).
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
from .ports import Ended, Job

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
_SIZE_WORDS = ("more than", "greater than", "at most", "too many", "too long")


class Action(enum.Enum):
    """What to do with the recipients of a failed request (see the module's rules)."""

    PACE = "pace"
    RETRY = "retry"
    SPLIT = "split"
    END = "end"


@frozen
class Decision:
    """`Action.SPLIT`: ``size`` first, the batch size ``shrink`` from now on (0: kept); ``stop``."""

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
    if count > 1:  # split: the larger half first
        half, errors = (count + 1) // 2, error.errors if isinstance(error, ValidationError) else {}
        named = [m.lower() for field, ms in errors.items() if "recipient" in field for m in ms]
        # Laravel's ``max`` rule: "must not have more than 1000 items" (a list), "must
        # not be greater than 12000 characters" (a comma string); other gateways' wording.
        if (isinstance(error, APIStatusError) and error.status_code == 413) or any(
            word in m for m in named for word in _SIZE_WORDS
        ):
            return Decision(Action.SPLIT, size=half, shrink=count // 2)
        if isinstance(error, InsufficientBalanceError) or (
            isinstance(error, ValidationError)
            and (not errors or any("recipient" in field for field in errors))
        ):
            return Decision(Action.SPLIT, size=half)
    stop = None
    if isinstance(error, InsufficientBalanceError):
        stop = f"insufficient balance: {error.message}"
    elif isinstance(error, AuthenticationError):
        stop = f"authentication failed: {error.message}"
    return Decision(Action.END, BulkStatus.FAILED, error.message, stop)


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


def answered(jobs: list[Job], summary: SmsSummary, region: str) -> Ended:
    """An accepted request: ``sent`` for each number the answer lists, ``failed`` for the rest
    (all sent when it lists them all, or none but counts them all)."""
    echo = summary.recipients
    listed: set[int] | None = None  # None: all sent (echoed as sent, or counted)
    if not echo:
        listed = None if summary.total_contacts == len(jobs) else set()
    elif len(echo) != len(jobs) or any(e != j.number for e, j in zip(echo, jobs, strict=True)):
        listed = {int(e164[1:]) for number in echo for e164 in echoed(number, region)}
    results = []
    for job in jobs:
        ok = listed is None or job.key in listed
        status, reason = (BulkStatus.SENT, None) if ok else (BulkStatus.FAILED, NOT_ACCEPTED)
        results.append(
            (job, BulkResult(job.recipient, status, summary, reason=reason, index=job.index))
        )
    return results


def ended(
    jobs: list[Job], status: BulkStatus, reason: str | None, error: VelstackError | None = None
) -> Ended:
    """The same end for every job of a request."""
    return [
        (j, BulkResult(j.recipient, status, None, error, reason=reason, index=j.index))
        for j in jobs
    ]


def not_attempted(recipient: str, index: int, reason: str) -> BulkResult:
    """A recipient the campaign stopped before (no request was made for it)."""
    return BulkResult(recipient, BulkStatus.NOT_ATTEMPTED, reason=reason, index=index)
