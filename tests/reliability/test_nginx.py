"""The findings made through a real nginx, kept as tests (marked ``stress``).

- Keep-alive: nginx over TLS closing idle connections after 1 s (and saying so
  in ``Keep-Alive: timeout=1``), sends paced so connections idle about a
  second: no send may end ``unknown``.
- ``limit_req``: about 300 requests/s, burst 20, refusing with 429 (no
  ``Retry-After``) or nginx's default 503, at concurrency 256: every recipient
  is sent, none fails, and the campaign slows down instead of giving up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trustme

from velstack_async import AsyncVelstack
from velstack_async.testing import FakeVelstack, LoopbackServer

from .nginx_front import nginx_binary, nginx_front

pytestmark = [
    pytest.mark.stress,
    pytest.mark.anyio,
    pytest.mark.parametrize("anyio_backend", ["asyncio"]),
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed"),
]


@pytest.fixture
def fake() -> FakeVelstack:
    return FakeVelstack(balance=1_000_000, seed=5)


@pytest.fixture
def upstream(fake: FakeVelstack) -> Iterator[str]:
    with LoopbackServer(fake) as server:
        yield server.base_url


@pytest.mark.parametrize("adapter", ["aiohttp", "httpx"])
async def test_no_unknown_when_nginx_closes_idle_tls_connections(
    fake: FakeVelstack, upstream: str, adapter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELSTACK_HTTP_TRANSPORT", adapter)
    ca = trustme.CA()
    numbers = [f"020{i:07d}" for i in range(384)]
    with nginx_front(upstream, keepalive="1s 1s", ca=ca) as base_url:
        context = __import__("ssl").create_default_context()
        ca.configure_trust(context)
        async with AsyncVelstack(api_key=fake.api_key, base_url=base_url, verify=context) as c:
            report = await c.sms.send_bulk(
                numbers,
                message="hi",
                sender="VELSTACK",
                concurrency=64,
                rate_limit=64,  # each connection idles about a second between its sends
                batch_size=1,
            )
    assert (report.sent, report.unknown, report.failed) == (384, 0, 0)
    fake.assert_no_duplicates()


@pytest.mark.parametrize("status", [429, 503])
async def test_limit_req_slows_the_campaign_down_and_every_recipient_is_sent(
    fake: FakeVelstack, upstream: str, status: int
) -> None:
    numbers = [f"020{i:07d}" for i in range(3_000)]
    with nginx_front(upstream, limit_rate=300, limit_burst=20, limit_status=status) as base_url:
        async with AsyncVelstack(api_key=fake.api_key, base_url=base_url) as client:
            report = await client.sms.send_bulk(
                numbers, message="hi", sender="VELSTACK", concurrency=256, batch_size=1
            )
    assert (report.sent, report.failed, report.not_attempted, report.unknown) == (3_000, 0, 0, 0)
    assert report.stopped_reason is None
    assert report.throttled > 0
    assert report.settled_rate is not None
    assert fake.message_count == 3_000
    fake.assert_no_duplicates()
