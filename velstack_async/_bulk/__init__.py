"""Bulk campaigns: a bounded worker pool that sends each recipient's message once.

Modules: `models` (what goes in and out), `campaign` (settings), `source`
(reading and preparing recipients), `journal` (duplicates and crash-safe
resume), `limiter` (shared rate limit), `template`, `engine` (the workers),
`report`, `run` (``send_bulk`` / ``stream_bulk``) and `estimate`.
"""

from .campaign import DEFAULT_KEEP_UNSENT, Campaign, make_campaign
from .engine import SendOne
from .estimate import Estimate, estimate
from .journal import JournalError
from .models import BulkMessage, BulkReport, BulkResult, BulkStatus
from .run import OnResult, send_bulk, stream_bulk
from .source import Recipients

__all__ = [
    "DEFAULT_KEEP_UNSENT",
    "BulkMessage",
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "Campaign",
    "Estimate",
    "JournalError",
    "OnResult",
    "Recipients",
    "SendOne",
    "estimate",
    "make_campaign",
    "send_bulk",
    "stream_bulk",
]
