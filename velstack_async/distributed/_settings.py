"""A distributed campaign's settings: checked once at create time, stored in its meta hash."""

from __future__ import annotations

import math
from collections.abc import Mapping

from attrs import frozen

from .. import _validation as check
from .._bulk.options import CampaignOptions
from .._exceptions import InvalidInputError
from ._loader import plain_text

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_LEASE", "Settings"]

DEFAULT_CHUNK_SIZE = 500
#: Seconds a chunk stays leased without a heartbeat (heartbeats every third of it).
DEFAULT_LEASE = 30.0
_FIELDS = ("message", "sender", "title", "region", "rate_limit", "request_rate_limit")


@frozen
class Settings:
    options: CampaignOptions
    chunk_size: int
    lease: float

    @classmethod
    def create(cls, *, chunk_size: int, lease: float, **keywords: object) -> Settings:
        options = CampaignOptions(**keywords)  # type: ignore[arg-type]
        check.count("chunk_size", chunk_size, 1)
        if isinstance(lease, bool) or not isinstance(lease, (int, float)):
            raise InvalidInputError("lease must be a number of seconds")
        if not math.isfinite(lease) or lease < 1:
            raise InvalidInputError(f"lease must be at least 1 second, got {lease!r}")
        return cls(options, chunk_size, float(lease))

    @property
    def plain(self) -> str | None:
        return plain_text(self.options)

    def to_meta(self) -> dict[str, str]:
        o = self.options
        meta = {name: str(getattr(o, name)) for name in _FIELDS if getattr(o, name) is not None}
        meta.update(
            batch_size=str(o.batch_size),
            allow_blank_fields="1" if o.allow_blank_fields else "0",
            chunk_size=str(self.chunk_size),
            lease=str(self.lease),
        )
        return meta

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> Settings:
        floats = ("rate_limit", "request_rate_limit")
        keywords: dict[str, object] = {
            name: (float(meta[name]) if name in floats else meta[name])
            for name in _FIELDS
            if name in meta
        }
        keywords.update(
            batch_size=int(meta["batch_size"]),
            allow_blank_fields=meta.get("allow_blank_fields") == "1",
            keep_unsent=0,
        )
        return cls.create(
            chunk_size=int(meta["chunk_size"]), lease=float(meta["lease"]), **keywords
        )
