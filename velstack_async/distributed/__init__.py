"""Distributed campaigns: many worker processes, one campaign in Redis, each message once.

Needs the ``distributed`` extra (``pip install 'velstack-async[distributed]'``).
`RedisCampaign` shares a campaign between workers (plain processes, taskiq or
Celery: see the ``taskiq`` and ``celery`` submodules); `RedisJournal` is the
journal of one ``send_bulk`` kept in Redis instead of SQLite. asyncio only
(redis-py's asyncio client).
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
