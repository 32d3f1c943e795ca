"""httpx transports that call a `FakeService` directly: no sockets, no server.

What a client sees for each fault (after any injected latency):

- ``reset``: `httpx.ConnectError` at once (nothing was sent or processed).
- drop, ``drop_mode="timeout"``: `httpx.ReadTimeout` at once (no real waiting),
  although the request **was** processed.
- drop, ``drop_mode="disconnect"``: `httpx.RemoteProtocolError` ("Server
  disconnected without sending a response."); processed as well.
- latency longer than the request's read timeout: `httpx.ReadTimeout` after
  waiting that timeout, as a real connection would (processed too).
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx

from ._responses import FakeResponse
from ._service import FakeService

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncFakeTransport",
    "SyncFakeTransport",
    "async_http_client",
    "http_client",
]

#: The base URL of in-process clients (the service's real one: nothing leaves the process).
DEFAULT_BASE_URL = "https://sms.velstack.com"


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if value is not None else None


def _plan(response: FakeResponse, request: httpx.Request) -> tuple[float, Exception | None]:
    """Seconds to wait, then the error to raise instead of responding (or None)."""
    if response.action == "reset":
        return 0.0, httpx.ConnectError("[fake] connection reset by peer", request=request)
    read_timeout = _read_timeout(request)
    if read_timeout is not None and response.delay > read_timeout:
        return read_timeout, httpx.ReadTimeout("[fake] timed out", request=request)
    if response.action == "drop_timeout":
        return response.delay, httpx.ReadTimeout("[fake] response dropped", request=request)
    if response.action == "drop_disconnect":
        message = "Server disconnected without sending a response."
        return response.delay, httpx.RemoteProtocolError(message, request=request)
    return response.delay, None


def _handle(fake: FakeService, request: httpx.Request) -> FakeResponse:
    path = request.url.raw_path.decode()
    return fake.handle(request.method, path, request.headers, request.content)


def _response(response: FakeResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        response.status, headers=list(response.headers), content=response.body, request=request
    )


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """Async transport for `httpx.AsyncClient`; latency uses `anyio.sleep` (asyncio or trio)."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = _handle(self.fake, request)
        delay, error = _plan(response, request)
        if delay:
            await anyio.sleep(delay)
        if error is not None:
            raise error
        return _response(response, request)


class SyncFakeTransport(httpx.BaseTransport):
    """Sync transport for `httpx.Client`; latency uses `time.sleep`."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = _handle(self.fake, request)
        delay, error = _plan(response, request)
        if delay:
            time.sleep(delay)
        if error is not None:
            raise error
        return _response(response, request)


def async_http_client(fake: FakeService, **kwargs: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` wired to ``fake``; ``kwargs`` go to the client."""
    kwargs.setdefault("base_url", DEFAULT_BASE_URL)
    return httpx.AsyncClient(transport=AsyncFakeTransport(fake), **kwargs)


def http_client(fake: FakeService, **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` wired to ``fake``; ``kwargs`` go to the client."""
    kwargs.setdefault("base_url", DEFAULT_BASE_URL)
    return httpx.Client(transport=SyncFakeTransport(fake), **kwargs)
