"""A campaign under a `SendingPolicy`: the engine's `Admission` and `Budget` ports.

`PolicyAdmission` gives each recipient its verdict before any request: skipped
when suppressed or over the frequency cap (marketing), deferred until its send
window opens (marketing). `CampaignBudget` reserves each request's credits from
``max_credits`` (this campaign) and the policy's ``max_credits_per_day`` (the
store's last 24 hours, every process) before it is made.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, TypedDict

from .._bulk.models import BulkResult, BulkStatus
from .._bulk.options import CampaignOptions
from .._bulk.ports import Admission, AdmissionVerdict, Admit, Budget, Job
from .._phone import DEFAULT_REGION
from . import reasons
from .limits import Category
from .records import Admission as StoreAdmission

if TYPE_CHECKING:
    from .policy import SendingPolicy

__all__ = ["CampaignBudget", "CampaignPorts", "LocalTally", "PolicyAdmission", "Tally"]
__all__ += ["campaign_ports"]

_SEND = AdmissionVerdict(Admit.SEND)
#: Results whose message certainly did not go out: their frequency count is given back.
_NOT_SENT = frozenset({BulkStatus.FAILED, BulkStatus.NOT_ATTEMPTED})
_SUPPRESSED = AdmissionVerdict(Admit.SKIP, reasons.SUPPRESSED)


class PolicyAdmission:
    """The policy's verdict on each recipient of a campaign (`_bulk.ports.Admission`)."""

    def __init__(self, policy: SendingPolicy, category: Category, region: str) -> None:
        self.policy = policy
        self.marketing = category == "marketing"
        self.region = region
        cap = policy.frequency_cap if self.marketing else None
        self._frequency = None if cap is None else (cap.messages, cap.per.total_seconds())
        self._capped = None if cap is None else AdmissionVerdict(
            Admit.SKIP, reasons.frequency_capped(cap)
        )  # fmt: skip
        #: Recipients counted against the frequency cap, not yet reported: index -> (token,
        #: number). Those reported not sent are given back at `finish`.
        self._counted: dict[int, tuple[str, str]] = {}
        self._unsent: defaultdict[str, list[str]] = defaultdict(list)

    def now(self) -> datetime:
        return self.policy.now()

    async def admit(self, jobs: list[Job]) -> list[AdmissionVerdict]:
        now = self.policy.now()
        verdicts: list[AdmissionVerdict | None] = [None] * len(jobs)
        window = self.policy.send_window if self.marketing else None
        if window is not None:
            from .window import zones_of

            for i, job in enumerate(jobs):
                opens = window.opens_at(now, zones_of("+" + str(job.key), self.region))
                if opens is not None:
                    verdicts[i] = AdmissionVerdict(
                        Admit.DEFER, reasons.outside_window(opens), opens
                    )
        screened = [i for i, v in enumerate(verdicts) if v is None]
        numbers = ["+" + str(jobs[i].key) for i in screened]
        store, token = self.policy.store, uuid.uuid4().hex
        if self._frequency is None and store.local_reads:  # a read: no thread hop
            found = store.screen(numbers, token, now.timestamp(), None)
        else:
            found = await self.policy.run(
                store.screen, numbers, token, now.timestamp(), self._frequency
            )
        for i, verdict in zip(screened, found, strict=True):
            if verdict == "suppressed":
                verdicts[i] = _SUPPRESSED
            elif verdict == "capped":
                assert self._capped is not None
                verdicts[i] = self._capped
            else:
                verdicts[i] = _SEND
                if self._frequency is not None:
                    self._counted[jobs[i].index] = (token, "+" + str(jobs[i].key))
        return [v if v is not None else _SEND for v in verdicts]

    def ended(self, result: BulkResult) -> None:
        counted = self._counted.pop(result.index, None) if self._counted else None
        if counted is not None and result.status in _NOT_SENT:
            self._unsent[counted[0]].append(counted[1])

    async def finish(self) -> None:
        """Give back the frequency counts of recipients certainly not sent."""
        unsent, self._unsent = self._unsent, defaultdict(list)
        for token, numbers in unsent.items():
            await self.policy.run(self.policy.store.release, token, numbers)


