"""Errors of distributed campaigns."""

from __future__ import annotations

from .._exceptions import VelstackError

__all__ = ["CampaignError", "CampaignFencedError", "CampaignRolledBackError"]


class CampaignError(VelstackError):
    """A distributed campaign cannot be created, opened or run (see the message)."""


class CampaignFencedError(CampaignError):
    """Redis lost the campaign's data (its fencing key is gone): stop instead of resending."""


class CampaignRolledBackError(CampaignError):
    """Redis came back with fewer writes than a worker had seen: the campaign stops; logged
    claims it lost are unknown. ``epoch``, ``life``: where Redis is now."""

    def __init__(self, message: str, *, epoch: int, life: str) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.life = life
