"""A distributed campaign's settings: checked once at create time, stored in its meta hash."""

from __future__ import annotations

import math
from collections.abc import Mapping

from attrs import frozen

from .. import _validation as check
from .._bulk.options import CampaignOptions
from .._exceptions import InvalidInputError
from ._loader import plain_text
from ._sending_policy import PolicySpec

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_LEASE", "Settings"]

DEFAULT_CHUNK_SIZE = 500
#: Seconds a chunk stays leased without a heartbeat (heartbeats every third of it).
DEFAULT_LEASE = 30.0
_FIELDS = (
    *("message", "sender", "title", "region", "rate_limit", "request_rate_limit"),
    *("category", "max_credits"),
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
        cls, *, chunk_size: int, lease: float, policy: PolicySpec | None = None, **keywords: object
    ) -> Settings:
        options = CampaignOptions(**keywords)  # type: ignore[arg-type]
        check.count("chunk_size", chunk_size, 1)
        if isinstance(lease, bool) or not isinstance(lease, (int, float)):
            raise InvalidInputError("lease must be a number of seconds")
        if not math.isfinite(lease) or lease < 1:
            raise InvalidInputError(f"lease must be at least 1 second, got {lease!r}")
        return cls(options, chunk_size, float(lease), policy)

    @property
    def plain(self) -> str | None:
        return plain_text(self.options)

    def to_meta(self) -> dict[str, str]:
        o = self.options
        meta = {name: str(getattr(o, name)) for name in _FIELDS if getattr(o, name) is not None}
        meta.update(
            batch_size=str(o.batch_size),
            allow_blank_fields="1" if o.allow_blank_fields else "0",
            wait_for_window="1" if o.wait_for_window else "0",
            chunk_size=str(self.chunk_size),
            lease=str(self.lease),
        )
        if self.policy is not None:
            meta.update(self.policy.to_meta())
        return meta

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> Settings:
        types = {"rate_limit": float, "request_rate_limit": float, "max_credits": int}
        keywords: dict[str, object] = {
            name: types.get(name, str)(meta[name]) for name in _FIELDS if name in meta
        }
        keywords.update(
            batch_size=int(meta["batch_size"]),
            allow_blank_fields=meta.get("allow_blank_fields") == "1",
            wait_for_window=meta.get("wait_for_window", "1") == "1",
            keep_unsent=0,
        )
        return cls.create(
            chunk_size=int(meta["chunk_size"]),
            lease=float(meta["lease"]),
            policy=PolicySpec.from_meta(meta),
            **keywords,
        )
