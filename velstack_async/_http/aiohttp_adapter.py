"""The aiohttp adapter (the ``fast`` extra): the default on asyncio.

httpx's own pool (httpcore) spends most of a busy client's CPU managing
connections; aiohttp's pool does the same job several times cheaper.

A request runs on aiohttp's own parts (its connector's pool, `ClientRequest`
to write, `ClientResponse` to parse) without `ClientSession.request`'s
orchestration: the SDK uses none of what that adds (cookies, redirects,
``auth=``, netrc and proxy variables, middlewares, a total timeout) and it
costs about a third of a small request's CPU. aiohttp's ``TraceConfig`` hooks
(and so OpenTelemetry's aiohttp instrumentation) do not run: the SDK's own
spans cover each request, without a second CLIENT span.

- ``limits.max_connections`` bounds the requests in flight, with the pool
  timeout; ``limits.keepalive_expiry`` (default 3 s) is how long an idle pooled
  connection is trusted, lowered by a server's ``Keep-Alive: timeout=N``.
- ``verify`` and ``proxy`` as for `AsyncVelstack` (http:// and https:// proxies,
  HTTPS through CONNECT). A transport you pass reads no proxy variables.
- No cookies are kept; no redirect is followed.
- aiohttp runs on asyncio only: on trio the SDK picks the httpx adapter.
- Read timeouts (Python 3.11+) run from the start of the request, a new
  connection's setup included, to the response headers, then again for each
  read of the body, on one timer for every request in flight (`deadlines`).
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import sys
import weakref
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
from aiohttp import hdrs
from aiohttp.client_reqrep import ClientRequest, ClientResponse
from yarl import URL

from . import deadlines as _deadlines
from .adapter import (
    DEFAULT_KEEPALIVE_EXPIRY,
    DEFAULT_LIMITS,
    Adapter,
    ExchangeError,
    Failure,
    keepalive_announced,
    read_limited,
    too_large,
)
from .network import ssl_context

__all__ = ["DEFAULT_LIMITS", "AiohttpTransport"]

_CHUNK = 64 * 1024
_DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_FAILURES = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
_RESETS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_NO_TRACES: list[Any] = []
#: Header names already case-folded (multidict's `istr`): no folding per lookup.
_KEEP_ALIVE = hdrs.KEEP_ALIVE
_ENCODING = hdrs.CONTENT_ENCODING
#: URLs parsed once (an API client requests a handful of paths).
_MOST_URLS = 256


class AiohttpTransport(Adapter):
    """The SDK's aiohttp connection pool. Pass it as ``AsyncVelstack(transport=...)`` to tune it.

    The session is created on first use, in the running (asyncio) loop.
    """

    name = "aiohttp"

    def __init__(
        self,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        verify: bool | str | ssl.SSLContext = True,
        proxy: str | None = None,
    ) -> None:
        self._limits = limits
        self._ssl = ssl_context(verify)
        self._proxy = None if proxy is None else URL(proxy)
        self._max_connections = limits.max_connections
        expiry = limits.keepalive_expiry
        self._expiry = DEFAULT_KEEPALIVE_EXPIRY if expiry is None else expiry
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connector: aiohttp.TCPConnector | None = None
        #: Connections that served a request before: a failure on one of those before
        #: any answer is a stale keep-alive connection.
        self._used: weakref.WeakSet[object] = weakref.WeakSet()
        self._urls: dict[str, URL] = {}
        self._slots: asyncio.Semaphore | None = None
        self._connect_limits: dict[float | None, aiohttp.ClientTimeout] = {}
        self._deadlines: _deadlines.Deadlines | None = None
        self._closed = False

    @property
    def max_connections(self) -> int | None:
        return self._max_connections

    def reserve(self, connections: int) -> None:
        current = self._max_connections
        if current is None or connections <= current:
            return
        self._max_connections = connections
        if self._slots is not None:
            for _ in range(connections - current):
                self._slots.release()

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop():
            session = self._open()
        connector = self._connector
        assert connector is not None
        slots = self._slots
        timeout = timeout or _DEFAULT_TIMEOUT
        target = self._urls.get(url) or self._parse(url)
        if slots is not None:
            await _acquire(slots, timeout.pool)
        read, deadlines = timeout.read, self._deadlines
        watch = deadlines.watch(read) if deadlines is not None and read is not None else None
        reused = started = False
        try:
            if watch is not None:  # counted from here: a new connection's setup included
                watch.reset()
            request = ClientRequest(
                method,
                target,
                headers=headers,
                data=content,
                loop=self._loop,
                response_class=ClientResponse,
                proxy=self._proxy,
                session=session,
            )
            try:
                limit = self._connect_limits.get(timeout.connect)
                if limit is None:
                    limit = self._connect_limit(timeout.connect)
                connection = await connector.connect(request, _NO_TRACES, limit)
            except asyncio.TimeoutError:
                raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {url}") from None
            protocol = connection.protocol
            assert protocol is not None
            used = self._used
            reused = protocol in used
            if not reused:
                used.add(protocol)
            protocol.set_response_params(
                skip_payload=method == "HEAD",
                read_until_eof=True,
                read_timeout=None if watch is not None else read,
            )
            try:
                response = await request.send(connection)
                try:
                    await response.start(connection)
                except BaseException:
                    response.close()
                    raise
            except BaseException:
                connection.close()
                raise
            started = True
            try:
                found = response.headers
                if _KEEP_ALIVE in found:
                    self._keepalive(found)
                body = response.content
                if body.is_eof() and _ENCODING not in found:
                    # The whole body came with the headers (a small answer): no wait.
                    raw = body.read_nowait()
                    if len(raw) > max_bytes:
                        raise too_large(len(raw), max_bytes)
                else:
                    raw = await read_limited(
                        body.iter_chunked(_CHUNK),
                        response.content_length,
                        max_bytes,
                        watch.reset if watch is not None else None,
                        None if _ENCODING in found else response.read,
                    )
            finally:
                response.release()
        except asyncio.CancelledError:
            if watch is not None and watch.timed_out():
                raise ExchangeError(
                    Failure.READ_TIMEOUT, "ReadTimeout: timed out waiting for Velstack's response"
                ) from None
            raise
        except _FAILURES as exc:
            raise _failure(exc, stale_possible=reused and not started) from None
        finally:
            if watch is not None:
                watch.end()  # (a deadline that passed as aiohttp ended the request: withdrawn)
            if slots is not None:
                slots.release()
        return response.status, found, raw

    async def aclose(self) -> None:
        self._closed = True
        if self._deadlines is not None:
            self._deadlines.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        """The session (and pool) for the running loop, made at the first request."""
        if self._session is not None:
            raise RuntimeError(
                "this client was first used in another event loop; create one client per loop"
            )
        if self._closed:
            raise RuntimeError("this client is closed")
        self._loop = asyncio.get_running_loop()
        connector = self._connector = aiohttp.TCPConnector(
            limit=0,  # the slots bound requests in flight, with a pool timeout
            ssl=self._ssl,
            keepalive_timeout=self._expiry,
        )
        session = self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # the proxy is resolved per client (network.proxy_for)
        )
        if self._max_connections is not None:
            self._slots = asyncio.Semaphore(self._max_connections)
        if _deadlines.SUPPORTED:
            self._deadlines = _deadlines.Deadlines(self._loop)
        return session

    def _parse(self, url: str) -> URL:
        """``url`` as aiohttp takes it, remembered; `ExchangeError` when it cannot be requested."""
        try:
            parsed = URL(url)
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.raw_host:
            raise ExchangeError(Failure.UNUSABLE_URL, f"InvalidURL: cannot request {url!r}")
        if len(self._urls) >= _MOST_URLS:
            self._urls.clear()
        self._urls[url] = parsed
        return parsed

    def _connect_limit(self, connect: float | None) -> aiohttp.ClientTimeout:
        """The connector's timeout for a new connection (reads are timed elsewhere)."""
        limit = self._connect_limits[connect] = aiohttp.ClientTimeout(
            total=None, connect=connect, sock_connect=connect
        )
        return limit

    def _keepalive(self, headers: Mapping[str, str]) -> None:
        seconds = keepalive_announced(headers)
        if seconds is not None and seconds < self._expiry and self._connector is not None:
            self._expiry = seconds
            self._connector._keepalive_timeout = seconds  # read when a connection is reused


