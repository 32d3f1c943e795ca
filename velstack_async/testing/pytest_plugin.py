"""pytest fixtures for testing code that uses velstack-async (entry point ``velstack``).

- ``velstack_fake``: a fresh `FakeVelstack` for each test.
- ``velstack_client``: an `AsyncVelstack` connected to ``velstack_fake`` in
  process (no sockets).

Both are plain (sync) fixtures, so every async test runner accepts them:
anyio's plugin (``@pytest.mark.anyio``, asyncio or trio), pytest-asyncio in
strict mode (``@pytest.mark.asyncio``) and in auto mode, or no plugin at
all. Nothing in the client is bound to an event loop until its first request,
which runs in the test's own loop; closing it after the test waits for no loop.

Importing this module imports the package around it (``velstack_async`` and
``velstack_async.testing``) anyway, so its own imports are at module level.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from velstack_async import AsyncVelstack

from ._fake import FakeVelstack
from ._transports import DEFAULT_BASE_URL

__all__ = ["velstack_client", "velstack_fake"]


@pytest.fixture
def velstack_fake() -> FakeVelstack:
    """A fresh fake Velstack service (1000 credits, no faults)."""
    return FakeVelstack()


@pytest.fixture
def velstack_client(velstack_fake: FakeVelstack) -> Iterator[AsyncVelstack]:
    """An `AsyncVelstack` client talking to ``velstack_fake`` without sockets."""
    http_client = velstack_fake.async_http_client()
    try:
        # Its own URL and key: the environment's VELSTACK_BASE_URL / _API_KEY play no part.
        client = AsyncVelstack(
            api_key=velstack_fake.api_key, base_url=DEFAULT_BASE_URL, http_client=http_client
        )
        try:
            yield client
        finally:
            _finish(client.aclose())
    finally:
        _finish(http_client.aclose())


def _finish(closing: Coroutine[Any, Any, None]) -> None:
    """Run ``closing`` outside any event loop: the in-process fake holds no socket or
    loop resource, so closing its client never suspends (and this says so if it did)."""
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()
    raise RuntimeError("closing velstack_client waited for an event loop")  # pragma: no cover
