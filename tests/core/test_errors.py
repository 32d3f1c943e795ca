"""Every error shape maps to its typed error; nothing from httpx or json escapes."""

from __future__ import annotations

import httpx
import pytest
import respx

import velstack_async
from velstack_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncVelstack,
    AuthenticationError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    VelstackError,
)

from . import payloads as p

pytestmark = pytest.mark.anyio


@pytest.fixture
async def no_retry(
    client: AsyncVelstack,
) -> AsyncVelstack:
    return client.with_options(max_retries=0)


@pytest.mark.parametrize(
    ("response", "error", "status", "message"),
    [
        (
            httpx.Response(401, json={"message": "Unauthenticated."}),
            AuthenticationError,
            401,
            "Unauthenticated.",
        ),
        (
            httpx.Response(200, json=p.INSUFFICIENT_BALANCE),
            InsufficientBalanceError,
            403,
            "Insufficient balance to complete this message",
        ),
        (
            httpx.Response(403, json=p.INSUFFICIENT_BALANCE),
            InsufficientBalanceError,
            403,
            "Insufficient balance to complete this message",
        ),
        (
            httpx.Response(403, json={"message": "This action is unauthorized."}),
            PermissionDeniedError,
            403,
            "This action is unauthorized.",
        ),
        (
            httpx.Response(404, json={"message": "No query results for model [Group]."}),
            NotFoundError,
            404,
            "No query results for model [Group].",
        ),
        (
            httpx.Response(200, json=p.SERVICE_UNAVAILABLE),
            ServiceUnavailableError,
            503,
            "Service unavailable",
        ),
        (
            httpx.Response(503, json=p.SERVICE_UNAVAILABLE),
            ServiceUnavailableError,
            503,
            "Service unavailable",
        ),
        (
            httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>"),
            ServerError,
            502,
            "Bad Gateway (body is not JSON)",
        ),
        (
            httpx.Response(500, content=b""),
            ServerError,
            500,
            "Internal Server Error (body is not JSON)",
        ),
        (
            httpx.Response(504, text="upstream timed out"),
            ServerError,
            504,
            "Gateway Timeout (body is not JSON)",
        ),
        (httpx.Response(418, json={"oops": 1}), APIStatusError, 418, "I'm a Teapot"),
        (httpx.Response(499, json={}), APIStatusError, 499, "Error"),
        (
            httpx.Response(200, json={"status": False, "message": "Nope", "code": "x"}),
            APIStatusError,
            400,
            "Nope",
        ),
    ],
)
async def test_status_errors(
    api: respx.MockRouter,
    no_retry: AsyncVelstack,
    response: httpx.Response,
    error: type[APIStatusError],
    status: int,
    message: str,
) -> None:
    api.get("/api/group").mock(return_value=response)
    with pytest.raises(error) as caught:
        await no_retry.groups.list()
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert caught.value.message == message
    # str() leads with the status code; the two errors a user can act on say how.
    hint = {
        AuthenticationError: " (check the API key)",
        InsufficientBalanceError: " (nothing was sent: top up the account)",
    }.get(error, "")
    assert str(caught.value) == f"{status} {message}{hint}"


