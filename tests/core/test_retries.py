"""Retry rules: what is retried, how long it waits, and that sends never risk a double send."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import anyio
import httpx
import pytest
import respx

from velstack_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncVelstack,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    VelstackError,
)
from velstack_async._retry import RetryPolicy, parse_retry_after

from . import payloads as p

pytestmark = pytest.mark.anyio

SEND: dict[str, Any] = {"recipient": "0205550368", "message": "hi", "sender": "VELSTACK"}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every wait instead of sleeping."""
    recorded: list[float] = []

    async def sleep(self: RetryPolicy, seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(RetryPolicy, "sleep", sleep)
    return recorded


def fail_then(
    first: httpx.Response | Exception, ok: dict[str, object]
) -> list[httpx.Response | Exception]:
    return [first, httpx.Response(200, json=ok)]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.Response(429, json={"message": "Too Many Attempts."}),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(503, json=p.SERVICE_UNAVAILABLE),
        httpx.Response(200, json=p.SERVICE_UNAVAILABLE),
        httpx.Response(504, text="Gateway Timeout"),
    ],
)
async def test_reads_retry_transient_failures(
    api: respx.MockRouter,
    client: AsyncVelstack,
    sleeps: list[float],
    failure: httpx.Response | Exception,
) -> None:
    route = api.get("/api/group").mock(side_effect=fail_then(failure, p.GROUPS))
    groups = await client.groups.list()
    assert len(groups) == 2
    assert route.call_count == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json={"message": "Server Error"}),
        httpx.Response(400, json={"message": "Bad"}),
        httpx.Response(404, json={"message": "Not Found"}),
    ],
)
async def test_reads_do_not_retry_other_statuses(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float], failure: httpx.Response
) -> None:
    route = api.get("/api/group").mock(side_effect=fail_then(failure, p.GROUPS))
    with pytest.raises(VelstackError):
        await client.groups.list()
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.PoolTimeout("pool busy"),
        httpx.Response(429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "1"}),
        httpx.Response(503, json=p.SERVICE_UNAVAILABLE),
        httpx.Response(200, json=p.SERVICE_UNAVAILABLE),
    ],
)
async def test_sends_retry_only_when_certainly_not_processed(
    api: respx.MockRouter,
    client: AsyncVelstack,
    sleeps: list[float],
    failure: httpx.Response | Exception,
) -> None:
    route = api.post("/api/quick/sms").mock(side_effect=fail_then(failure, p.QUICK_SMS))
    summary = await client.sms.send(**SEND)
    assert summary.message_id == "550517f1-3810-4d17-bfdb-f2571d05c07c"
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ReadTimeout("slow read"), APITimeoutError),
        (httpx.WriteTimeout("slow write"), APITimeoutError),
        (httpx.ReadError("reset"), APIConnectionError),
        (httpx.RemoteProtocolError("server disconnected"), APIConnectionError),
        (httpx.Response(500, json={"message": "Server Error"}), ServerError),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ServerError),
        (httpx.Response(504, text="Gateway Timeout"), ServerError),
    ],
)
async def test_ambiguous_send_failures_raise_at_once(
    api: respx.MockRouter,
    client: AsyncVelstack,
    sleeps: list[float],
    failure: httpx.Response | Exception,
    error: type[VelstackError],
) -> None:
    route = api.post("/api/quick/sms").mock(side_effect=fail_then(failure, p.QUICK_SMS))
    with pytest.raises(error) as caught:
        await client.sms.send(**SEND)
    assert route.call_count == 1
    assert caught.value.may_have_been_sent
    assert "may have processed it" in str(caught.value)
    assert sleeps == []


async def test_group_send_and_creates_follow_the_send_rules(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    group_sms = api.post("/api/group/sms").mock(side_effect=httpx.ReadTimeout("slow"))
    create = api.post("/api/group").respond(502)
    with pytest.raises(APITimeoutError):
        await client.sms.send_group(group_id="g1", message="hi", sender="VELSTACK")
    with pytest.raises(ServerError):
        await client.groups.create(name="x")
    assert group_sms.call_count == 1
    assert create.call_count == 1


async def test_gives_up_after_max_retries(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    route = api.get("/api/group").respond(503, json=p.SERVICE_UNAVAILABLE)
    with pytest.raises(ServiceUnavailableError):
        await client.with_options(max_retries=4).groups.list()
    assert route.call_count == 5
    assert len(sleeps) == 4
    with pytest.raises(ServiceUnavailableError):
        await client.with_options(max_retries=0).groups.list()
    assert route.call_count == 6


async def test_backoff_is_exponential_with_full_jitter(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    api.get("/api/group").respond(503, json=p.SERVICE_UNAVAILABLE)
    client._requester.policy.rng = random.Random(7)
    with pytest.raises(ServiceUnavailableError):
        await client.with_options(max_retries=6).groups.list()
    caps = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(sleeps) == 6
    assert all(0 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))
    expected = random.Random(7)
    assert sleeps == [expected.uniform(0, cap) for cap in caps]


async def test_retry_after_seconds_is_honoured(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    throttled = httpx.Response(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "3"}
    )
    api.get("/api/group").mock(side_effect=fail_then(throttled, p.GROUPS))
    await client.groups.list()
    assert 3.0 in sleeps


async def test_retry_after_http_date_is_honoured(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    throttled = httpx.Response(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": when}
    )
    api.get("/api/group").mock(side_effect=fail_then(throttled, p.GROUPS))
    await client.groups.list()
    assert any(15 <= s <= 21 for s in sleeps)


async def test_retry_after_beyond_the_ceiling_is_not_waited_for(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    throttled = httpx.Response(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "3600"}
    )
    route = api.get("/api/group").mock(side_effect=fail_then(throttled, p.GROUPS))
    with pytest.raises(RateLimitError) as caught:
        await client.groups.list()
    assert caught.value.retry_after == 3600
    assert route.call_count == 1
    assert all(s <= 60 for s in sleeps)


async def test_a_429_pauses_every_request_of_the_client(
    api: respx.MockRouter, client: AsyncVelstack, sleeps: list[float]
) -> None:
    throttled = httpx.Response(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "5"}
    )
    api.get("/api/group").mock(side_effect=fail_then(throttled, p.GROUPS))
    api.get("/api/contact").respond(json=p.ALL_CONTACTS)
    await client.groups.list()
    sleeps.clear()
    # Another request on the same pool waits out the rest of the pause before it is sent.
    await client.with_options(max_retries=0).contacts.list()
    assert sleeps
    assert 4 <= sleeps[0] <= 5


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


async def test_set_testing_skips_real_waits(api: respx.MockRouter, client: AsyncVelstack) -> None:
    # `client` uses the instant_retries fixture: a 60 s Retry-After must not block the test.
    throttled = httpx.Response(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "60"}
    )
    route = api.get("/api/group").mock(side_effect=fail_then(throttled, p.GROUPS))
    with anyio.fail_after(5):
        await client.groups.list()
    assert route.call_count == 2
