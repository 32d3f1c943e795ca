"""The SDK behaves the same over httpx's transport and over aiohttp: outcomes, errors, retries."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

import velstack_async._requester
from velstack_async import (
    APIConnectionError,
    APITimeoutError,
    ResponseParseError,
    SmsSummary,
)
from velstack_async.testing import FakeVelstack, LoopbackServer

from .conftest import MakeClient, Stub

pytestmark = pytest.mark.anyio

NUMBER = "0205550368"


async def send(client: Any) -> SmsSummary:
    result: SmsSummary = await client.sms.send(recipient=NUMBER, message="hi", sender="VELSTACK")
    return result


async def test_send_succeeds(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    client = make_client(server.base_url, api_key=fake.api_key)
    summary = await send(client)
    assert summary.recipients == (NUMBER,)
    assert fake.message_count == 1
    groups = await client.groups.list()  # a GET on the same pool
    assert groups == []


async def test_read_timeout_on_a_send_is_not_retried(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    fake.faults.latency = 0.3
    client = make_client(server.base_url, api_key=fake.api_key, timeout=httpx.Timeout(5, read=0.05))
    with pytest.raises(APITimeoutError) as caught:
        await send(client)
    assert caught.value.may_have_been_sent is True
    assert fake.request_count == 1
    assert fake.message_count == 1  # it was processed: hence may_have_been_sent


async def test_read_timeout_on_a_get_is_retried(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    fake.faults.latency = 0.3
    client = make_client(
        server.base_url, api_key=fake.api_key, timeout=httpx.Timeout(5, read=0.05), max_retries=2
    )
    with pytest.raises(APITimeoutError) as caught:
        await client.groups.list()
    assert caught.value.may_have_been_sent is False
    assert fake.request_count == 3


async def test_connect_timeout_is_retried_and_never_sent(
    make_client: MakeClient, blackhole_url: str
) -> None:
    client = make_client(blackhole_url, timeout=httpx.Timeout(5, connect=0.05), max_retries=1)
    with pytest.raises(APITimeoutError, match=r"^connect timeout") as caught:
        await send(client)
    assert caught.value.may_have_been_sent is False


async def test_connection_refused_is_retried_and_never_sent(
    make_client: MakeClient, refused_url: str
) -> None:
    client = make_client(refused_url, max_retries=2)
    with pytest.raises(APIConnectionError, match=r"^connect error") as caught:
        await send(client)
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.may_have_been_sent is False


async def test_pool_timeout_is_never_sent(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    fake.faults.latency = 1.0
    client = make_client(
        server.base_url,
        api_key=fake.api_key,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=0.05),
        max_retries=1,
    )
    errors: list[BaseException] = []

    async def second() -> None:
        await anyio.sleep(0.3)  # the first send holds the only connection
        try:
            await send(client)
        except APITimeoutError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(send, client)
        group.start_soon(second)
    assert len(errors) == 1
    assert str(errors[0]).startswith("pool timeout")
    assert errors[0].may_have_been_sent is False  # type: ignore[attr-defined]
    assert fake.message_count == 1


async def test_connection_dropped_mid_response(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    fake.faults.drop_mode = "disconnect"
    fake.faults.schedule("drop")
    client = make_client(server.base_url, api_key=fake.api_key)
    with pytest.raises(APIConnectionError, match=r"^connection broken") as caught:
        await send(client)
    assert caught.value.may_have_been_sent is True
    assert fake.request_count == 1  # not retried
    assert fake.message_count == 1


async def test_429_retry_after_is_honoured(
    make_client: MakeClient, server: LoopbackServer, fake: FakeVelstack
) -> None:
    fake.faults.throttle_next(2, retry_after=3)
    client = make_client(server.base_url, api_key=fake.api_key, max_retries=2)
    summary = await send(client)
    assert summary.recipients == (NUMBER,)
    assert fake.request_count == 3
    assert fake.message_count == 1


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_large_body_is_read_whole(
    make_client: MakeClient, stub: tuple[Stub, str], path: str
) -> None:
    state, base_url = stub
    state.big_size = 3 * 1024 * 1024
    client = make_client(base_url)
    data = await client._requester.request("GET", path, parse=lambda d: d)
    assert len(data["blob"]) == state.big_size


# On trio, httpx's nested body generators are left to the garbage collector when
# a read stops early, and trio warns about each; nothing stays open.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_body_over_the_limit_is_refused(
    make_client: MakeClient,
    stub: tuple[Stub, str],
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(velstack_async._requester, "MAX_RESPONSE_BYTES", 100_000)
    state, base_url = stub
    state.big_size = 300_000
    client = make_client(base_url)
    with pytest.raises(ResponseParseError, match="larger than 100000 bytes"):
        await client._requester.request("GET", path, parse=lambda d: d)


async def test_redirects_are_not_followed(make_client: MakeClient, stub: tuple[Stub, str]) -> None:
    state, base_url = stub
    client = make_client(base_url)
    with pytest.raises(ResponseParseError, match="unexpected HTTP 302"):
        await client._requester.request("GET", "/redirect", parse=lambda d: d)
    assert state.hits == {"/redirect": 1}


async def test_compressed_body_is_decoded(make_client: MakeClient, stub: tuple[Stub, str]) -> None:
    _, base_url = stub
    client = make_client(base_url)
    data = await client._requester.request("GET", "/gzip", parse=lambda d: d)
    assert data == {"blob": "x" * 1000}
