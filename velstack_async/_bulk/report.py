"""Building a `BulkReport` as results arrive, in constant memory for ``sent`` results."""

from __future__ import annotations

import time
from collections import OrderedDict
from decimal import Decimal

from .._exceptions import StaleConnectionError
from .._policy.reasons import verdict_of
from .models import BulkReport, BulkResult, BulkStatus

__all__ = ["ReportBuilder"]

#: Summaries remembered to count each request's credit once. The results of one
#: request arrive together (one worker emits them in a row), so a short memory is enough.
_RECENT_SUMMARIES = 4096


class ReportBuilder:
    """Counts every result; keeps the non-sent ones, up to ``keep`` (None: all)."""

    def __init__(self, keep: int | None) -> None:
        self._keep = keep
        self._counts = dict.fromkeys(BulkStatus, 0)
        self._credit_used = Decimal(0)
        self._credit_left: Decimal | None = None
        self._unsent: list[BulkResult] = []
        self._omitted = 0
        self._started = time.monotonic()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._stale = 0
        self._policy = dict.fromkeys(("suppressed", "capped", "deferred"), 0)

    def add(self, result: BulkResult) -> None:
        self._counts[result.status] += 1
        summary = result.summary
        if summary is not None and summary.message_id not in self._recent:
            # A batch's results share its summary: its credit counts once.
            self._recent[summary.message_id] = None
            if len(self._recent) > _RECENT_SUMMARIES:
                self._recent.popitem(last=False)
            self._credit_used += summary.credit_used
            left = summary.credit_left
            # Completion order is not the server's order; the balance only goes down.
            if self._credit_left is None or left < self._credit_left:
                self._credit_left = left
        if result.status is BulkStatus.SENT:
            return
        if result.status is BulkStatus.UNKNOWN and isinstance(result.error, StaleConnectionError):
            self._stale += 1
        elif result.reason is not None and result.error is None:
            verdict = verdict_of(result.reason)
            if verdict is not None:
                self._policy[verdict] += 1
        if self._keep is None or len(self._unsent) < self._keep:
            self._unsent.append(result)
        else:
            self._omitted += 1

    def build(
        self,
        stopped_reason: str | None,
        *,
        requests: int = 0,
        throttled: int = 0,
        settled_rate: float | None = None,
    ) -> BulkReport:
        elapsed = time.monotonic() - self._started
        counts = self._counts
        sent = counts[BulkStatus.SENT]
        return BulkReport(
            total=sum(counts.values()),
            sent=sent,
            failed=counts[BulkStatus.FAILED],
            skipped=counts[BulkStatus.SKIPPED],
            not_attempted=counts[BulkStatus.NOT_ATTEMPTED],
            unknown=counts[BulkStatus.UNKNOWN],
            credit_used=self._credit_used,
            credit_left=self._credit_left,
            elapsed=elapsed,
            messages_per_second=sent / elapsed if elapsed > 0 else 0.0,
            stopped_reason=stopped_reason,
            unsent=tuple(self._unsent),
            unsent_omitted=self._omitted,
            requests=requests,
            throttled=throttled,
            settled_rate=settled_rate,
            unknown_stale=self._stale,
            **self._policy,
        )