async def test_str_starts_with_the_status_and_keeps_the_key_and_text_out(
    api: respx.MockRouter,
) -> None:
    key = "vs_live_k3y5ecret9"
    text = "Your code is 40392 - never share it"
    api.post("/api/quick/sms").respond(401, json={"message": "Unauthenticated."})
    async with AsyncVelstack(api_key=key, max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.sms.send(recipient="0205550368", message=text, sender="SHOP")
    assert str(caught.value) == "401 Unauthenticated. (check the API key)"
    assert repr(caught.value) == "AuthenticationError('401 Unauthenticated. (check the API key)')"


async def test_a_send_that_may_have_gone_out_says_so_after_the_status(
    api: respx.MockRouter, no_retry: AsyncVelstack
) -> None:
    api.post("/api/quick/sms").respond(500, json={"message": "Server Error for 0205550368"})
    with pytest.raises(ServerError) as caught:
        await no_retry.sms.send(recipient="0205550368", message="hi", sender="SHOP")
    assert caught.value.may_have_been_sent
    assert str(caught.value) == (
        "500 Server Error for *******368 (Velstack may have processed it, so it was not "
        "retried: check before resending)"
    )


async def test_laravel_validation_error(api: respx.MockRouter, no_retry: AsyncVelstack) -> None:
    body = {
        "message": "The recipient field is required.",
        "errors": {"recipient": ["The recipient field is required."]},
    }
    api.post("/api/quick/sms").respond(422, json=body)
    with pytest.raises(ValidationError) as caught:
        await no_retry.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    assert caught.value.errors == {"recipient": ["The recipient field is required."]}
    assert caught.value.body == body
    assert not caught.value.may_have_been_sent


async def test_rate_limit_error_carries_retry_after(
    api: respx.MockRouter, no_retry: AsyncVelstack
) -> None:
    api.get("/api/group").respond(
        429,
        json={"message": "Too Many Attempts."},
        headers={"Retry-After": "7", "X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(RateLimitError) as caught:
        await no_retry.groups.list()
    assert caught.value.retry_after == 7.0
    assert caught.value.headers["X-RateLimit-Limit"] == "60"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"not json at all"),
        httpx.Response(200, content=b""),
        httpx.Response(200, json=[1, 2, 3]),
        httpx.Response(200, json="hello"),
        httpx.Response(200, json={"status": True, "data": {"Summary": "nope"}}),
        httpx.Response(200, json={"status": True, "data": {"Summary": [{"id": None}]}}),
        httpx.Response(200, json={"status": True, "data": {"Summary": [{"name": "x"}]}}),
        httpx.Response(200, json={"status": True, "data": None}),
        httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
        httpx.Response(200, content=b'{"status": true, "data": "\xff"}'),  # not UTF-8
        httpx.Response(302, headers={"Location": "https://evil.example/"}),
    ],
)
async def test_unreadable_bodies_are_response_parse_errors(
    api: respx.MockRouter, no_retry: AsyncVelstack, response: httpx.Response
) -> None:
    api.get("/api/group").mock(return_value=response)
    with pytest.raises(ResponseParseError):
        await no_retry.groups.list()


async def test_a_byte_order_mark_before_the_json_is_tolerated(
    api: respx.MockRouter, no_retry: AsyncVelstack
) -> None:
    content = b"\xef\xbb\xbf" + httpx.Response(200, json=p.GROUPS).content
    api.get("/api/group").mock(return_value=httpx.Response(200, content=content))
    assert [g.name for g in await no_retry.groups.list()] == [
        g["name"] for g in p.GROUPS["data"]["Summary"]
    ]


async def test_oversized_body_is_refused(
    api: respx.MockRouter, no_retry: AsyncVelstack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(velstack_async._requester, "MAX_RESPONSE_BYTES", 1000)
    api.get("/api/group").respond(200, content=b" " * 5000)
    with pytest.raises(ResponseParseError, match="larger than 1000 bytes"):
        await no_retry.groups.list()


# Abandoning httpx's chain of async generators mid-stream makes trio warn when they are
# collected (httpx gives no way to close the inner ones); the connection itself is closed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_oversized_streamed_body_without_length_is_refused(
    api: respx.MockRouter, no_retry: AsyncVelstack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(velstack_async._requester, "MAX_RESPONSE_BYTES", 1000)

    async def chunks() -> object:
        for _ in range(100):
            yield b" " * 100

    api.get("/api/group").respond(200, stream=httpx.ByteStream(b"")).side_effect = (
        lambda request: httpx.Response(200, content=chunks())  # type: ignore[arg-type]
    )
    with pytest.raises(ResponseParseError, match="larger than"):
        await no_retry.groups.list()


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.ReadError("reset"), APIConnectionError),
        (httpx.RemoteProtocolError("closed"), APIConnectionError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.PoolTimeout("busy"), APITimeoutError),
        (httpx.UnsupportedProtocol("ftp"), APIConnectionError),
    ],
)
async def test_transport_errors_are_translated(
    api: respx.MockRouter, no_retry: AsyncVelstack, exc: Exception, error: type[VelstackError]
) -> None:
    api.get("/api/group").mock(side_effect=exc)
    with pytest.raises(error) as caught:
        await no_retry.groups.list()
    assert type(caught.value) is error
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, VelstackError)
    for cls in (
        AuthenticationError,
        InsufficientBalanceError,
        PermissionDeniedError,
        NotFoundError,
        ValidationError,
        RateLimitError,
        ServiceUnavailableError,
        ServerError,
    ):
        assert issubclass(cls, APIStatusError)
    assert issubclass(velstack_async.InvalidInputError, ValueError)
    assert issubclass(velstack_async.InvalidInputError, VelstackError)
    assert issubclass(ResponseParseError, VelstackError)
