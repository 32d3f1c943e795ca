"""The words of every policy verdict, for single sends (errors) and campaigns (results)."""

from __future__ import annotations

from datetime import datetime

from .limits import FrequencyCap

__all__ = [
    "FREQUENCY_CAP",
    "OUTSIDE_WINDOW",
    "SPEND_CAP",
    "SUPPRESSED",
    "frequency_capped",
    "outside_window",
    "verdict_of",
]

#: A suppressed recipient (a campaign's ``skipped`` reason; counted in ``BulkReport.suppressed``).
SUPPRESSED = "suppressed: the recipient opted out"
#: The start of a frequency-capped recipient's reason (counted in ``BulkReport.capped``).
FREQUENCY_CAP = "frequency cap"
#: The start of a deferred recipient's reason (counted in ``BulkReport.deferred``).
OUTSIDE_WINDOW = "outside the send window"
#: The start of the stop reason when a campaign's credits would pass a spend cap.
SPEND_CAP = "spend cap"


def frequency_capped(cap: FrequencyCap) -> str:
    hours = cap.per.total_seconds() / 3600
    return f"{FREQUENCY_CAP}: already {cap.messages} marketing message(s) in the last {hours:g} h"


def outside_window(opens_at: datetime) -> str:
    """A deferred recipient's reason: ``not_attempted`` until the window opens."""
    return f"{OUTSIDE_WINDOW} (recipient's local time): opens at {opens_at.isoformat()}"


def verdict_of(reason: str) -> str | None:
    """Which policy verdict a result's reason is: the `BulkReport` count it goes to."""
    if reason.startswith(SUPPRESSED):
        return "suppressed"
    if reason.startswith(FREQUENCY_CAP):
        return "capped"
    if reason.startswith(OUTSIDE_WINDOW):
        return "deferred"
    return None
