from __future__ import annotations

from collections.abc import Iterator

import pytest

import velstack_async


@pytest.fixture(
    params=[
        pytest.param("asyncio", id="asyncio"),
        pytest.param("trio", id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both asyncio and trio (anyio's pytest plugin)."""
    return str(request.param)


@pytest.fixture
def instant_retries() -> Iterator[None]:
    """Retries happen, but their waits (backoff, Retry-After) take no time."""
    velstack_async.set_testing(True)
    try:
        yield
    finally:
        velstack_async.set_testing(False)
