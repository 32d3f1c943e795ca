"""The clients the benchmark compares, each sending the same campaign to the same server.

Every client sends one ``POST /api/quick/sms`` per recipient with the same
JSON body, reads the whole response, decodes its JSON and counts the sends
answered 200. Concurrent clients run ``concurrency`` workers that share one
recipient iterator (and a connection pool of ``concurrency`` connections).
twilio-python, measured alongside in the client-bound cell (``client_bound.py``),
sends its own request (a form to Twilio's Messages path) with its own defaults.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import attrs
import httpx

from velstack_async import AsyncVelstack

SENDER = "VELSTACK"
MESSAGE = "Your Velstack code is 482193. It expires in 10 minutes."
PATH = "/api/quick/sms"


@attrs.frozen
class Target:
    base_url: str
    api_key: str

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }


def recipients(count: int, start: int = 0) -> list[str]:
    """``count`` distinct valid Ghanaian mobile numbers, national format."""
    return [f"024{i:07d}" for i in range(start, start + count)]


def body(recipient: str) -> bytes:
    return json.dumps({"sender": SENDER, "recipient": recipient, "message": MESSAGE}).encode()


def _ok(status: int, raw: bytes) -> int:
    payload = json.loads(raw)
    return int(status == 200 and payload["status"] is True)


async def _workers(
    concurrency: int, numbers: list[str], send: Callable[[str], Awaitable[int]]
) -> int:
    """Run ``concurrency`` workers over one shared iterator; the number of sends that succeeded."""
    todo: Iterator[str] = iter(numbers)
    done = 0

    async def worker() -> None:
        nonlocal done
        for number in todo:
            try:
                ok = await send(number)  # not `done += await ...`: that reads `done` first
            except Exception:  # a raw client's failed request counts as not sent
                ok = 0
            done += ok

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


# -- raw clients -----------------------------------------------------------------------


async def raw_aiohttp(target: Target, concurrency: int, numbers: list[str]) -> int:
    import aiohttp

    headers = target.headers()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(number: str) -> int:
            async with session.post(target.url, data=body(number), headers=headers) as response:
                return _ok(response.status, await response.read())

        return await _workers(concurrency, numbers, send)


async def _raw_httpx(
    client: httpx.AsyncClient, target: Target, concurrency: int, numbers: list[str]
) -> int:
    headers = target.headers()
    async with client:

        async def send(number: str) -> int:
            response = await client.post(target.url, content=body(number), headers=headers)
            return _ok(response.status_code, response.content)

        return await _workers(concurrency, numbers, send)


def _limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


async def raw_httpx(target: Target, concurrency: int, numbers: list[str]) -> int:
    client = httpx.AsyncClient(limits=_limits(concurrency))
    return await _raw_httpx(client, target, concurrency, numbers)


async def httpx_over_httpx_aiohttp(target: Target, concurrency: int, numbers: list[str]) -> int:
    from httpx_aiohttp import AiohttpTransport

    client = httpx.AsyncClient(transport=AiohttpTransport(limits=_limits(concurrency)))
    return await _raw_httpx(client, target, concurrency, numbers)


# -- velstack-async --------------------------------------------------------------------


def _sdk(target: Target, **options: Any) -> AsyncVelstack:
    return AsyncVelstack(api_key=target.api_key, base_url=target.base_url, **options)


async def _sdk_send(client: AsyncVelstack, concurrency: int, numbers: list[str]) -> int:
    async with client:

        async def send(number: str) -> int:
            await client.sms.send(recipient=number, message=MESSAGE, sender=SENDER)
            return 1

        return await _workers(concurrency, numbers, send)


async def sdk_send(target: Target, concurrency: int, numbers: list[str]) -> int:
    """``AsyncVelstack.sms.send`` from ``concurrency`` workers, aiohttp transport sized to them."""
    from velstack_async.fast import AiohttpTransport

    transport = AiohttpTransport(limits=_limits(concurrency))
    return await _sdk_send(_sdk(target, transport=transport), concurrency, numbers)


async def sdk_send_httpcore(target: Target, concurrency: int, numbers: list[str]) -> int:
    """The same over httpx's own transport (the opt-out)."""
    transport = httpx.AsyncHTTPTransport(limits=_limits(concurrency))
    return await _sdk_send(_sdk(target, transport=transport), concurrency, numbers)


async def sdk_send_bulk(target: Target, concurrency: int, numbers: list[str]) -> int:
    async with _sdk(target) as client:
        report = await client.sms.send_bulk(
            numbers, message=MESSAGE, sender=SENDER, concurrency=concurrency
        )
    return report.sent


