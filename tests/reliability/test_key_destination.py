"""The API key goes only to the configured base URL, and never in clear text off this machine.

Two scripted loopback servers: the configured one answers a redirect (or
nothing special) and the other records whether anything reached it, and with
which Authorization header.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack, InvalidInputError, ResponseParseError, VelstackError

from ..core import payloads as p
from .rawserver import RawServer, respond

KEY = "vs_live_Dest1nat10nKey"

# Parametrize over the SDK's default transport (aiohttp on asyncio) and httpx's own.
TRANSPORTS = ["default", "httpx"]


@pytest.fixture
def elsewhere() -> Iterator[RawServer]:
    """Another host:port; any request reaching it is a leak."""
    with RawServer(respond(200, {}, json.dumps(p.QUICK_SMS).encode())) as server:
        yield server


def _options(transport: str) -> dict[str, Any]:
    return {"transport": httpx.AsyncHTTPTransport()} if transport == "httpx" else {}


async def _send(client: AsyncVelstack) -> None:
    async with client:
        await client.sms.send(recipient="0205550368", message="hello", sender="VELSTACK")


@pytest.mark.parametrize(
    "base_url",
    [
        "http://sms.velstack.com",
        "http://8.8.8.8",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8080",
        "http://[::ffff:8.8.8.8]",
        "http://localhost.example.com",
        "ftp://sms.velstack.com",
        "sms.velstack.com",
        "https://user:password@sms.velstack.com",
        "https://sms.velstack.com/?next=",
    ],
)
def test_no_clear_text_or_odd_base_url(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInputError):
        AsyncVelstack(api_key=KEY, base_url=base_url)
    monkeypatch.setenv("VELSTACK_BASE_URL", base_url)
    with pytest.raises(InvalidInputError):
        AsyncVelstack(api_key=KEY)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("transport", [*TRANSPORTS, "caller's client, follow_redirects=True"])
def test_redirects_are_not_followed(status: int, transport: str, elsewhere: RawServer) -> None:
    location = {"Location": elsewhere.base_url + "/api/quick/sms"}
    with RawServer(respond(status, location)) as configured:
        options = _options(transport)
        http_client = None
        if transport.startswith("caller"):
            http_client = options["http_client"] = httpx.AsyncClient(follow_redirects=True)

        async def run() -> None:
            try:
                client = AsyncVelstack(api_key=KEY, base_url=configured.base_url, **options)
                with pytest.raises(ResponseParseError, match=f"unexpected HTTP {status}"):
                    await _send(client)
            finally:
                if http_client is not None:
                    await http_client.aclose()

        anyio.run(run)
    [request] = configured.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert elsewhere.requests == [], "the redirect was followed"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_callers_client_base_url_is_ignored(transport: str, elsewhere: RawServer) -> None:
    with RawServer(respond(200, {}, json.dumps(p.QUICK_SMS).encode())) as configured:

        async def run() -> None:
            async with httpx.AsyncClient(base_url=elsewhere.base_url) as http_client:
                client = AsyncVelstack(
                    api_key=KEY, base_url=configured.base_url, http_client=http_client
                )
                await _send(client)

        anyio.run(run)
    assert len(configured.requests) == 1
    assert elsewhere.requests == []


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_from_the_environment_never_sees_a_clear_text_key(
    variable: str, elsewhere: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With http:// (loopback only), a proxy would read the key: the SDK goes direct."""
    monkeypatch.setenv(variable, elsewhere.base_url)
    with RawServer(respond(200, {}, json.dumps(p.QUICK_SMS).encode())) as configured:
        anyio.run(_send, AsyncVelstack(api_key=KEY, base_url=configured.base_url))
    assert elsewhere.requests == [], "the key went to the proxy in clear text"
    assert len(configured.requests) == 1


def test_an_https_base_url_keeps_the_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through a proxy, https is tunnelled (CONNECT): the proxy never sees the key."""
    connects: list[str] = []

    def proxy(conn: Any, request: Any, stop: Any) -> None:
        connects.append(request.method + " " + request.path)
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    with RawServer(proxy) as server:
        monkeypatch.setenv("HTTPS_PROXY", server.base_url)

        async def run() -> None:
            with pytest.raises(VelstackError):
                await _send(AsyncVelstack(api_key=KEY, max_retries=0))

        anyio.run(run)
        assert connects == ["CONNECT sms.velstack.com:443"]
        assert all("authorization" not in r.headers for r in server.requests)
