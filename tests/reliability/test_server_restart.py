"""The server process is killed (SIGKILL) in the middle of a campaign.

The fake's state dies with its process, so the fake used here
(``fake_child.py``) appends every recipient it accepts to a log file that
outlives it; a new server on the same port appends to the same log. That log
is the truth about who got the message, across both lives of the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import anyio
import pytest

from velstack_async import AsyncVelstack, BulkReport, BulkResult, BulkStatus

from .server_process import FakeProcess, delivered, free_port

pytestmark = pytest.mark.stress

COUNT, CONCURRENCY = 3000, 32
#: (batch_size, concurrency): one request per recipient, and batched. The bound on the
#: unknowns is in requests in flight, so batched it is ``concurrency x batch_size``
#: (issue 14); sizes small enough that the bound is far below ``COUNT``.
SIZES = {"batch_size=1": (1, CONCURRENCY), "batched": (20, 16)}
KEY = "vs_test_restart_41c9"
#: Seconds without an accepted send after which the campaign against a dead server stops.
STALL_TIMEOUT = 2.0
MESSAGE = "Your order has shipped"
RECIPIENTS = [f"020{i:07d}" for i in range(COUNT)]


class Campaign:
    """Runs the campaign with a journal, remembering each recipient's result."""

    def __init__(
        self,
        base_url: str,
        journal: Path,
        *,
        batch_size: int = 100,
        concurrency: int = CONCURRENCY,
        stall_timeout: float = 600.0,
    ) -> None:
        self.base_url = base_url
        self.journal = journal
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stall_timeout = stall_timeout
        self.results: dict[str, BulkStatus] = {}

    def _record(self, result: BulkResult) -> None:
        self.results[result.recipient] = result.status

    def of(self, status: BulkStatus) -> set[str]:
        return {r for r, s in self.results.items() if s is status}

    async def run(self) -> BulkReport:
        async with AsyncVelstack(api_key=KEY, base_url=self.base_url, timeout=5) as client:
            with anyio.fail_after(120):  # "does not hang"
                return await client.sms.send_bulk(
                    RECIPIENTS,
                    message=MESSAGE,
                    sender="VELSTACK",
                    concurrency=self.concurrency,
                    batch_size=self.batch_size,
                    stall_timeout=self.stall_timeout,
                    journal=self.journal,
                    on_result=self._record,
                )


async def run_while(
    background: Callable[[], Coroutine[Any, Any, None]], campaign: Campaign
) -> BulkReport:
    """Run the campaign with ``background`` running alongside."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(background)
        report = await campaign.run()
    return report  # noqa: RET504 (a return inside the task group: mypy sees no return)


async def kill_when_a_third_is_delivered(server: FakeProcess) -> None:
    """Poll the log (another process writes it: there is nothing to wait on), then kill."""
    while server.delivered_count() < COUNT // 3:  # noqa: ASYNC110
        await anyio.sleep(0.005)
    server.kill()


def check_exactly_once(log: Path, sent: set[str], unknown: set[str]) -> None:
    got = delivered(log)
    assert max(got.values()) == 1, "a recipient got the message twice"
    assert sent <= set(got)
    assert set(got) - sent <= unknown
    assert sent | unknown == set(RECIPIENTS)


@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
def test_killed_and_restarted_mid_campaign(tmp_path: Path, sizes: tuple[int, int]) -> None:
    """The campaign rides out the restart (sends refused meanwhile are retried); the ones in
    flight when it died are unknown; a resume sends nothing twice."""
    batch_size, concurrency = sizes
    log, port = tmp_path / "delivered.log", free_port()
    with contextlib.ExitStack() as lives:
        first = lives.enter_context(FakeProcess(port, KEY, log, latency_jitter=0.02))
        campaign = Campaign(
            first.base_url,
            tmp_path / "campaign.journal",
            batch_size=batch_size,
            concurrency=concurrency,
        )
        restarted: list[FakeProcess] = []

        async def restart() -> None:
            await kill_when_a_third_is_delivered(first)
            await anyio.sleep(1.0)  # down for a while: sends are refused
            second = await anyio.to_thread.run_sync(lambda: FakeProcess(port, KEY, log))
            restarted.append(lives.enter_context(second))

        report = anyio.run(run_while, restart, campaign)
        sent, unknown = campaign.of(BulkStatus.SENT), campaign.of(BulkStatus.UNKNOWN)
        print(f"\nkilled and restarted: {report}")
        assert len(restarted) == 1
        assert first.process.returncode == -9
        assert report.total == COUNT
        assert report.sent + report.unknown == COUNT, report  # nothing failed for good
        # The requests in flight (or on a dead pooled link), each with up to batch_size.
        assert 0 < report.unknown <= 2 * concurrency * batch_size
        check_exactly_once(log, sent, unknown)

        again = Campaign(
            restarted[0].base_url,
            campaign.journal,
            batch_size=batch_size,
            concurrency=concurrency,
        )
        resumed = anyio.run(again.run)
        assert resumed.sent == 0
        assert again.of(BulkStatus.SKIPPED) == sent  # already sent
        assert again.of(BulkStatus.UNKNOWN) == unknown  # not resent blindly
        check_exactly_once(log, sent, unknown)


@pytest.mark.usefixtures("instant_retries")
def test_killed_for_good_then_resumed_on_a_new_server(tmp_path: Path) -> None:
    """With the server gone, the campaign stops by itself (it does not hang) and says why;
    resuming its journal against a new server sends the rest, each exactly once."""
    log, port = tmp_path / "delivered.log", free_port()
    journal = tmp_path / "campaign.journal"
    with FakeProcess(port, KEY, log, latency_jitter=0.02) as first:
        # A short stall timeout: the default (600 s) is for a real outage, not a test.
        # Batches small enough that some are answered before the kill.
        batch_size, concurrency = SIZES["batched"]
        campaign = Campaign(
            first.base_url,
            journal,
            batch_size=batch_size,
            concurrency=concurrency,
            stall_timeout=STALL_TIMEOUT,
        )
        report = anyio.run(run_while, lambda: kill_when_a_third_is_delivered(first), campaign)
    print(f"\nkilled for good: {report}")
    # Stopped by the stall timeout, naming the connection error it met.
    assert "kept refusing sends: nothing accepted for" in (report.stopped_reason or "")
    assert "APIConnectionError" in (report.stopped_reason or "")
    assert report.total == COUNT
    assert report.sent > 0
    assert report.failed + report.not_attempted > 0
    assert report.sent + report.unknown + report.failed + report.not_attempted == COUNT
    sent, unknown = campaign.of(BulkStatus.SENT), campaign.of(BulkStatus.UNKNOWN)

    with FakeProcess(port, KEY, log) as second:
        again = Campaign(second.base_url, journal)
        resumed = anyio.run(again.run)
    print(f"resumed: {resumed}")
    assert resumed.stopped_reason is None
    assert resumed.sent == report.failed + report.not_attempted
    assert again.of(BulkStatus.SKIPPED) == sent
    assert again.of(BulkStatus.UNKNOWN) == unknown
    check_exactly_once(log, sent | again.of(BulkStatus.SENT), unknown)
