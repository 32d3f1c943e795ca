"""A real Celery prefork worker (Redis broker) with a module-level `Velstack` in its tasks.py.

Celery's default pool forks its children after importing the tasks module
(`prefork_tasks`): their calls must go through, each child with a loop
thread and pool of its own, and the worker must stop within 20 s of SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from ..reliability.server_process import FakeProcess
from .conftest import API_KEY
from .redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def prefork_worker(
    broker: str, fake: FakeProcess, log: Path, *, warm_up: bool
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "VS_TEST_BROKER_URL": broker,
        "VS_TEST_WARM_UP": "1" if warm_up else "0",
        "VELSTACK_API_KEY": API_KEY,
        "VELSTACK_BASE_URL": fake.base_url,
        "PYTHONPATH": str(ROOT),
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "tests.distributed.prefork_tasks", "worker"),
        *("--pool", "prefork", "--concurrency", "2", "--loglevel", "WARNING"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle", "-n", "fork@%h"),
    ]
    with log.open("ab") as out:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield worker
    finally:
        if worker.poll() is None:  # the test failed first: end the worker and its children
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


@pytest.mark.parametrize("warm_up", [False, True], ids=["unused-before-fork", "used-before-fork"])
def test_a_module_level_client_in_a_prefork_worker(
    redis_server: RedisServer, fake: FakeProcess, tmp_path: Path, warm_up: bool
) -> None:
    app = Celery("velstack-fork-test", broker=redis_server.url, backend=redis_server.url)
    log = tmp_path / "worker.log"
    with prefork_worker(redis_server.url, fake, log, warm_up=warm_up) as worker:
        results = [
            app.send_task("tests.notify", args=("0205550368", f"order {i} shipped"))
            for i in range(6)
        ]
        try:
            sent = [result.get(timeout=25) for result in results]
        except Exception as exc:
            raise AssertionError(f"{exc!r}; worker log:\n{log.read_text()}") from exc
        assert len({message_id for _, message_id in sent}) == 6
        assert worker.pid not in {pid for pid, _ in sent}  # sent by the forked children
        assert fake.stats()["messages"] == 6 + warm_up
        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            message = f"the worker did not stop within 20 s of SIGTERM:\n{log.read_text()}"
            raise AssertionError(message) from None
        assert time.monotonic() - started < 20
    del results
    app.close()
    assert "Traceback" not in log.read_text(), log.read_text()