async def sdk_send_bulk_unbatched(target: Target, concurrency: int, numbers: list[str]) -> int:
    """`send_bulk` with one recipient per request (``batch_size=1``, where that keyword exists):
    the per-request cost, as raw clients pay it."""
    async with _sdk(target) as client:
        options: dict[str, Any] = {}
        if "batch_size" in inspect.signature(client.sms.send_bulk).parameters:
            options["batch_size"] = 1
        report = await client.sms.send_bulk(
            numbers, message=MESSAGE, sender=SENDER, concurrency=concurrency, **options
        )
    return report.sent


async def sdk_send_bulk_reserved(target: Target, concurrency: int, numbers: list[str]) -> int:
    """`send_bulk` with the SDK's pool first sized to ``concurrency`` (``reserve_connections``)."""
    async with _sdk(target) as client:
        client._requester.reserve_connections(concurrency)
        report = await client.sms.send_bulk(
            numbers, message=MESSAGE, sender=SENDER, concurrency=concurrency
        )
    return report.sent


def sync_send_bulk(target: Target, concurrency: int, numbers: list[str]) -> int:
    from velstack_async import Velstack

    with Velstack(api_key=target.api_key, base_url=target.base_url) as client:
        report = client.sms.send_bulk(
            numbers, message=MESSAGE, sender=SENDER, concurrency=concurrency
        )
    return report.sent


#: An account SID of Twilio's shape; the benchmark server answers any.
TWILIO_ACCOUNT = "AC00000000000000000000000000000000"


async def twilio_async(target: Target, concurrency: int, numbers: list[str]) -> int:
    """twilio-python's async client (`AsyncTwilioHttpClient`, its defaults) at ``target``:
    `messages.create_async` from ``concurrency`` workers, the API's domain pointed at the
    benchmark server (`Domain.base_url`, normally https://api.twilio.com)."""
    from twilio.http.async_http_client import (  # type: ignore[import-untyped]
        AsyncTwilioHttpClient,
    )
    from twilio.rest import Client as Twilio  # type: ignore[import-untyped]

    http = AsyncTwilioHttpClient()
    client = Twilio(TWILIO_ACCOUNT, target.api_key, http_client=http)
    client.api.base_url = target.base_url
    try:

        async def send(number: str) -> int:
            message = await client.messages.create_async(
                to="+233" + number[1:], from_="+15005550006", body=MESSAGE
            )
            return int(message.sid is not None)

        return await _workers(concurrency, numbers, send)
    finally:
        await http.close()


def requests_loop(target: Target, concurrency: int, numbers: list[str]) -> int:
    """One at a time, as the API's own documentation shows (``concurrency`` is ignored)."""
    import requests

    headers = target.headers()
    done = 0
    with requests.Session() as session:
        for number in numbers:
            response = session.post(target.url, data=body(number), headers=headers, timeout=30)
            done += _ok(response.status_code, response.content)
    return done


AsyncClientFn = Callable[[Target, int, list[str]], Coroutine[Any, Any, int]]
SyncClientFn = Callable[[Target, int, list[str]], int]


@attrs.frozen
class Client:
    name: str
    label: str
    run: AsyncClientFn | None = None
    run_sync: SyncClientFn | None = None
    #: Sends one request at a time whatever the concurrency.
    sequential: bool = False

    def __call__(self, target: Target, concurrency: int, numbers: list[str]) -> int:
        if self.run_sync is not None:
            return self.run_sync(target, concurrency, numbers)
        assert self.run is not None
        return asyncio.run(self.run(target, concurrency, numbers))


CLIENTS: dict[str, Client] = {
    c.name: c
    for c in (
        Client("send_bulk", "velstack-async `send_bulk`", run=sdk_send_bulk),
        Client(
            "send_bulk_reserved",
            "velstack-async `send_bulk`, pool sized to concurrency",
            run=sdk_send_bulk_reserved,
        ),
        Client(
            "sync_send_bulk", "velstack-async sync `Velstack` `send_bulk`", run_sync=sync_send_bulk
        ),
        Client(
            "send_bulk_unbatched",
            "velstack-async `send_bulk`, `batch_size=1`",
            run=sdk_send_bulk_unbatched,
        ),
        Client("sdk_send", "velstack-async `sms.send` workers", run=sdk_send),
        Client("sdk_send_httpcore", "`sms.send` workers, httpx transport", run=sdk_send_httpcore),
        Client("aiohttp", "aiohttp `ClientSession`", run=raw_aiohttp),
        Client("httpx", "httpx `AsyncClient` (default transport)", run=raw_httpx),
        Client("httpx_aiohttp", "httpx over `httpx-aiohttp`", run=httpx_over_httpx_aiohttp),
        Client("requests", "requests, one at a time", run_sync=requests_loop, sequential=True),
        Client("twilio", "twilio-python `AsyncTwilioHttpClient`", run=twilio_async),
    )
}
