"""A campaign process killed with SIGKILL and resumed from its journal sends no one twice.

The fake serves on loopback from a thread of this process, so it outlives the
killed campaign, which runs in a child process (``campaign_child.py``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from velstack_async.testing import FakeVelstack

from .helpers import e164, numbers

CHILD = Path(__file__).with_name("campaign_child.py")
COUNT, CONCURRENCY = 400, 8

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def run_child(base_url: str, api_key: str, journal: Path, *extra: str) -> dict[str, Any]:
    command = [sys.executable, str(CHILD), base_url, api_key, str(journal)]
    command += [str(COUNT), str(CONCURRENCY), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("batch_size", [1, 10])
def test_sigkill_mid_campaign_then_resume_sends_each_recipient_once(
    tmp_path: Path, batch_size: int
) -> None:
    fake = FakeVelstack(seed=99, balance=1_000_000)
    # The campaign takes most of a second: time to kill it midway.
    fake.faults.latency = 0.01 if batch_size == 1 else 0.1
    size = ("--batch-size", str(batch_size))
    journal = tmp_path / "campaign.journal"
    everyone = set(map(e164, numbers(COUNT)))
    with fake.serve_in_thread() as base_url:
        command = [sys.executable, str(CHILD), base_url, fake.api_key, str(journal)]
        command += [str(COUNT), str(CONCURRENCY), "asyncio", *size]
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while fake.message_count < COUNT // 4:
                assert child.poll() is None, "the campaign ended before it could be killed"
                assert time.monotonic() < deadline, "the campaign did not start"
                time.sleep(0.002)
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGKILL
        time.sleep(0.1)  # let the server finish requests that reached it before the kill
        before_resume = fake.message_count
        assert before_resume < COUNT

        # Resume (on trio, for good measure).
        resumed = run_child(base_url, fake.api_key, journal, "trio", *size)
        fake.assert_no_duplicates()
        delivered = {m.recipient for m in fake.messages}
        unknown = set(map(e164, resumed["unknown"]))
        # Killed in flight: at most one request per worker is "unknown" (it may have
        # gone out), so at most concurrency x batch_size recipients; the resume sent
        # every other one exactly once.
        assert len(unknown) <= CONCURRENCY * batch_size
        assert delivered | unknown == everyone
        assert resumed["sent"] == fake.message_count - before_resume
        assert resumed["sent"] + resumed["skipped"] + len(unknown) == COUNT

        # The operator checks the unknown ones (delivery reports; here the fake) and
        # resends only those that never arrived: now everyone has it exactly once.
        lost = sorted(unknown - delivered)
        if lost:
            national = ",".join("0" + n[4:] for n in lost)
            again = run_child(
                base_url,
                fake.api_key,
                journal,
                "asyncio",
                "--resend-unknown",
                "--only",
                national,
                *size,
            )
            assert again["sent"] == len(lost)
    fake.assert_no_duplicates()
    assert {m.recipient for m in fake.messages} == everyone
    assert fake.message_count == COUNT
