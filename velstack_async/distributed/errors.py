"""Errors of distributed campaigns."""

from __future__ import annotations

from .._exceptions import VelstackError

__all__ = ["CampaignError", "CampaignFencedError", "CampaignRolledBackError"]


class CampaignError(VelstackError):
    """A distributed campaign cannot be created, opened or run (see the message)."""


class CampaignFencedError(CampaignError):
    """Redis lost the campaign's data (its fencing key is gone): the campaign stops instead
    of sending again what Redis forgot was sent. Run Redis with ``appendonly yes`` and
    ``appendfsync always`` (see the docs, "Scaling out over Redis")."""


class CampaignRolledBackError(CampaignError):
    """Redis came back with fewer writes than a worker had seen (an older snapshot or AOF,
    a promoted replica that missed writes): the campaign stops. Every recipient claimed in a
    worker's claim log that Redis has no result for is reported unknown (resend them only
    with ``resume(resend_unknown=True)``). ``epoch`` and ``life``: where Redis is now (its
    epoch and ``run_id``)."""

    def __init__(self, message: str, *, epoch: int, life: str) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.life = life
