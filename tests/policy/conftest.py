"""Fixtures of the sending-policy suite: a settable clock, and both real stores."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.distributed.redis_server import REDIS_SERVER, RedisServer
from velstack_async import AsyncVelstack, SendingPolicy
from velstack_async.testing import FakeVelstack


class Clock:
    """A clock a test sets and moves (the policy's every time decision reads it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))  # 12:00 in Accra


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not shutil.which(REDIS_SERVER):  # pragma: no cover
        pytest.skip("redis-server is not installed")
    directory = tmp_path / "redis"
    directory.mkdir()
    with RedisServer(directory) as server:
        yield server


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A policy store: a SQLite file, or a real redis-server's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "policy" / "policy.db")
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


MakeClient = Callable[..., AsyncVelstack]


@pytest.fixture
def fake() -> FakeVelstack:
    return FakeVelstack(balance=10_000)


@pytest.fixture
async def make_client(fake: FakeVelstack) -> AsyncIterator[MakeClient]:
    """``make_client(policy)``: an `AsyncVelstack` on the in-process fake (closed after)."""
    made: list[AsyncVelstack] = []
    policies: list[SendingPolicy] = []

    def make(policy: SendingPolicy | None = None, **options: object) -> AsyncVelstack:
        client = AsyncVelstack(
            api_key=fake.api_key,
            http_client=fake.async_http_client(),
            policy=policy,
            **options,  # type: ignore[arg-type]
        )
        made.append(client)
        if policy is not None:
            policies.append(policy)
        return client

    yield make
    for client in made:
        await client.aclose()
    for policy in policies:
        policy.close()
