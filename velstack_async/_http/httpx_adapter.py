"""The httpx adapter: every request through `httpx.AsyncClient.send`.

So httpx event hooks, respx and httpx's OpenTelemetry instrumentation see each
request. The SDK's own client (no ``http_client`` passed) keeps as many
connections alive as it may open, so a bulk send at concurrency 256 reuses 256
connections instead of opening one per message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .adapter import (
    DEFAULT_KEEPALIVE_EXPIRY,
    DEFAULT_LIMITS,
    Adapter,
    ExchangeError,
    Failure,
    keepalive_announced,
    read_limited,
)

__all__ = ["DEFAULT_LIMITS", "HttpxAdapter"]


_CONNECTED = ("connection.connect_tcp.complete", "connection.connect_unix_socket.complete")


class HttpxAdapter(Adapter):
    """Sends with an `httpx.AsyncClient` (the caller's, or one the SDK owns)."""

    name = "httpx"

    def __init__(self, client: httpx.AsyncClient, *, owns_client: bool) -> None:
        self._client = client
        self._owns_client = owns_client
        self._expiry = DEFAULT_KEEPALIVE_EXPIRY

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        client = self._client
        trace = _Trace()
        request = client.build_request(
            method,
            url,
            content=content,
            headers=headers,
            extensions={"trace": trace},
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                self._keepalive(response.headers)
                length = response.headers.get("Content-Length")
                body = await read_limited(
                    response.aiter_bytes(),
                    int(length) if length is not None and length.isdigit() else None,
                    max_bytes,
                )
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise _failure(exc, trace) from None
        return response.status_code, response.headers, body

    def reserve(self, connections: int) -> None:
        """Raise the SDK-owned pool's limits to ``connections`` (never lowers them)."""
        pool = self._pool()
        if pool is None:
            return
        for name in ("_max_connections", "_max_keepalive_connections"):
            current = getattr(pool, name, None)
            if isinstance(current, int) and current < connections:
                setattr(pool, name, connections)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _pool(self) -> object | None:
        """httpcore's pool under the SDK's own `httpx.AsyncHTTPTransport`, if that is it."""
        if not self._owns_client:
            return None
        transport = getattr(self._client, "_transport", None)
        if type(transport) is not httpx.AsyncHTTPTransport:
            return None
        return getattr(transport, "_pool", None)

    def _keepalive(self, headers: Mapping[str, str]) -> None:
        """Trust a pooled connection no longer than the server's ``Keep-Alive`` says."""
        if "Keep-Alive" not in headers:
            return
        seconds = keepalive_announced(headers)
        if seconds is None or seconds >= self._expiry:
            return
        pool = self._pool()
        if pool is None:
            return
        self._expiry = seconds
        pool._keepalive_expiry = seconds  # type: ignore[attr-defined]  # new connections
        for connection in getattr(pool, "connections", ()):  # and the pooled ones
            connection._keepalive_expiry = seconds
            inner = getattr(connection, "_connection", None)
            if inner is not None and hasattr(inner, "_keepalive_expiry"):
                inner._keepalive_expiry = seconds


class _Trace:
    """httpcore's trace callback: did this request open a new connection, get headers?"""

    __slots__ = ("connected", "responded", "sent")

    def __init__(self) -> None:
        self.connected = False
        self.sent = False
        self.responded = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event in _CONNECTED:
            self.connected = True
        elif event == "http11.send_request_headers.started":
            self.sent = True
        elif event == "http11.receive_response_headers.complete":
            self.responded = True


def _failure(exc: httpx.HTTPError, trace: _Trace) -> ExchangeError:
    detail = f"{type(exc).__name__}: {_message(exc)}"
    failure: Failure
    if isinstance(exc, httpx.PoolTimeout):
        failure = Failure.POOL_TIMEOUT
    elif isinstance(exc, httpx.ConnectTimeout):
        failure = Failure.CONNECT_TIMEOUT
    elif isinstance(exc, (httpx.ConnectError, httpx.ProxyError)):
        failure = Failure.CONNECT
    elif isinstance(exc, httpx.TimeoutException):
        failure = Failure.READ_TIMEOUT
    elif isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        failure = Failure.UNUSABLE_URL
    elif (
        isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))
        and trace.sent  # on a connection httpcore took from its pool
        and not trace.connected
        and not trace.responded
        and (not isinstance(exc, httpx.RemoteProtocolError) or "without sending" in str(exc))
    ):
        failure = Failure.STALE_CONNECTION
    else:
        failure = Failure.BROKEN
    return ExchangeError(failure, detail)


def _message(exc: BaseException) -> str:
    """The first non-empty message down the chain (trio's TLS errors nest a few deep)."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if str(seen):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__
