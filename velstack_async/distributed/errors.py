"""Errors of distributed campaigns."""

from __future__ import annotations

from .._exceptions import VelstackError

__all__ = ["CampaignError", "CampaignFencedError"]


class CampaignError(VelstackError):
    """A distributed campaign cannot be created, opened or run (see the message)."""


class CampaignFencedError(CampaignError):
    """Redis lost the campaign's data (its fencing key is gone): the campaign stops.

    Raised instead of sending again what Redis forgot was sent. Run Redis with
    ``appendonly yes`` and ``appendfsync always`` (see README "Scaling out").
    """
