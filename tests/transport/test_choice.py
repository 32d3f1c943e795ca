"""The one rule that picks the adapter (velstack_async/_http/choice.py), and what it shows."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anyio
import httpx
import pytest
import respx

from velstack_async import AsyncVelstack, InvalidInputError
from velstack_async.fast import AiohttpTransport
from velstack_async.testing import FakeVelstack, LoopbackServer

NUMBER = "0205550368"
on_asyncio = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELSTACK_HTTP_TRANSPORT", raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def adapter_of(client: AsyncVelstack) -> str | None:
    return client.http_adapter


@pytest.mark.anyio
async def test_the_default_is_aiohttp_on_asyncio_and_httpx_on_trio(
    server: LoopbackServer, fake: FakeVelstack, anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="velstack_async")
    async with AsyncVelstack(api_key=fake.api_key, base_url=server.base_url) as client:
        await client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")
        expected = "aiohttp" if anyio_backend == "asyncio" else "httpx"
        assert client.http_adapter == expected
        assert f"adapter={expected}" in repr(client)
    reasons = [r.getMessage() for r in caplog.records if r.getMessage().startswith("HTTP adapter")]
    if anyio_backend == "asyncio":
        assert reasons == ["HTTP adapter: aiohttp (the default on asyncio)"]
    else:
        assert reasons == ["HTTP adapter: httpx (running on trio (aiohttp needs asyncio))"]
    assert fake.message_count == 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_client_made_outside_a_loop_chooses_at_its_first_request(
    server: LoopbackServer, fake: FakeVelstack, backend: str
) -> None:
    client = AsyncVelstack(api_key=fake.api_key, base_url=server.base_url)
    assert client.http_adapter is None
    assert "adapter=chosen at first request" in repr(client)

    async def use() -> None:
        async with client:
            await client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")

    anyio.run(use, backend=backend)
    assert client.http_adapter == ("aiohttp" if backend == "asyncio" else "httpx")
    assert fake.message_count == 1


@pytest.mark.anyio
@on_asyncio
async def test_respx_mocks_are_seen_through_the_httpx_adapter() -> None:
    with respx.mock(base_url="https://sms.velstack.com") as router:
        route = router.get("/api/group").respond(
            json={"status": True, "code": 200, "data": {"Summary": []}}
        )
        async with AsyncVelstack(api_key="vs_key") as client:
            assert client.http_adapter == "httpx"
            assert await client.groups.list() == []
        assert route.call_count == 1
    async with AsyncVelstack(api_key="vs_key") as client:  # the mock has stopped
        assert client.http_adapter == "aiohttp"


@pytest.mark.anyio
@on_asyncio
@pytest.mark.parametrize(
    "env",
    [{"NO_PROXY": "localhost"}, {"HTTPS_PROXY": "http://127.0.0.1:9"}, {"no_proxy": "*"}],
)
async def test_proxy_variables_never_cost_the_fast_adapter(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    async with AsyncVelstack(api_key="vs_key") as client:
        assert client.http_adapter == "aiohttp"


@pytest.mark.anyio
@on_asyncio
async def test_httpx_instrumentation_after_import_keeps_aiohttp_and_sees_httpx_requests(
    server: LoopbackServer, fake: FakeVelstack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        async with AsyncVelstack(api_key=fake.api_key, base_url=server.base_url) as client:
            assert client.http_adapter == "aiohttp"  # instrumentation is not a mock
        monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "httpx")
        async with AsyncVelstack(api_key=fake.api_key, base_url=server.base_url) as client:
            assert client.http_adapter == "httpx"
            await client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    statuses = [
        (span.attributes or {}).get("http.status_code")
        or (span.attributes or {}).get("http.response.status_code")
        for span in spans
    ]
    assert statuses == [200]  # one span: the httpx adapter's request


@pytest.mark.anyio
@on_asyncio
async def test_explicit_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "httpx")
    async with AsyncVelstack(api_key="vs_key") as client:
        assert client.http_adapter == "httpx"
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "aiohttp")
    async with AsyncVelstack(api_key="vs_key") as client:
        assert client.http_adapter == "aiohttp"
    monkeypatch.delenv("VELSTACK_HTTP_TRANSPORT")
    async with AsyncVelstack(api_key="vs_key", transport=httpx.AsyncHTTPTransport()) as client:
        assert client.http_adapter == "httpx"
    async with AsyncVelstack(api_key="vs_key", transport=AiohttpTransport()) as client:
        assert client.http_adapter == "aiohttp"
    async with (
        httpx.AsyncClient() as http,
        AsyncVelstack(api_key="vs_key", http_client=http) as client,
    ):
        assert client.http_adapter == "httpx"


def test_unknown_adapter_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "curl")

    async def make() -> None:
        AsyncVelstack(api_key="vs_key")

    with pytest.raises(InvalidInputError, match="VELSTACK_HTTP_TRANSPORT"):
        anyio.run(make)


@pytest.mark.parametrize("keyword", [{"verify": False}, {"proxy": "http://127.0.0.1:3128"}])
def test_network_keywords_belong_to_a_transport_you_pass(keyword: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError, match="transport you pass"):
        AsyncVelstack(api_key="vs_key", transport=httpx.AsyncHTTPTransport(), **keyword)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("proxy", "match"),
    [("socks5://127.0.0.1:1080", "http:// or https://"), ("::", "proxy")],
)
def test_a_bad_proxy_is_refused(proxy: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        AsyncVelstack(api_key="vs_key", proxy=proxy)


@pytest.fixture
def tiny_pool_server(fake: FakeVelstack) -> Iterator[LoopbackServer]:
    fake.faults.latency = 0.2
    with LoopbackServer(fake) as running:
        yield running


@pytest.mark.anyio
async def test_send_bulk_sizes_either_pool_to_its_concurrency(
    kind: str, tiny_pool_server: LoopbackServer, fake: FakeVelstack, instant_retries: None
) -> None:
    """One connection and a 50 ms pool timeout: only a pool sized to 4 sends all four."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    transport: httpx.AsyncBaseTransport | AiohttpTransport = (
        AiohttpTransport(limits=limits)
        if kind == "aiohttp"
        else httpx.AsyncHTTPTransport(limits=limits)
    )
    numbers = [f"02055503{i:02d}" for i in range(4)]
    async with AsyncVelstack(
        api_key=fake.api_key,
        base_url=tiny_pool_server.base_url,
        transport=transport,
        timeout=httpx.Timeout(5, pool=0.05),
        max_retries=0,
    ) as client:
        report = await client.sms.send_bulk(
            numbers, message="hi", sender="VELSTACK", concurrency=4, batch_size=1
        )
    assert report.sent == 4
    assert fake.message_count == 4