async def _acquire(slots: asyncio.Semaphore, pool: float | None) -> None:
    if not slots.locked():
        await slots.acquire()  # does not wait: a slot is free
        return
    try:
        if sys.version_info >= (3, 11):  # no extra task per waiting request
            async with asyncio.timeout(pool):
                await slots.acquire()
        else:
            await asyncio.wait_for(slots.acquire(), pool)
    except asyncio.TimeoutError:
        raise ExchangeError(
            Failure.POOL_TIMEOUT, "PoolTimeout: no free connection within the pool timeout"
        ) from None


def _failure(exc: BaseException, *, stale_possible: bool) -> ExchangeError:
    """How far a request got that aiohttp failed with ``exc``."""
    detail = f"{type(exc).__name__}: {str(exc) or type(exc).__name__}"
    failure: Failure
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        failure = Failure.CONNECT_TIMEOUT
    elif isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        failure = Failure.READ_TIMEOUT
    elif isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ClientHttpProxyError)):
        failure = Failure.CONNECT
    elif isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        failure = Failure.UNUSABLE_URL
    elif stale_possible and (
        isinstance(exc, aiohttp.ServerDisconnectedError)
        or (isinstance(exc, aiohttp.ClientOSError) and exc.errno in _RESETS)
    ):
        failure = Failure.STALE_CONNECTION
    else:  # once connected, any other failure: the request may have been processed
        failure = Failure.BROKEN
    return ExchangeError(failure, detail)