class Tally(Protocol):
    """Where a campaign's ``max_credits`` reservations add up: this process (`LocalTally`)
    or every worker of a distributed campaign (a Redis counter)."""

    async def take(self, credits: float, cap: float) -> float | None:
        """Reserve ``credits`` if the total stays within ``cap``: None; else the credits
        left (nothing reserved)."""
        ...

    async def add(self, credits: float) -> None:
        """Add ``credits`` (negative: give back) to what is reserved."""
        ...


class LocalTally:
    """One process's reservations (`Tally`)."""

    def __init__(self) -> None:
        self.reserved = 0.0

    async def take(self, credits: float, cap: float) -> float | None:
        left = cap - self.reserved
        if credits > left:
            return left
        self.reserved += credits
        return None

    async def add(self, credits: float) -> None:
        self.reserved += credits


class CampaignBudget:
    """Credits reserved before each request (`_bulk.ports.Budget`): all of a request's or none.

    ``max_credits`` caps this campaign (reserved in ``tally``: this process's by default,
    a distributed campaign's in Redis); the policy's ``max_credits_per_day`` (if any)
    caps the store's last 24 hours, reserved there (shared by every process).
    """

    def __init__(
        self, max_credits: int | None, policy: SendingPolicy | None, tally: Tally | None = None
    ) -> None:
        self.max_credits = max_credits
        self.tally: Tally = tally or LocalTally()
        self._policy = policy if policy is not None and policy.max_credits_per_day else None
        #: Store reservations not yet settled, by their credits.
        self._tokens: defaultdict[float, list[str]] = defaultdict(list)

    async def reserve(self, count: int, credits_each: int) -> int:
        credits = float(count * credits_each)
        capped = self.max_credits is not None and credits > 0
        if capped:
            assert self.max_credits is not None
            left = await self.tally.take(credits, float(self.max_credits))
            if left is not None:
                return _fitting(left, count, credits_each)
        if self._policy is not None and count:
            fits = await self._policy.run(self._reserve_daily, count, credits_each)
            if fits < count:
                if capped:
                    await self.tally.add(-credits)
                return int(fits)
        return count

    def _reserve_daily(self, count: int, credits_each: int) -> int:
        """The day's cap in the store (blocking: run in a worker thread)."""
        policy = self._policy
        assert policy is not None
        assert policy.max_credits_per_day is not None
        token, credits = uuid.uuid4().hex, float(count * credits_each)
        now = policy.now().timestamp()
        verdict = policy.store.admit(
            StoreAdmission(token, (), credits, now, float(policy.max_credits_per_day), None)
        )
        if verdict.admitted:
            self._tokens[credits].append(token)
            return count
        left = policy.max_credits_per_day - verdict.spent
        return min(count - 1, _fitting(left, count, credits_each)) if credits_each else count

    async def settle(self, reserved: int, used: Decimal | int) -> None:
        if self.max_credits is not None:
            await self.tally.add(float(used) - reserved)
        tokens = self._tokens.get(float(reserved))
        if self._policy is not None and tokens:
            token = tokens.pop()
            await self._policy.run(
                self._policy.store.settle, token, (), float(used) if used else None
            )


def _fitting(left: float, count: int, credits_each: int) -> int:
    """How many of ``count`` recipients at ``credits_each`` fit in ``left`` credits."""
    return min(count, max(int(left // credits_each), 0)) if credits_each else count


class CampaignPorts(TypedDict):
    admission: Admission | None
    budget: Budget | None


def campaign_ports(
    policy: SendingPolicy | None, options: CampaignOptions, tally: Tally | None = None
) -> CampaignPorts:
    """The ``admission`` and ``budget`` keywords of a campaign (none without a policy or cap);
    ``tally``: where ``max_credits`` is reserved (default: this process)."""
    admission: PolicyAdmission | None = None
    if policy is not None:
        admission = PolicyAdmission(policy, options.category, options.region or DEFAULT_REGION)
    daily = policy is not None and policy.max_credits_per_day is not None
    capped = options.max_credits is not None or daily
    budget = CampaignBudget(options.max_credits, policy, tally) if capped else None
    return {"admission": admission, "budget": budget}