@pytest.mark.anyio
@on_asyncio
async def test_a_closed_client_refuses_requests() -> None:
    client = AsyncVelstack(api_key="vs_key", base_url="http://127.0.0.1:1")
    await client.aclose()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.groups.list()


@pytest.mark.anyio
@on_asyncio
async def test_an_aiohttp_transport_inside_an_httpx_client_says_what_to_pass() -> None:
    """The recipe README once gave, ``httpx.AsyncClient(transport=AiohttpTransport())``: a
    TypeError naming the right call when httpx first uses it (httpx does nothing with a
    transport at construction), not an AttributeError."""
    wanted = r"not an httpx transport: pass it as AsyncVelstack\(transport=AiohttpTransport"
    with pytest.raises(TypeError, match=wanted):
        async with httpx.AsyncClient(transport=AiohttpTransport()):  # type: ignore[arg-type]
            pass
    http_client = httpx.AsyncClient(transport=AiohttpTransport())  # type: ignore[arg-type]
    async with AsyncVelstack(api_key="vs_key", http_client=http_client) as client:
        with pytest.raises(TypeError, match=wanted):
            await client.groups.list()


@pytest.mark.anyio
@on_asyncio
async def test_an_aiohttp_outside_the_supported_versions_is_not_the_default(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp 4 installed for something else: the SDK keeps to httpx (and says why) rather
    than running an adapter never tested on it; asked for aiohttp, it refuses up front."""
    from velstack_async._http import aiohttp_adapter

    assert aiohttp_adapter._unsupported("3.10.0") is None
    assert aiohttp_adapter._unsupported("3.14.5") is None
    reason = aiohttp_adapter._unsupported("4.0.0a1")
    assert reason == "aiohttp 4.0.0a1 is installed and the SDK supports 3.10 to 3.x"
    monkeypatch.setattr(aiohttp_adapter, "UNSUPPORTED", reason)
    with caplog.at_level(logging.DEBUG, logger="velstack_async"):
        async with AsyncVelstack(api_key="vs_key") as client:
            assert client.http_adapter == "httpx"
    assert f"HTTP adapter: httpx ({reason})" in caplog.text
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "aiohttp")
    with pytest.raises(InvalidInputError, match=r"aiohttp 4\.0\.0a1 is installed"):
        AsyncVelstack(api_key="vs_key")
