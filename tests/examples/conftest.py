from __future__ import annotations

import pytest

from velstack_async import AsyncVelstack
from velstack_async.testing import AsyncFakeTransport, FakeVelstack


class TrackedTransport(AsyncFakeTransport):
    """The fake's transport, remembering whether the client using it was closed."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True


class ClientFactory:
    """Makes `AsyncVelstack` clients on the fake, counting them (an app should make one)."""

    def __init__(self, fake: FakeVelstack) -> None:
        self.fake = fake
        self.transports: list[TrackedTransport] = []

    def __call__(self) -> AsyncVelstack:
        transport = TrackedTransport(self.fake)
        self.transports.append(transport)
        return AsyncVelstack(api_key=self.fake.api_key, transport=transport)

    def assert_one_client_closed(self) -> None:
        assert len(self.transports) == 1
        assert self.transports[0].closed


@pytest.fixture
def factory(velstack_fake: FakeVelstack) -> ClientFactory:
    return ClientFactory(velstack_fake)
