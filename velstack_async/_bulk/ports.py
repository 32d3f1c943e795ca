"""The interfaces the campaign engine runs over (local, Redis and the sending policy's) and the
records through them: ``distributed`` imports these, nothing private of ``_bulk``.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from attrs import frozen

from .._models import SmsSummary
from .models import BulkResult

__all__ = [
    "Admission",
    "Admit",
    "AdmissionVerdict",
    "Budget",
    "Ended",
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
    """A recipient ready to send: its input position, the number as given, its journal key
    (the E.164 digits as an int), the number as sent, the rendered text and the sender."""

    index: int
    recipient: str
    key: int
    number: str
    text: str
    sender: str


#: Each job of a request with its result.
Ended = list[tuple[Job, BulkResult]]


@frozen
class Ticket:
    """A gate's permission for one request: its jobs (a Redis claim may drop some), a number."""

    jobs: list[Job]
    number: int = 0


class WorkSource(Protocol):
    """Where the engine's work comes from: `take` the next jobs and ready results ([] at the
    end); ``stop_reason`` once set: the rest `not_attempted`."""

    stop_reason: str | None

    async def take(self) -> list[Job | BulkResult]: ...


class Gate(Protocol):
    """The rate and pause gate: `acquire` a request slot (None: the campaign stopped meanwhile);
    `refused`: a 429 or 503 answered, slow down (False: the caller backs off too).
    ``skipped``: waits ``set_testing`` skipped since an accept."""

    skipped: float

    async def acquire(self, jobs: list[Job]) -> Ticket | None: ...
    async def refused(self, ticket: Ticket, error: Exception) -> bool: ...
    def accepted(self, ticket: Ticket) -> None: ...


class Ledger(Protocol):
    """The campaign's durable record, written before each request and each report: `settle`
    the outcomes (``not_attempted``: queued again, may be []) of ``requests`` requests;
    `release` jobs whose request was certainly not processed and will be made again."""

    async def attempting(self, jobs: list[Job]) -> None: ...
    async def settle(self, results: Ended, summary: SmsSummary | None, requests: int) -> None: ...
    async def release(self, jobs: list[Job]) -> None: ...


class Admit(enum.Enum):
    """An `Admission`'s verdict: send, skip (``skipped``), defer (until the verdict's ``until``)."""

    SEND = "send"
    SKIP = "skip"
    DEFER = "defer"


@frozen
class AdmissionVerdict:
    verdict: Admit
    reason: str | None = None
    until: datetime | None = None


class Admission(Protocol):
    """The sending policy's verdict on each new recipient (opt-outs, caps, send windows).
    `now`: its clock (aware), when a deferred job's ``until`` is due; `ended`: every result,
    as reported (what was counted for one not sent is given back)."""

    async def admit(self, jobs: list[Job]) -> list[AdmissionVerdict]: ...
    def now(self) -> datetime: ...
    def ended(self, result: BulkResult) -> None: ...
    async def finish(self) -> None: ...


class Budget(Protocol):
    """Credits reserved before each request (a spend cap): what fits is sent first. `reserve`
    for up to ``count`` recipients at ``credits_each`` says how many fit; `settle`: ``used``
    credits of the ``reserved`` ones were spent."""

    async def reserve(self, count: int, credits_each: int) -> int: ...
    async def settle(self, reserved: int, used: Decimal | int) -> None: ...
