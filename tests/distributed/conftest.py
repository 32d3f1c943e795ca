"""Fixtures of the distributed suite: a real Redis, the fake Velstack in its own process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.server_process import FakeProcess

from .redis_server import REDIS_SERVER, RedisServer

API_KEY = "vs-distributed-test-key"

if not shutil.which(REDIS_SERVER):  # pragma: no cover
    pytest.skip("redis-server is not installed", allow_module_level=True)


@pytest.fixture
def anyio_backend() -> str:
    """redis-py's client is asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def claims_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's workers (and their subprocesses) keep their claim logs in its tmp dir."""
    directory = tmp_path / "claims"
    monkeypatch.setenv("VELSTACK_CLAIMS_DIR", str(directory))
    return directory


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    directory = tmp_path / "redis"
    directory.mkdir()
    with RedisServer(directory) as server:
        yield server


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeProcess]:
    with FakeProcess(0, API_KEY, tmp_path / "delivered.log") as server:
        yield server
