"""``velstack campaign status``: the live view in a real terminal, and its one-shot forms."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from typing import Any

import anyio
import pytest

from velstack_async import AsyncVelstack
from velstack_async.distributed import RedisCampaign

from ..reliability.server_process import FakeProcess
from .conftest import API_KEY
from .helpers import check_exact, recipients
from .redis_server import RedisServer
from .terminal import HIDE_CURSOR, SHOW_CURSOR, Terminal

pytestmark = pytest.mark.anyio

CLI = (sys.executable, "-m", "velstack_async.cli")


def rows(screen: str, name: str) -> list[str]:
    """The value of the ``name`` row of every frame the screen showed, in order."""
    return re.findall(rf"│ {re.escape(name)} +│ ([^│]*?) *│", screen)


def count(value: str) -> int:
    return int(value.replace(",", ""))


def environment(redis_url: str) -> dict[str, str]:
    return {**os.environ, "VELSTACK_REDIS_URL": redis_url}


async def test_the_live_view_follows_the_workers_and_exits_when_done(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    # 60 messages at 20/s across the campaign: about 3 s of sending, 2 views a second.
    campaign = await RedisCampaign.create(
        redis_server.url, "live", message="Hi", sender="SHOP", rate_limit=20,
        batch_size=5, chunk_size=20,
    )  # fmt: skip
    command = [*CLI, "campaign", "status", "--redis", redis_server.url, "live"]
    async with campaign:
        await campaign.load(recipients(60, 0))
        with Terminal(command, os.environ.copy()) as screen:
            await anyio.to_thread.run_sync(screen.wait_for, "Queued / in flight", 60)
            async with AsyncVelstack(api_key=API_KEY, base_url=fake.base_url) as client:
                await campaign.run_worker(client, concurrency=2)
            # The view notices the end by itself (nobody presses Ctrl-C).
            code = await anyio.to_thread.run_sync(screen.wait, 30)
        report = await campaign.report()
    check_exact(report, fake, inputs=60, duplicates=0)
    assert report.sent == 60
    assert code == 0, screen.text
    sent = [count(value) for value in rows(screen.text, "Sent")]
    # It started before any send, updated in place as they went, and ended at the total.
    assert sent[0] == 0
    assert sent[-1] == 60
    assert sent == sorted(sent)
    assert len({value for value in sent if 0 < value < 60}) >= 2, sent
    assert [count(value) for value in rows(screen.text, "Inputs")] == [60] * len(sent)
    done = rows(screen.text, "Chunks left (leased)")
    assert done[0].startswith("3 ")
    assert done[-1] == "0 (0)"
    # A live view, not a scroll of tables: the cursor goes up to redraw, and comes back.
    raw = screen.raw
    assert "\x1b[2K" in raw or "\x1b[1A" in raw or "\x1b[A" in raw
    assert raw.rfind(SHOW_CURSOR) > raw.rfind(HIDE_CURSOR) >= 0
    assert "Traceback" not in screen.text


async def test_ctrl_c_leaves_the_live_view_cleanly(redis_server: RedisServer) -> None:
    campaign = await RedisCampaign.create(redis_server.url, "idle", message="Hi", sender="S")
    command = [*CLI, "campaign", "status", "--redis", redis_server.url, "idle"]
    async with campaign:
        await campaign.load(recipients(10, 0))  # loaded, never sent: the view would go on
        with Terminal(command, os.environ.copy()) as screen:
            await anyio.to_thread.run_sync(screen.wait_for, "Queued / in flight", 60)
            screen.process.send_signal(signal.SIGINT)
            code = await anyio.to_thread.run_sync(screen.wait, 30)
    assert code == 130, screen.text
    assert "Traceback" not in screen.text
    raw = screen.raw
    assert raw.rfind(SHOW_CURSOR) > raw.rfind(HIDE_CURSOR) >= 0
    assert rows(screen.text, "Queued / in flight")[0] == "10 / 0"


def velstack(redis_url: str, *args: str) -> str:
    result = subprocess.run(
        [*CLI, *args], env=environment(redis_url), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_once_and_json_match_the_report(redis_server: RedisServer, fake: FakeProcess) -> None:
    campaign = await RedisCampaign.create(
        redis_server.url, "once", message="Hi", sender="SHOP", batch_size=10, chunk_size=40
    )
    async with campaign:
        await campaign.load([*recipients(100, 5), "not a number"])
        # Half of it sent: a campaign in progress (chunks left, numbers queued).
        async with AsyncVelstack(api_key=API_KEY, base_url=fake.base_url) as client:
            assert await campaign.run_chunk(client, 0)
        report = await campaign.report()
        status = await campaign.status()
        url = redis_server.url
        as_json = await anyio.to_thread.run_sync(
            velstack, url, "--json", "campaign", "status", "once"
        )
        table = await anyio.to_thread.run_sync(
            velstack, url, "campaign", "status", "--once", "once"
        )
        reported = await anyio.to_thread.run_sync(
            velstack, url, "--json", "campaign", "report", "once"
        )
        assert status == await campaign.status()  # nothing moved meanwhile
    # The bad number is skipped at load, like a duplicate.
    assert (report.sent, report.skipped, report.failed, report.total) == (40, 6, 0, 106)
    shown: dict[str, Any] = json.loads(as_json)
    assert shown == status
    assert shown["sent"] == report.sent
    assert shown["failed"] == report.failed
    assert shown["skipped"] == report.skipped
    assert shown["unknown"] == report.unknown
    assert shown["queued"] + shown["attempting"] == report.not_attempted == 60
    assert shown["inputs"] == report.total
    assert shown["requests"] == report.requests == 4
    assert (shown["chunks"], shown["chunks_left"], shown["chunks_leased"]) == (3, 2, 0)
    # The table shows the same numbers, once (no live redraw on a pipe).
    assert table.count("Campaign") == 1
    assert "\x1b[" not in table
    assert [count(v) for v in rows(table, "Sent")] == [report.sent]
    assert [count(v) for v in rows(table, "Failed")] == [report.failed]
    assert [count(v) for v in rows(table, "Unknown")] == [report.unknown]
    assert [count(v) for v in rows(table, "Inputs")] == [report.total]
    assert rows(table, "Done") == [f"{report.sent + report.failed + report.skipped}"]
    assert rows(table, "Skipped (duplicates)") == ["6 (5)"]
    assert rows(table, "Requests (429s)") == [f"{report.requests} (0)"]
    assert rows(table, "Queued / in flight") == ["60 / 0"]
    assert rows(table, "Chunks left (leased)") == ["2 (0)"]
    # `report --json` is the same report.
    full = json.loads(reported)
    assert (full["sent"], full["failed"], full["skipped"], full["unknown"]) == (40, 0, 6, 0)
    assert (full["total"], full["not_attempted"], full["requests"]) == (106, 60, 4)
    assert full["credit_used"] == str(report.credit_used)
