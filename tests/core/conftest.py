from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from velstack_async import AsyncVelstack
from velstack_async._http.httpx_adapter import HttpxAdapter

BASE_URL = "https://sms.velstack.com"
API_KEY = "vs_test_4f1c9e2a7b"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A respx router for the default base URL; every route must be declared."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(api: respx.MockRouter, instant_retries: None) -> AsyncIterator[AsyncVelstack]:
    async with AsyncVelstack(api_key=API_KEY) as c:
        yield c


def http_client_of(client: AsyncVelstack) -> httpx.AsyncClient:
    """The `httpx.AsyncClient` under a client on the httpx adapter."""
    adapter = client._requester._pool.adapter
    assert isinstance(adapter, HttpxAdapter), adapter
    return adapter.client
