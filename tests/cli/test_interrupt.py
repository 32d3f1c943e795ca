"""Ctrl-C on a large campaign, as a real process against the fake served on loopback.

Every count in the summary must match what the fake received and what the
journal holds, and ``--failed-out`` must list exactly the rows not sent.
Ctrl-C exits 130 with one line, never a traceback, on every Python.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.distributed.redis_server import REDIS_SERVER, RedisServer
from velstack_async._bulk.outcome import ABORTED
from velstack_async.testing import FakeVelstack

from .conftest import VELSTACK

ROWS = 20_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phone_number", "first_name"])
        writer.writerows([f"024{1_000_000 + i:07d}", f"N{i}"] for i in range(ROWS))
    return path


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeVelstack, str]]:
    fake = FakeVelstack(seed=13)
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


def journal_counts(path: Path) -> dict[str, int]:
    names = {0: "queued", 1: "attempting", 2: "sent", 3: "failed", 4: "unknown"}
    with closing(sqlite3.connect(path)) as conn:  # `with connect()` alone never closes it
        rows = conn.execute("SELECT state, count(*) FROM recipients GROUP BY state").fetchall()
    counts = dict.fromkeys(names.values(), 0)
    counts.update({names[state]: count for state, count in rows})
    return counts


def run_and_interrupt(
    fake: FakeVelstack,
    base_url: str,
    source: Path,
    tmp_path: Path,
    *,
    presses: int,
    message: str = "Hi {first_name}",
    concurrency: int = 32,
) -> tuple[dict[str, Any], str, str, Path, Path]:
    api_key = fake.add_account(balance=100_000)
    journal, failed_out = tmp_path / "campaign.journal", tmp_path / "failed.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELSTACK_")}
    args = [
        str(VELSTACK),
        "--json",
        "--api-key",
        api_key,
        "--base-url",
        base_url,
        "bulk",
        str(source),
        "--message",
        message,
        "--sender",
        "Shop",
        "--journal",
        str(journal),
        "--failed-out",
        str(failed_out),
        "--concurrency",
        str(concurrency),
    ]
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while len(fake.messages_for(api_key)) < 300 and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    for press in range(presses):
        if press:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    return json.loads(out), api_key, err, journal, failed_out


def failed_out_numbers(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return [row["phone_number"] for row in csv.DictReader(handle)]


def as_sent(number: str) -> str:
    return "+233" + number[1:]


def test_one_ctrl_c_reports_what_was_really_sent(
    fake: tuple[FakeVelstack, str], big_csv: Path, tmp_path: Path
) -> None:
    served, base_url = fake
    report, api_key, err, journal, failed_out = run_and_interrupt(
        served, base_url, big_csv, tmp_path, presses=1
    )
    received = {m.recipient for m in served.messages_for(api_key)}
    counts = journal_counts(journal)
    assert report["interrupted"] == "stopped"
    assert report["sent"] == len(received) == counts["sent"]
    assert report["unknown"] == 0 == counts["unknown"] + counts["attempting"]
    assert report["failed"] == report["skipped"] == 0
    assert report["not_attempted"] == ROWS - report["sent"] > 15_000
    assert report["total"] == ROWS
    assert report["credit_used"] == str(report["sent"])
    # --failed-out: every row not sent, and none that was.
    numbers = failed_out_numbers(failed_out)
    assert len(numbers) == report["not_attempted"] == report["failed_out_rows"]
    assert not received & {as_sent(n) for n in numbers}
    assert f"{report['not_attempted']:,} rows not sent written to" in err


def test_two_ctrl_c_report_the_unknown_ones_from_the_journal(
    fake: tuple[FakeVelstack, str], big_csv: Path, tmp_path: Path
) -> None:
    served, base_url = fake
    served.faults.latency = 0.3  # many sends in flight when the second Ctrl-C cuts them off
    try:
        report, api_key, err, journal, failed_out = run_and_interrupt(
            served, base_url, big_csv, tmp_path, presses=2
        )
    finally:
        served.faults.latency = 0.0
    time.sleep(0.5)  # requests cut off client-side may still be finishing on the server
    received = {m.recipient for m in served.messages_for(api_key)}
    counts = journal_counts(journal)
    assert report["interrupted"] == "aborted"
    assert report["sent"] == counts["sent"]
    assert report["unknown"] == counts["unknown"] + counts["attempting"] > 0
    assert report["sent"] <= len(received) <= report["sent"] + report["unknown"]
    assert report["not_attempted"] == ROWS - report["sent"] - report["unknown"]
    # The engine's own report of every row (the CLI keeps no second accounting).
    reasons = {(r["status"], r["reason"]) for r in report["reasons"]}
    assert reasons == {("unknown", ABORTED), ("not_attempted", "interrupted (Ctrl-C)")}
    assert f"{report['unknown']:,} messages may have been delivered" in err
    numbers = {as_sent(n) for n in failed_out_numbers(failed_out)}
    assert len(numbers) == report["not_attempted"]
    assert not received & numbers  # an unknown row is never offered for a resend


def test_ctrl_c_amid_batches_counts_each_request_once(
    fake: tuple[FakeVelstack, str], big_csv: Path, tmp_path: Path
) -> None:
    """One text for everyone: 100 recipients a request, some of a batch reported at Ctrl-C."""
    served, base_url = fake
    served.faults.latency = 0.2
    try:
        report, api_key, _, journal, _ = run_and_interrupt(
            served, base_url, big_csv, tmp_path, presses=1, message="Hello", concurrency=4
        )
    finally:
        served.faults.latency = 0.0
    sent = len(served.messages_for(api_key))
    assert report["sent"] == sent == journal_counts(journal)["sent"]
    assert report["credit_used"] == str(100_000 - served.balance(api_key)) == str(sent)
    assert report["not_attempted"] == ROWS - sent


@pytest.mark.skipif(not shutil.which(REDIS_SERVER), reason="redis-server is not installed")
def test_ctrl_c_on_the_live_campaign_status_exits_130(tmp_path: Path) -> None:
    """On Python 3.10 `anyio.run` turns Ctrl-C into a CancelledError: still one line, 130."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELSTACK_")}
    with RedisServer(tmp_path) as server, closing(redis.Redis.from_url(server.url)) as db:
        base = [str(VELSTACK), "--sandbox", "campaign"]
        created = subprocess.run(
            [*base, "create", "c1", "--redis", server.url, "-m", "Hi"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        status = subprocess.Popen(
            [*base, "status", "c1", "--redis", server.url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while len(db.client_list()) < 2:  # the live view is connected and polling
            assert status.poll() is None, status.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        status.send_signal(signal.SIGINT)
        _, err = status.communicate(timeout=60)
    assert (status.returncode, err) == (130, "error: interrupted\n")
