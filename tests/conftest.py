from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

import velstack_async

# No per-example deadline for the property tests: the first run on a fresh machine pays
# one-off costs inside an example (libphonenumber loading a region's metadata, say), and
# Hypothesis would report such an example "Flaky" when its replay is fast. (CI machines
# are the fresh ones: this failed one first run in a new virtual environment.)
settings.register_profile("velstack", deadline=None)
settings.load_profile("velstack")


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
