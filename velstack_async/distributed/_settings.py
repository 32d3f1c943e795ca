"""A distributed campaign's settings: checked once at create time, stored in its meta hash;
`PolicySpec`: what rebuilds its `SendingPolicy` in each worker (store URL, window, caps).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs
from attrs import frozen

from .. import _validation as check
from .._bulk.options import CampaignOptions
from .._exceptions import InvalidInputError
from .._policy.limits import Clock
from .errors import CampaignError

if TYPE_CHECKING:
    from .._policy.policy import SendingPolicy

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_LEASE", "PolicySpec", "Settings"]

DEFAULT_CHUNK_SIZE = 500
#: Seconds a chunk stays leased without a heartbeat (heartbeats every third of it).
DEFAULT_LEASE = 30.0
_TYPES = {"rate_limit": float, "request_rate_limit": float, "max_credits": int}
_FIELDS = ("message", "sender", "title", "region", "category", *_TYPES)
_FLAGS = ("allow_blank_fields", "wait_for_window")
_URL = ("redis://", "rediss://", "unix://")
_PASSWORD = re.compile(r"//[^@/]*:[^@/]*@")
_CAMPAIGN = "campaign"  # the policy store is the campaign's own Redis


@frozen
class PolicySpec:
    """What rebuilds a campaign's `SendingPolicy` in any worker: its ``policy_*`` meta."""

    #: A ``redis://`` URL, an absolute SQLite path, or "campaign" (the campaign's Redis).
    store: str
    #: ``HH:MM-HH:MM``, then `` <IANA zone>`` if it has one.
    window: str | None
    frequency: str | None  # "<messages> <per seconds>"
    daily: str | None
    ttl: str

    @classmethod
    def of(cls, policy: SendingPolicy, campaign_url: str) -> PolicySpec:
        """The spec of ``policy``; `InvalidInputError` if it cannot be shipped."""
        store = policy.spec
        if store is None:
            raise InvalidInputError(
                "a distributed campaign's policy store must be a redis:// URL or a SQLite path"
            )
        if store == campaign_url:
            store = _CAMPAIGN
        elif store.startswith(_URL) and _PASSWORD.search(store):
            raise InvalidInputError(
                "the policy store's URL holds a password (readable in the campaign's Redis): "
                "use the campaign's own Redis URL for the policy"
            )
        elif not store.startswith(_URL):
            store = os.path.abspath(store)
            warnings.warn(
                f"the sending policy's store is a SQLite file ({store}): only workers on "
                "this machine can reach it; use a redis:// URL for workers on other machines",
                stacklevel=3,
            )
        window, cap, daily = policy.send_window, policy.frequency_cap, policy.max_credits_per_day
        zone = window and window.timezone
        if zone is not None and not isinstance(zone, ZoneInfo):
            raise InvalidInputError(
                "a distributed campaign's SendWindow timezone must be an IANA name, not a tzinfo"
            )
        where = f" {zone.key}" if zone else ""
        hours = None if window is None else f"{window.start:%H:%M}-{window.end:%H:%M}{where}"
        frequency = None if cap is None else f"{cap.messages} {cap.per.total_seconds()!r}"
        ttl = repr(policy.idempotency_ttl.total_seconds())
        return cls(store, hours, frequency, None if daily is None else str(daily), ttl)

    def to_meta(self) -> dict[str, str]:
        return {f"policy_{k}": v for k, v in attrs.asdict(self).items() if v is not None}

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> PolicySpec | None:
        fields: Any = {name: meta.get(f"policy_{name}") for name in attrs.fields_dict(cls)}
        return cls(**fields) if "policy_store" in meta else None

    def build(self, campaign_url: str, clock: Clock | None = None) -> SendingPolicy:
        """The policy, with its store opened (this process's connection)."""
        from .._policy.limits import FrequencyCap
        from .._policy.policy import SendingPolicy
        from .._policy.window import SendWindow

        store = campaign_url if self.store == _CAMPAIGN else self.store
        if not store.startswith(_URL) and not os.path.exists(store):
            raise CampaignError(
                f"the campaign's sending-policy store, a SQLite file, is not on this machine "
                f"({store}): run workers where it is, or use a redis:// store"
            )
        hours, _, zone = (self.window or "").partition(" ")
        start, _, end = hours.partition("-")
        window = SendWindow(start, end, zone or None) if hours else None
        messages, _, per = (self.frequency or "").partition(" ")
        cap = FrequencyCap(int(messages), timedelta(seconds=float(per))) if messages else None
        return SendingPolicy(
            store,
            send_window=window,
            max_credits_per_day=None if self.daily is None else int(self.daily),
            frequency_cap=cap,
            idempotency_ttl=timedelta(seconds=float(self.ttl)),
            clock=clock,
        )


@frozen
class Settings:
    options: CampaignOptions
    chunk_size: int
    lease: float
    #: The sending policy every worker rebuilds (None: no policy).
    policy: PolicySpec | None = None

    @classmethod
    def create(
        cls, options: CampaignOptions, chunk_size: int, lease: float, policy: PolicySpec | None
    ) -> Settings:
        check.count("chunk_size", chunk_size, 1)
        if check.positive("lease", lease, "seconds") < 1:
            raise InvalidInputError(f"lease must be at least 1 second, got {lease!r}")
        return cls(options, chunk_size, float(lease), policy)

    @property
    def plain(self) -> str | None:
        """The text every recipient gets when the message has no placeholder, else None."""
        template = self.options.template
        return template.render({}) if template is not None and template.static else None

    def to_meta(self) -> dict[str, str]:
        o = self.options
        meta = {name: str(getattr(o, name)) for name in _FIELDS if getattr(o, name) is not None}
        meta |= {flag: "1" if getattr(o, flag) else "0" for flag in _FLAGS}
        meta |= {"batch_size": str(o.batch_size), "chunk_size": str(self.chunk_size)}
        return {**meta, "lease": str(self.lease), **(self.policy.to_meta() if self.policy else {})}

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> Settings:
        options = CampaignOptions(
            **{name: _TYPES.get(name, str)(meta[name]) for name in _FIELDS if name in meta},
            batch_size=int(meta["batch_size"]),
            allow_blank_fields=meta.get("allow_blank_fields") == "1",
            wait_for_window=meta.get("wait_for_window", "1") == "1",
            keep_unsent=0,
        )
        spec = PolicySpec.from_meta(meta)
        return cls.create(options, int(meta["chunk_size"]), float(meta["lease"]), spec)
