"""The httpx adapter: every request through `httpx.AsyncClient.send`.

So httpx event hooks, respx and httpx's OpenTelemetry instrumentation see each
request. The SDK's own client (no ``http_client`` or ``transport`` passed)
keeps as many connections alive as it may open, so a bulk send at concurrency
256 reuses 256 connections instead of opening one per message.

httpx sizes a pool only when it is made (``httpx.Limits``), so the SDK's own
client is made again when a bulk send needs more connections than it may
open, or when a server announces a shorter ``Keep-Alive`` than it trusts:
later requests go to the new client, requests in flight finish on the old one,
which is closed once they have. A caller's client or transport keeps its own
limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .adapter import (
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
        self._current = _Generation(client)
        self._owns_client = owns_client
        #: Makes the SDK's own client with given limits (`owned`); None: limits are fixed.
        self._make: Callable[[httpx.Limits], httpx.AsyncClient] | None = None
        self._limits = DEFAULT_LIMITS
        #: Clients replaced by `_remake`: closed by the first request that finds nothing
        #: in flight on them, or with the adapter.
        self._retired: list[_Generation] = []

    @classmethod
    def owned(
        cls, make: Callable[[httpx.Limits], httpx.AsyncClient], limits: httpx.Limits
    ) -> HttpxAdapter:
        """The SDK's own client, ``make(limits)``: made again with other limits when needed."""
        adapter = cls(make(limits), owns_client=True)
        adapter._make, adapter._limits = make, limits
        return adapter

    @property
    def client(self) -> httpx.AsyncClient:
        """The client new requests go to."""
        return self._current.client

    @property
    def limits(self) -> httpx.Limits | None:
        """The SDK's own client's limits; None for a caller's client or transport."""
        return None if self._make is None else self._limits

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        if self._retired:
            await self._close_idle()
        generation = self._current
        client = generation.client
        trace = _Trace()
        request = client.build_request(
            method,
            url,
            content=content,
            headers=headers,
            extensions={"trace": trace},
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        generation.in_flight += 1
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
        finally:
            generation.in_flight -= 1
        return response.status_code, response.headers, body

    def reserve(self, connections: int) -> None:
        """Let the SDK's own client open ``connections`` at once (never fewer than now)."""
        most = self._limits.max_connections
        if self._make is None or most is None or connections <= most:
            return
        self._remake(
            httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=self._limits.keepalive_expiry,
            )
        )

    async def aclose(self) -> None:
        generations = [*self._retired, self._current]
        self._retired = []
        if self._owns_client:
            for generation in generations:
                await generation.client.aclose()

    def _keepalive(self, headers: Mapping[str, str]) -> None:
        """Trust a pooled connection no longer than the server's ``Keep-Alive`` says."""
        if self._make is None or "Keep-Alive" not in headers:
            return
        seconds = keepalive_announced(headers)
        expiry = self._limits.keepalive_expiry
        if seconds is None or (expiry is not None and seconds >= expiry):
            return
        limits = self._limits
        self._remake(
            httpx.Limits(
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=seconds,
            )
        )

    def _remake(self, limits: httpx.Limits) -> None:
        """Later requests go to a new client with ``limits``; the old one is retired."""
        assert self._make is not None
        self._retired.append(self._current)
        self._current = _Generation(self._make(limits))
        self._limits = limits

    async def _close_idle(self) -> None:
        """Close the retired clients nothing is in flight on (their pooled connections)."""
        for generation in [g for g in self._retired if not g.in_flight]:
            await generation.client.aclose()
            self._retired.remove(generation)


class _Generation:
    """One client of the adapter and how many requests are in flight on it."""

    __slots__ = ("client", "in_flight")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.in_flight = 0


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
