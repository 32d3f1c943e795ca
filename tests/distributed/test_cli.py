"""``velstack campaign ...`` end to end: real processes, a real Redis, the fake Velstack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .redis_server import RedisServer


def velstack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "velstack_async.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.stress
def test_create_load_two_workers_report(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path
) -> None:
    csv = tmp_path / "people.csv"
    rows = [f"020{i:07d},Ama{i}" for i in range(300)] + ["+233 20 000 0007,Dup"]
    csv.write_text("phone_number,first_name\n" + "\n".join(rows) + "\n")
    env = {
        **os.environ,
        "VELSTACK_REDIS_URL": redis_server.url,
        "VELSTACK_API_KEY": API_KEY,
        "VELSTACK_BASE_URL": fake.base_url,
    }
    created = velstack(
        "campaign", "create", "cli", "-m", "Hi {first_name}", "--sender", "SHOP",
        "--chunk-size", "50", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    loaded = velstack("campaign", "load", "cli", str(csv), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "301 rows loaded" in loaded.stderr
    command = [sys.executable, "-m", "velstack_async.cli", "campaign", "worker", "cli"]
    workers = [subprocess.Popen(command, env=env) for _ in range(2)]
    assert [worker.wait(120) for worker in workers] == [0, 0]
    status = velstack("--json", "campaign", "status", "cli", env=env)
    assert json.loads(status.stdout)["chunks_left"] == 0
    report = json.loads(velstack("--json", "campaign", "report", "cli", env=env).stdout)
    assert (report["sent"], report["skipped"], report["total"]) == (300, 1, 301)
    log = delivered(fake.log)
    assert len(log) == 300
    assert set(log.values()) == {1}
    # Personalised texts go one request per distinct text.
    assert fake.stats()["requests"] == 300


def test_missing_campaign_is_one_line(redis_server: RedisServer) -> None:
    env = {**os.environ, "VELSTACK_REDIS_URL": redis_server.url}
    result = velstack("campaign", "report", "nope", env=env)
    assert result.returncode != 0
    assert "no campaign 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
