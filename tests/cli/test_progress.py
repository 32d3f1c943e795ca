"""The live progress bar of `velstack bulk` adds up what Velstack reported."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from velstack_async import BulkResult, BulkStatus, SmsSummary
from velstack_async.cli.bulkrun import _STATS, _increments
from velstack_async.cli.output import LiveProgress


def _batch(size: int, credits_each: int) -> list[BulkResult]:
    numbers = tuple(f"020555{i:04d}" for i in range(size))
    summary = SmsSummary(
        message_id=f"m{size}",
        type="quick",
        message="Hi",
        sender="SHOP",
        total_contacts=size,
        recipients=numbers,
        credit_used=Decimal(size * credits_each),
        credit_left=Decimal(1000),
    )
    return [BulkResult(n, BulkStatus.SENT, summary, index=i) for i, n in enumerate(numbers)]


def test_a_batch_credits_are_counted_once_not_once_per_recipient() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    results = _batch(100, 1) + _batch(3, 2) + _batch(1, 3)  # 100 + 6 + 3 credits
    with LiveProgress(console, description="Sending", total=len(results), stats=_STATS) as bar:
        for result in results:
            bar.done(**_increments(result))
    last = out.getvalue().rsplit("Sending", 1)[-1]
    assert "104 sent" in last
    assert "109 credits" in last, last
