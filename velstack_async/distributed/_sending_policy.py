"""A distributed campaign's sending policy: stored with the campaign, rebuilt in each worker.

A `SendingPolicy` cannot travel to other machines (its store is a connection, its
clock a function), so `PolicySpec` keeps what rebuilds it: where the store is
(a ``redis://`` URL, or a SQLite path: only for workers on the creating machine),
the send window, the caps. Each worker opens the same store and runs the same
`PolicyAdmission` and `CampaignBudget` as a local campaign; the campaign's
``max_credits`` is reserved in Redis (`RedisTally`), so it holds across workers.
Workers use the real clock (`RedisCampaign.open`'s ``clock`` is for tests).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from attrs import frozen

from .._exceptions import InvalidInputError
from .._policy.limits import Clock
from .errors import CampaignError

if TYPE_CHECKING:
    from .._policy.policy import SendingPolicy
    from ._store import Store

__all__ = ["PolicySpec", "RedisTally"]

_MICRO = Decimal(1_000_000)
_URL = ("redis://", "rediss://", "unix://")
_PASSWORD = re.compile(r"//[^@/]*:[^@/]*@")
#: The store is the campaign's own Redis (the URL a worker opened the campaign with).
_CAMPAIGN = "campaign"


@frozen
class PolicySpec:
    """What rebuilds a campaign's `SendingPolicy` in any worker (stored in its meta hash)."""

    #: A ``redis://`` URL, an absolute SQLite path, or "campaign" (the campaign's Redis).
    store: str
    #: (start, end, IANA zone or None) as ``HH:MM``.
    send_window: tuple[str, str, str | None] | None
    max_credits_per_day: int | None
    #: (messages, per seconds)
    frequency: tuple[int, float] | None
    idempotency_ttl: float

    @classmethod
    def of(cls, policy: SendingPolicy, campaign_url: str) -> PolicySpec:
        """The spec of ``policy`` (given as a path or URL); `InvalidInputError` if it cannot
        be shipped. A SQLite store warns: only workers on this machine can reach it."""
        spec = policy.spec
        if spec is None:
            raise InvalidInputError(
                "a distributed campaign's policy needs its store given as a redis:// URL (or "
                "a SQLite path), not a store object: every worker opens it again"
            )
        if spec == campaign_url:
            store = _CAMPAIGN
        elif spec.startswith(_URL):
            if _PASSWORD.search(spec):
                raise InvalidInputError(
                    "the policy store's URL holds a password, and a campaign's settings are "
                    "readable in its Redis: use the campaign's own Redis URL for the policy"
                )
            store = spec
        else:
            store = os.path.abspath(spec)
            warnings.warn(
                f"the sending policy's store is a SQLite file ({store}): only workers on "
                "this machine can reach it; use a redis:// URL for workers on other machines",
                UserWarning,
                stacklevel=3,
            )
        window = policy.send_window
        zone = None if window is None else window.timezone
        if zone is not None and not isinstance(zone, ZoneInfo):
            raise InvalidInputError(
                "a distributed campaign's SendWindow timezone must be an IANA name "
                "(such as 'Africa/Accra'), not a fixed tzinfo"
            )
        cap = policy.frequency_cap
        return cls(
            store,
            None
            if window is None
            else (
                f"{window.start:%H:%M}",
                f"{window.end:%H:%M}",
                None if zone is None else zone.key,
            ),
            policy.max_credits_per_day,
            None if cap is None else (cap.messages, cap.per.total_seconds()),
            policy.idempotency_ttl.total_seconds(),
        )

    def to_meta(self) -> dict[str, str]:
        meta = {"policy_store": self.store, "policy_ttl": repr(self.idempotency_ttl)}
        if self.send_window is not None:
            start, end, zone = self.send_window
            meta["policy_window"] = f"{start}-{end}" + ("" if zone is None else f" {zone}")
        if self.max_credits_per_day is not None:
            meta["policy_daily"] = str(self.max_credits_per_day)
        if self.frequency is not None:
            meta["policy_frequency"] = f"{self.frequency[0]} {self.frequency[1]!r}"
        return meta

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> PolicySpec | None:
        if "policy_store" not in meta:
            return None
        window: tuple[str, str, str | None] | None = None
        if "policy_window" in meta:
            hours, _, zone = meta["policy_window"].partition(" ")
            start, end = hours.split("-")
            window = (start, end, zone or None)
        frequency = None
        if "policy_frequency" in meta:
            messages, per = meta["policy_frequency"].split()
            frequency = (int(messages), float(per))
        daily = meta.get("policy_daily")
        return cls(
            meta["policy_store"],
            window,
            None if daily is None else int(daily),
            frequency,
            float(meta["policy_ttl"]),
        )

    def build(self, campaign_url: str, clock: Clock | None = None) -> SendingPolicy:
        """The policy, with its store opened (this process's connection)."""
        from .._policy.limits import FrequencyCap
        from .._policy.policy import SendingPolicy
        from .._policy.window import SendWindow

        store = campaign_url if self.store == _CAMPAIGN else self.store
        if not store.startswith(_URL) and not os.path.exists(store):
            raise CampaignError(
                f"the campaign's sending-policy store is a SQLite file that is not on this "
                f"machine ({store}): its suppression list would be empty here. Run workers "
                "on the machine that created the campaign, or create it with a redis:// store"
            )
        window = self.send_window
        cap = self.frequency
        return SendingPolicy(
            store,
            send_window=None if window is None else SendWindow(*window),
            max_credits_per_day=self.max_credits_per_day,
            frequency_cap=None if cap is None else FrequencyCap(cap[0], timedelta(seconds=cap[1])),
            idempotency_ttl=timedelta(seconds=self.idempotency_ttl),
            clock=clock,
        )


class RedisTally:
    """A distributed campaign's ``max_credits`` reservations, shared by every worker (the
    campaign's counters in Redis; `_policy.campaign.Tally`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def take(self, credits: float, cap: float) -> float | None:
        reserved, left = await self.store.run("BUDGET", _micro(credits), _micro(cap))
        return None if int(reserved) else float(Decimal(int(left)) / _MICRO)

    async def add(self, credits: float) -> None:
        if credits:
            await self.store.run("SPEND", _micro(credits))


def _micro(credits: float) -> int:
    return int(Decimal(repr(credits)) * _MICRO)
