"""Client lifecycle and options."""

from __future__ import annotations

import httpx
import pytest
import respx

from velstack_async import AsyncVelstack, ServiceUnavailableError

from . import payloads as p
from .conftest import API_KEY, http_client_of

pytestmark = pytest.mark.anyio


async def test_default_timeouts() -> None:
    async with AsyncVelstack(api_key=API_KEY) as client:
        timeout = client._requester._timeout
        assert timeout is not None
        assert (timeout.connect, timeout.read) == (5.0, 30.0)
        assert client.max_retries == 2


async def test_timeout_is_applied_to_requests(api: respx.MockRouter) -> None:
    route = api.get("/api/group").respond(json=p.GROUPS)
    async with AsyncVelstack(api_key=API_KEY, timeout=3) as client:
        await client.groups.list()
        await client.with_options(timeout=httpx.Timeout(1.5)).groups.list()
    first, second = (call.request.extensions["timeout"] for call in route.calls)
    assert first["read"] == 3.0
    assert second["read"] == 1.5


async def test_with_options_shares_the_pool_and_leaves_it_open(
    api: respx.MockRouter, instant_retries: None
) -> None:
    route = api.get("/api/group").respond(503, json=p.SERVICE_UNAVAILABLE)
    async with AsyncVelstack(api_key=API_KEY) as client:
        derived = client.with_options(max_retries=0)
        assert derived._requester._pool is client._requester._pool
        with pytest.raises(ServiceUnavailableError):
            await derived.groups.list()
        assert route.call_count == 1
        await derived.aclose()
        assert not http_client_of(client).is_closed
        assert client.max_retries == 2
    assert http_client_of(client).is_closed


async def test_aclose_twice_is_harmless() -> None:
    client = AsyncVelstack(api_key=API_KEY)
    await client.aclose()
    await client.aclose()
    assert client._requester._pool.closed


async def test_transport_keyword_builds_an_owned_client() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=p.GROUPS)

    async with AsyncVelstack(api_key=API_KEY, transport=httpx.MockTransport(handler)) as client:
        assert len(await client.groups.list()) == 2
    assert seen[0].url == "https://sms.velstack.com/api/group"
    assert http_client_of(client).is_closed


async def test_http_client_and_transport_are_exclusive() -> None:
    from velstack_async import InvalidInputError

    async with httpx.AsyncClient() as http:
        with pytest.raises(InvalidInputError):
            AsyncVelstack(
                api_key=API_KEY,
                http_client=http,
                transport=httpx.MockTransport(lambda r: httpx.Response(200)),
            )
