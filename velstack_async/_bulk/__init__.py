"""Bulk campaigns: a bounded worker pool that sends each recipient's message once."""

from typing import TYPE_CHECKING

from .control import STOPPED_BY_CALLER, CampaignStop
from .estimate import Estimate, estimate
from .journal import JournalError, JournalOpener, JournalStore
from .models import BulkMessage, BulkReport, BulkResult, BulkStatus
from .options import DEFAULT_BATCH_SIZE, DEFAULT_KEEP_UNSENT, DEFAULT_STALL_TIMEOUT, CampaignOptions

# The engine (workers, batching, pacing, delivery) loads when a campaign first runs.
if TYPE_CHECKING:
    from .engine import SendOne
    from .run import OnResult, send_bulk, stream_bulk
    from .source import Recipients
else:
    from .._lazy import exports

    __getattr__, __dir__ = exports(
        __name__,
        {
            "SendOne": ".engine",
            "OnResult": ".run",
            "send_bulk": ".run",
            "stream_bulk": ".run",
            "Recipients": ".source",
        },
    )

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_KEEP_UNSENT",
    "DEFAULT_STALL_TIMEOUT",
    "STOPPED_BY_CALLER",
    "BulkMessage",
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "CampaignOptions",
    "CampaignStop",
    "Estimate",
    "JournalError",
    "JournalOpener",
    "JournalStore",
    "OnResult",
    "Recipients",
    "SendOne",
    "estimate",
    "send_bulk",
    "stream_bulk",
]
