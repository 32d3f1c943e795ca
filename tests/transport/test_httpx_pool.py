"""The SDK's own httpx client, sized and aged through httpx's public API only.

httpx fixes a pool's limits when it is made (``httpx.Limits``): the adapter
makes its client again for a bulk send wider than the pool, or for a server
that announces a shorter ``Keep-Alive``, and closes the client it replaced
once nothing is in flight on it. A caller's client or transport keeps its own
limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack
from velstack_async._http.adapter import DEFAULT_LIMITS
from velstack_async._http.httpx_adapter import HttpxAdapter
from velstack_async.testing import FakeVelstack

from .test_keepalive import Served, serve

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(fake: FakeVelstack, request: pytest.FixtureRequest) -> Iterator[Served]:
    """The fake on uvicorn, counting client sockets; ``Keep-Alive: timeout=N`` announced
    when parametrized (indirectly) with N."""
    yield from serve(fake, keep_alive=5, announce=getattr(request, "param", None))


@pytest.fixture
def sdk_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", "httpx")


class Barrier:
    """ASGI: holds each quick SMS until ``parties`` are held at once, or ``patience`` s."""

    def __init__(self, app: Any, parties: int, patience: float) -> None:
        self.app, self.parties, self.patience = app, parties, patience
        self.held = self.most = 0
        self._full: anyio.Event | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/quick/sms"):
            full = self._full = self._full or anyio.Event()
            self.held += 1
            self.most = max(self.most, self.held)
            if self.held >= self.parties:
                full.set()
            with anyio.move_on_after(self.patience):
                await full.wait()
            self.held -= 1
        await self.app(scope, receive, send)


@pytest.mark.usefixtures("sdk_httpx")
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the adapter is the same on trio
async def test_a_campaign_wider_than_the_pool_gets_its_connections(
    served: Served, fake: FakeVelstack
) -> None:
    """120 workers, 120 sends held by the server until all 120 are in: more than the 100
    connections the default pool opens (without more, 100 wait out the server's patience
    and the other 20 then reuse their connections). The campaign's start window lets 32
    out at first and the rest after a second."""
    most = DEFAULT_LIMITS.max_connections
    assert most is not None
    wide = most + 20
    barrier = served.app.app = Barrier(served.app.app, wide, patience=10.0)
    numbers = [f"020{i:07d}" for i in range(wide)]
    async with AsyncVelstack(api_key=fake.api_key, base_url=served.base_url) as client:
        assert client.http_adapter == "httpx"
        report = await client.sms.send_bulk(
            numbers, message="hi", sender="VELSTACK", concurrency=wide, batch_size=1
        )
    assert report.sent == wide
    assert barrier.most == wide
    assert len(served.app.sockets) == wide


async def groups_list(adapter: HttpxAdapter, served: Served, api_key: str) -> int:
    """GET /api/group through ``adapter``: the answer's status."""
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    url = f"{served.base_url}/api/group"
    status, _, _ = await adapter.exchange("GET", url, headers, None, None, 1 << 20)
    return status


@pytest.mark.parametrize("served", [1], indirect=True, ids=["announces 1 s"])
async def test_a_remade_client_replaces_the_old_one_and_closes_it(
    served: Served, fake: FakeVelstack
) -> None:
    made: list[httpx.AsyncClient] = []

    def make(limits: httpx.Limits) -> httpx.AsyncClient:
        made.append(httpx.AsyncClient(limits=limits, trust_env=False))
        return made[-1]

    adapter = HttpxAdapter.owned(make, DEFAULT_LIMITS)
    try:
        assert await groups_list(adapter, served, fake.api_key) == 200
        # "Keep-Alive: timeout=1": trusted half a second, in a new client's pool.
        assert len(made) == 2
        assert adapter.client is made[1]
        assert adapter.limits == httpx.Limits(
            max_connections=DEFAULT_LIMITS.max_connections,
            max_keepalive_connections=DEFAULT_LIMITS.max_keepalive_connections,
            keepalive_expiry=0.5,
        )
        assert not made[0].is_closed  # its request was still in flight
        assert await groups_list(adapter, served, fake.api_key) == 200
        assert made[0].is_closed  # idle now: closed by the next request
        assert len(made) == 2  # the same announcement again: nothing new

        adapter.reserve(10)  # fewer than it may open: unchanged
        assert len(made) == 2
        adapter.reserve(300)
        assert len(made) == 3
        assert adapter.limits == httpx.Limits(
            max_connections=300, max_keepalive_connections=300, keepalive_expiry=0.5
        )
    finally:
        await adapter.aclose()
    assert all(client.is_closed for client in made)


async def test_a_callers_transport_keeps_its_limits() -> None:
    """httpx cannot resize a transport it made: the caller sized it."""
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
    client = httpx.AsyncClient(transport=transport)
    adapter = HttpxAdapter(client, owns_client=True)
    adapter.reserve(300)
    assert adapter.limits is None
    assert adapter.client is client
    await adapter.aclose()
    assert client.is_closed
