"""pytest fixtures for testing code that uses velstack-async (entry point ``velstack``).

- ``velstack_fake``: a fresh `FakeVelstack` for each test.
- ``velstack_client``: an `AsyncVelstack` connected to ``velstack_fake`` in
  process; an async fixture driven by anyio's pytest plugin, so use it from
  tests marked ``@pytest.mark.anyio``.

Importing this module imports the package around it (``velstack_async`` and
``velstack_async.testing``) anyway, so its own imports are at module level.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from velstack_async import AsyncVelstack

from ._fake import FakeVelstack

__all__ = ["velstack_client", "velstack_fake"]


@pytest.fixture
def velstack_fake() -> FakeVelstack:
    """A fresh fake Velstack service (1000 credits, no faults)."""
    return FakeVelstack()


@pytest.fixture
async def velstack_client(velstack_fake: FakeVelstack) -> AsyncIterator[AsyncVelstack]:
    """An `AsyncVelstack` client talking to ``velstack_fake`` without sockets."""
    http_client = velstack_fake.async_http_client()
    try:
        client = AsyncVelstack(api_key=velstack_fake.api_key, http_client=http_client)
        try:
            yield client
        finally:
            await client.aclose()
    finally:
        await http_client.aclose()
