"""Distributed campaigns: many worker processes, one campaign in Redis, each message once.

`RedisCampaign` (workers: plain processes, or the ``taskiq`` and ``celery`` submodules);
`RedisJournal`, a ``send_bulk`` journal in Redis. Needs the ``distributed`` extra; asyncio.
"""

from .campaign import RedisCampaign
from .errors import CampaignError, CampaignFencedError, CampaignRolledBackError
from .journal import RedisJournal

__all__ = [
    "CampaignError",
    "CampaignFencedError",
    "CampaignRolledBackError",
    "RedisCampaign",
    "RedisJournal",
]
