"""`CampaignStop`: a graceful stop a caller asks of a running campaign.

``stop = CampaignStop()``, pass ``stop=stop`` to ``send_campaign`` /
``stream_campaign``, then ``stop.set()`` from anywhere: ``on_result``, a
task, a signal handler, another thread (the sync client's caller). The
campaign then behaves as when it stops by itself (insufficient balance,
``max_failures``): no new request starts, the sends in flight finish and
their results are emitted, every later recipient is emitted ``not_attempted``
with the stop's reason, and the report's ``stopped_reason`` is that reason.

``stop.set(hard=True)`` (or a second `set` with it) aborts instead: the sends
in flight are cut off and reported ``unknown`` (they may have been sent), every
other recipient ``not_attempted``; a rerun with the journal resumes.

Setting it is only a write of its reason, safe from any thread: the engine
looks at it before each request and at least every 50 ms while it waits.
"""

from __future__ import annotations

__all__ = ["STOPPED_BY_CALLER", "CampaignStop"]

STOPPED_BY_CALLER = "stopped by the caller"


class CampaignStop:
    """Ask a running campaign to stop gracefully: `set`. One object per campaign run."""

    __slots__ = ("_reason", "hard")

    def __init__(self) -> None:
        self._reason: str | None = None
        #: Abort: cut off the sends in flight (``unknown``) instead of waiting for them.
        self.hard = False

    def __repr__(self) -> str:
        return f"CampaignStop(reason={self._reason!r}, hard={self.hard})"

    @property
    def reason(self) -> str | None:
        """Why the stop was asked (the first `set` wins), or None."""
        return self._reason

    def is_set(self) -> bool:
        return self._reason is not None

    def set(self, reason: str = STOPPED_BY_CALLER, *, hard: bool = False) -> None:
        """Stop the campaign after its in-flight sends (``hard``: cut them off);
        ``reason`` becomes ``stopped_reason``."""
        if not isinstance(reason, str) or not reason:
            raise TypeError("reason must be a non-empty str")
        if self._reason is None:
            self._reason = reason
        self.hard = self.hard or hard
