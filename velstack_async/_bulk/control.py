"""`CampaignStop`: a graceful stop a caller asks of a running campaign."""

from __future__ import annotations

__all__ = ["STOPPED_BY_CALLER", "CampaignStop"]

STOPPED_BY_CALLER = "stopped by the caller"


class CampaignStop:
    """Ask a running campaign to stop: pass ``stop=CampaignStop()`` to ``send_campaign`` /
    ``stream_campaign``, call ``stop.set()`` from anywhere (``on_result``, a task, a signal
    handler, another thread): no new request starts, the sends in flight finish (``set(hard=
    True)``: cut off, ``unknown``), every later recipient is ``not_attempted`` with the stop's
    reason. Seen before each request and at least every 50 ms. One per campaign run."""

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
        """Stop after the in-flight sends (``hard``: cut them off), with ``reason``."""
        if not isinstance(reason, str) or not reason:
            raise TypeError("reason must be a non-empty str")
        if self._reason is None:
            self._reason = reason
        self.hard = self.hard or hard
