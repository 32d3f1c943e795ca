"""A stale keep-alive connection in a campaign: `unknown`, its own reason, its own count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from velstack_async import AsyncVelstack, BulkResult, BulkStatus, StaleConnectionError
from velstack_async._bulk.outcome import STALE

from ..transport.rawserver_keepalive import OneShotKeepAlive

pytestmark = pytest.mark.anyio


@pytest.fixture
def one_shot() -> Iterator[OneShotKeepAlive]:
    with OneShotKeepAlive() as server:
        yield server


@pytest.fixture(params=["httpx", "aiohttp"])
def adapter(
    request: pytest.FixtureRequest, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    if request.param == "aiohttp" and anyio_backend != "asyncio":
        pytest.skip("aiohttp runs on asyncio only")
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", str(request.param))
    return str(request.param)


async def test_a_send_on_a_stale_connection_is_unknown_and_counted(
    adapter: str, one_shot: OneShotKeepAlive
) -> None:
    """The server answers the first request, then drops the reused connection unread."""
    results: list[BulkResult] = []
    async with AsyncVelstack(api_key="vs_key", base_url=one_shot.base_url) as client:
        assert client.http_adapter == adapter
        report = await client.sms.send_bulk(
            ["0205550368", "0205550369"],
            message="hi",
            sender="VELSTACK",
            batch_size=1,
            concurrency=1,
            on_result=results.append,
        )
    assert (report.sent, report.unknown, report.unknown_stale) == (1, 1, 1)
    assert report.requests == 2
    assert one_shot.connections == 1
    (stale,) = report.unsent
    assert stale.recipient == "0205550369"
    assert stale.status is BulkStatus.UNKNOWN
    assert isinstance(stale.error, StaleConnectionError)
    assert stale.error.may_have_been_sent is True
    assert stale.reason == STALE
    assert stale.reason.startswith("stale keep-alive connection")
    assert [r.status for r in results] == [BulkStatus.SENT, BulkStatus.UNKNOWN]
