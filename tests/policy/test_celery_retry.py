"""A real Celery worker retrying a task that sends with a send-once key: one message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.distributed.redis_server import RedisServer
from tests.reliability.server_process import FakeProcess, delivered

Celery = pytest.importorskip("celery").Celery
ROOT = Path(__file__).resolve().parents[2]
API_KEY = "vs-policy-celery-key"


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_retried_task_sends_its_message_once(
    backend: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    store = str(tmp_path / "policy.db") if backend == "sqlite" else redis_server.url
    attempts = tmp_path / "attempts.txt"
    log = tmp_path / "delivered.log"
    with FakeProcess(0, API_KEY, log) as fake:
        env = {
            **os.environ,
            "VS_TEST_BROKER_URL": redis_server.url.replace("/0", "/1"),
            "VS_TEST_POLICY_STORE": store,
            "VS_TEST_ATTEMPTS": str(attempts),
            "VELSTACK_API_KEY": API_KEY,
            "VELSTACK_BASE_URL": fake.base_url,
            "PYTHONPATH": str(ROOT),
        }
        command = [
            *(sys.executable, "-m", "celery", "-A", "tests.policy.celery_app", "worker"),
            *("--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat"),
            *("--without-gossip", "--without-mingle", "-n", "policy@%h"),
        ]
        with (tmp_path / "worker.log").open("ab") as out:
            worker = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        client = Celery("policy-test-client", broker=env["VS_TEST_BROKER_URL"])
        client.conf.result_backend = env["VS_TEST_BROKER_URL"]
        try:
            task = client.send_task("tests.policy.celery_app.ship_notice", args=[42])
            message_id = task.get(timeout=120)
        finally:
            client.close()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
    ids = attempts.read_text().split()
    assert len(ids) == 3  # the first run and two retries each got a summary...
    assert set(ids) == {message_id}  # ...the same one
    assert delivered(log) == {"0205550368": 1}  # one message at the fake
