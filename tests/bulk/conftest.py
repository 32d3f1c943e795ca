from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from velstack_async import AsyncVelstack
from velstack_async.testing import FakeVelstack

from .helpers import Probe


@pytest.fixture
def fake() -> FakeVelstack:
    """A seeded fake with credit for any campaign here."""
    return FakeVelstack(seed=20240611, balance=1_000_000)


@pytest.fixture
def probe(fake: FakeVelstack) -> Probe:
    return Probe(fake.async_transport())


@pytest.fixture
async def client(probe: Probe, fake: FakeVelstack) -> AsyncIterator[AsyncVelstack]:
    """A client on the in-process fake, through ``probe``."""
    async with AsyncVelstack(api_key=fake.api_key, transport=probe) as c:
        yield c
