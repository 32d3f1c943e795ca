"""The aiohttp transport itself: error translation, selection, opt-out, fallbacks, pool size."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import anyio
import httpx
import pytest
import respx

from velstack_async import AsyncVelstack, InvalidInputError
from velstack_async._aiohttp import mocking_active, translate
from velstack_async.fast import AiohttpTransport
from velstack_async.testing import FakeVelstack, LoopbackServer

NUMBER = "0205550368"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerTimeoutError("read"), httpx.ReadTimeout),
        (asyncio.TimeoutError(), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("incomplete"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.ClientConnectionResetError("reset"), httpx.ReadError),
        (ConnectionResetError(104, "reset"), httpx.ReadError),
        (aiohttp.InvalidURL("nope://x"), httpx.UnsupportedProtocol),
    ],
)
def test_translate(error: BaseException, expected: type[httpx.TransportError]) -> None:
    translated = translate(error)
    assert type(translated) is expected


def test_translate_keeps_the_request() -> None:
    request = httpx.Request("GET", "https://example.com/")
    assert translate(aiohttp.ServerDisconnectedError(), request).request is request


@pytest.fixture
def no_env_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELSTACK_HTTP_TRANSPORT", raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_env_choice")
@pytest.mark.anyio
async def test_default_client_sends_with_aiohttp_on_asyncio_only(
    server: LoopbackServer, fake: FakeVelstack, anyio_backend: str
) -> None:
    async with AsyncVelstack(api_key=fake.api_key, base_url=server.base_url) as client:
        fast = client._transport._fast
        assert isinstance(fast, AiohttpTransport)
        await client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")
        on_asyncio = anyio_backend == "asyncio"
        assert (fast._session is not None) is on_asyncio  # aiohttp did the work
        assert (fast._fallback is not None) is not on_asyncio  # trio: httpx's transport
    assert fake.message_count == 1


@pytest.mark.usefixtures("no_env_choice")
@pytest.mark.anyio
async def test_respx_mocks_still_see_every_request() -> None:
    assert not mocking_active()
    with respx.mock(base_url="https://sms.velstack.com") as router:
        assert mocking_active()
        route = router.get("/api/group").respond(200, json={"status": True, "data": []})
        async with AsyncVelstack(api_key="vs_test_key") as client:
            assert isinstance(client._transport._fast, AiohttpTransport)
            assert await client.groups.list() == []
        assert route.call_count == 1
    assert not mocking_active()


@pytest.mark.parametrize(
    ("env", "value"),
    [("VELSTACK_HTTP_TRANSPORT", "httpx"), ("HTTPS_PROXY", "http://proxy.example:3128")],
)
@pytest.mark.usefixtures("no_env_choice")
@pytest.mark.anyio
async def test_opting_out_or_a_proxy_selects_httpx(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.setenv(env, value)
    async with AsyncVelstack(api_key="vs_test_key") as client:
        assert client._transport._fast is None


@pytest.mark.anyio
async def test_explicit_transport_opts_out() -> None:
    async with AsyncVelstack(api_key="vs_test_key", transport=httpx.AsyncHTTPTransport()) as c:
        assert c._transport._fast is None


def test_unknown_transport_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "curl")
    with pytest.raises(InvalidInputError, match="VELSTACK_HTTP_TRANSPORT"):
        AsyncVelstack(api_key="vs_test_key")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_reserve_connections_widens_the_pool(
    server: LoopbackServer, fake: FakeVelstack, instant_retries: None
) -> None:
    fake.faults.latency = 0.2
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
    async with AsyncVelstack(
        api_key=fake.api_key,
        base_url=server.base_url,
        transport=transport,
        timeout=httpx.Timeout(5, pool=0.05),
        max_retries=0,
    ) as client:
        client._transport.reserve_connections(3)
        assert transport.max_connections == 3
        async with anyio.create_task_group() as group:
            for _ in range(3):  # one connection would make two of them time out
                group.start_soon(
                    lambda: client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")
                )
        client._transport.reserve_connections(2)  # never shrinks
        assert transport.max_connections == 3
    assert fake.message_count == 3


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_send_bulk_sizes_the_pool_to_its_concurrency(
    server: LoopbackServer, fake: FakeVelstack, instant_retries: None
) -> None:
    fake.faults.latency = 0.2
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
    numbers = [f"02055503{i:02d}" for i in range(4)]
    async with AsyncVelstack(
        api_key=fake.api_key,
        base_url=server.base_url,
        transport=transport,
        timeout=httpx.Timeout(5, pool=0.05),  # waiting for the one connection would time out
        max_retries=0,
    ) as client:
        report = await client.sms.send_bulk(numbers, message="hi", sender="VELSTACK", concurrency=4)
    assert transport.max_connections == 4
    assert report.sent == 4
    assert fake.message_count == 4


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_under_a_plain_httpx_client(server: LoopbackServer, fake: FakeVelstack) -> None:
    """Users' own httpx clients: streamed request bodies, headers, streamed responses."""

    async def body() -> AsyncIterator[bytes]:
        yield b'{"sender": "VELSTACK", "recipient": "0205550368",'
        yield b' "message": "hi"}'

    transport = AiohttpTransport()
    async with httpx.AsyncClient(transport=transport, base_url=server.base_url) as http:
        headers = {"Authorization": f"Bearer {fake.api_key}", "Accept": "application/json"}
        response = await http.post("/api/quick/sms", content=body(), headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["data"]["summary"]["recipients"] == [NUMBER]
        assert response.extensions["http_version"] == b"HTTP/1.1"
        async with http.stream("GET", "/api/group", headers=headers) as streamed:
            chunks = [chunk async for chunk in streamed.aiter_bytes()]
        assert b"".join(chunks).startswith(b"{")
        with pytest.raises(httpx.ConnectError):
            await http.get("http://127.0.0.1:1/")
    assert fake.message_count == 1


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_closing_twice_is_harmless_and_use_after_close_fails() -> None:
    transport = AiohttpTransport()
    await transport.aclose()
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/"))
