"""Processes sharing one store (issue 25): concurrent sends with one key make one request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.server_process import FakeProcess, delivered

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "vs-policy-test-key"
COUNT = 20


def test_two_processes_sending_the_same_keys_make_one_request_each(
    store: str, tmp_path: Path
) -> None:
    log = tmp_path / "delivered.log"
    start = tmp_path / "start"
    with FakeProcess(0, API_KEY, log, latency=0.3) as fake:  # sends overlap in flight
        env = {
            **os.environ,
            "VELSTACK_API_KEY": API_KEY,
            "VELSTACK_BASE_URL": fake.base_url,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "tests.policy.send_child", store, str(COUNT), str(start)]
        children = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        start.touch()
        outputs = [child.communicate(timeout=120)[0] for child in children]
        assert [child.returncode for child in children] == [0, 0]
    first, second = (json.loads(output) for output in outputs)
    assert first == second  # every key: the same message in both processes
    assert len(set(first.values())) == COUNT
    counts = delivered(log)
    assert len(counts) == COUNT
    assert set(counts.values()) == {1}  # exactly one request per key at the fake
