"""Recipients and checks shared by the distributed tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from velstack_async import BulkReport
from velstack_async.testing import FakeResponse, FakeVelstack

from ..reliability.server_process import FakeProcess, delivered


def recipients(count: int, duplicates: int) -> list[str]:
    """``count`` distinct numbers, then ``duplicates`` of them again in another format."""
    numbers = [f"020{i:07d}" for i in range(count)]
    step = max(1, count // max(duplicates, 1))
    again = [
        f"+233 20 {i:03d} {j:04d}"
        for i, j in ((k // 10_000, k % 10_000) for k in range(0, count, step))
    ]
    return numbers + again[:duplicates]


def check_exact(report: BulkReport, fake: FakeProcess, *, inputs: int, duplicates: int) -> None:
    """The invariants every scenario ends with."""
    log = delivered(fake.log)
    assert all(times == 1 for times in log.values()), "a number was delivered twice"
    assert report.total == inputs
    assert (
        report.sent + report.failed + report.skipped + report.unknown + report.not_attempted
        == inputs
    )
    assert report.skipped == duplicates
    assert report.sent <= len(log) <= report.sent + report.unknown
    # A request in flight when its worker died was charged but its answer never came back:
    # its recipients are unknown, and so is their credit (1 per recipient here).
    charged = Decimal(10**9) - Decimal(fake.stats()["balance"])
    assert report.credit_used <= charged <= report.credit_used + report.unknown
    if not report.unknown:
        assert report.credit_used == charged


#: Answers a quick SMS: its JSON body, and a call that lets the fake answer it instead.
QuickAnswer = Callable[[dict[str, Any], Callable[[], FakeResponse]], FakeResponse]


def on_quick_sms(fake: FakeVelstack, answer: QuickAnswer) -> None:
    """Route every quick SMS the fake receives through ``answer`` (other paths unchanged)."""
    handle = fake.handle

    def handled(
        method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> FakeResponse:
        if not path.startswith("/api/quick/sms"):
            return handle(method, path, headers, body)
        return answer(json.loads(body), lambda: handle(method, path, headers, body))

    fake.handle = handled  # type: ignore[method-assign]
