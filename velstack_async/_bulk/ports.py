"""The interfaces the campaign engine runs over, and the records that pass through them.

`Delivery` (one request at a time: gate, send, `outcome.decide`, record) and
`Engine` (the workers) know nothing of SQLite or Redis. Local campaigns plug in
the SQLite journal (`JournalLedger`), the pacer and limiters (`LocalGate`) and
the input `Source`; a distributed chunk plugs in its Redis claims, pause gate and
chunk entries (``velstack_async.distributed.chunk_source``). The sending policy
adds an `Admission` (per recipient, before any request) and a `Budget` (credits
reserved before each request).

Everything here is public to the package: ``distributed`` imports these names
and nothing private of ``_bulk``.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from attrs import field, frozen

from .._models import SmsSummary
from .models import BulkResult

__all__ = [
    "Admission",
    "Admit",
    "AdmissionVerdict",
    "Budget",
    "Gate",
    "Job",
    "Ledger",
    "SendOne",
    "Ticket",
    "WorkSource",
]

#: Sends one request: ``(numbers, comma-separated, text, sender, title)``.
SendOne = Callable[[str, str, str, str | None], Awaitable[SmsSummary]]


@frozen
class Job:
    """A recipient ready to send: checked number, rendered text."""

    #: The recipient's 0-based position in the campaign's input.
    index: int
    #: The number as it was given.
    recipient: str
    #: The E.164 digits as an int: the journal's key.
    key: int
    #: The number as it is sent.
    number: str
    text: str
    sender: str


@frozen
class Ticket:
    """A gate's permission for one request: the jobs it may carry (a Redis claim may drop
    some that another worker holds) and the pacer's ticket number."""

    jobs: list[Job]
    number: int = 0


class WorkSource(Protocol):
    """Where the engine's work comes from: the local input, or a leased Redis chunk."""

    #: Once set, every recipient still to come is `not_attempted` with this reason.
    stop_reason: str | None

    async def take(self) -> list[Job | BulkResult]:
        """Every job and ready result prepared so far (reading more if none); [] at the end."""
        ...


class Gate(Protocol):
    """The campaign's rate and pause gate, shared by its workers."""

    #: Seconds of waits ``set_testing`` skipped since the last accepted answer (counted
    #: toward ``stall_timeout`` as if waited).
    skipped: float

    async def acquire(self, jobs: list[Job]) -> Ticket | None:
        """Wait for a request slot for ``jobs``; None when the campaign stopped meanwhile."""
        ...

    async def refused(self, ticket: Ticket, error: Exception) -> bool:
        """A 429 or 503 answered ``ticket``: slow down. True if that is all it takes (paced);
        False: the caller backs off before the next attempt."""
        ...

    def accepted(self, ticket: Ticket) -> None:
        """Velstack answered ``ticket`` (not throttled)."""
        ...


class Ledger(Protocol):
    """The campaign's durable record (the journal) as `Delivery` writes it."""

    async def attempting(self, jobs: list[Job]) -> None:
        """Mark ``jobs`` attempting, durably, before their first request."""
        ...

    async def settle(
        self, results: list[tuple[Job, BulkResult]], summary: SmsSummary | None, requests: int
    ) -> None:
        """Record outcomes (``not_attempted``: back to queued) once ``requests`` requests were
        made for them; durable before they are reported. ``results`` may be empty."""
        ...

    async def release(self, jobs: list[Job]) -> None:
        """A request for ``jobs`` was certainly not processed and will be made again."""
        ...


class Admit(enum.Enum):
    """An `Admission`'s verdict on one recipient."""

    SEND = "send"
    #: Never sent in this campaign (``skipped`` with the verdict's reason).
    SKIP = "skip"
    #: Not now: ``not_attempted`` with the reason, sendable from ``until`` on.
    DEFER = "defer"


@frozen
class AdmissionVerdict:
    """What an `Admission` says of one recipient."""

    verdict: Admit
    reason: str | None = None
    until: datetime | None = field(default=None)


class Admission(Protocol):
    """The sending policy's say on each recipient, before its request (opt-outs, frequency
    caps, send windows). Called once per prepared job, after the journal's duplicate check."""

    async def admit(self, jobs: list[Job]) -> list[AdmissionVerdict]:
        """One verdict per job, in order."""
        ...

    def now(self) -> datetime:
        """The policy's clock (an aware datetime): when a deferred job's ``until`` is due."""
        ...

    def ended(self, result: BulkResult) -> None:
        """Every result of the campaign, as it is reported (a frequency count reserved for a
        recipient that was not sent is given back at `finish`)."""
        ...

    async def finish(self) -> None:
        """The campaign ended: settle what `ended` collected."""
        ...


class Budget(Protocol):
    """Credits reserved before each request (a spend cap). `outcome.split` decides how a
    batch that does not fit is cut: the part that fits goes now."""

    async def reserve(self, count: int, credits_each: int) -> int:
        """Reserve credits for up to ``count`` recipients at ``credits_each``; how many fit."""
        ...

    async def settle(self, reserved: int, used: Decimal | int) -> None:
        """A request's answer: ``used`` credits of the ``reserved`` ones were spent."""
        ...
