"""An httpx transport on aiohttp's connection pool: the ``fast`` extra.

httpx's own pool (httpcore) spends most of a busy client's CPU managing
connections; aiohttp's pool does the same job several times cheaper. This
transport keeps httpx as the SDK's interface (requests, responses, timeouts,
exception types) and lets aiohttp move the bytes.

- Errors surface as the httpx exceptions httpcore raises for the same event,
  so the SDK's retry and ``may_have_been_sent`` rules see no difference:
  refused or unresolvable host `httpx.ConnectError`; connect (DNS, TCP, TLS)
  timeout `httpx.ConnectTimeout`; no free connection within the pool timeout
  `httpx.PoolTimeout`; read timeout `httpx.ReadTimeout`; a connection closed
  before a whole response, or invalid HTTP, `httpx.RemoteProtocolError`; any
  other failure after the connection was made `httpx.ReadError`.
- ``limits.max_connections`` bounds the requests in flight, as in httpx;
  ``keepalive_expiry`` is aiohttp's keep-alive timeout. There is no separate
  write timeout (requests are small; the read timeout covers a stalled peer).
- Cookies are not kept by aiohttp (httpx keeps them, on the httpx path).
- aiohttp runs on asyncio only. On any other event loop (trio), and whenever
  respx or pytest-httpx mocking is active, requests go through httpx's own
  `httpx.AsyncHTTPTransport`, so mocks see every request.

The SDK's own requests skip httpx's client layer through `exchange`, which
reads the whole response (up to a size limit) in one step. There (on Python
3.11+) the read timeout runs from the start of the request, a new connection's
setup included, to the response headers, then again for each read of the
body, on one timer for every request in flight (`velstack_async._deadlines`)
instead of aiohttp's per-read timers.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import sys
import types
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
import httpcore
import httpx

from . import _deadlines
from ._deadlines import Deadlines
from ._transport import ResponseTooLarge

__all__ = ["AiohttpTransport", "mocking_active", "translate"]

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_EAGER_READ = 64 * 1024
_CHUNK = 64 * 1024


#: The methods respx and pytest-httpx replace while they mock.
_PATCHED = (
    (httpcore.AsyncConnectionPool, "handle_async_request", "httpcore"),
    (httpx.AsyncHTTPTransport, "handle_async_request", "httpx"),
    (httpx.AsyncClient, "_transport_for_url", "httpx"),
)


def _is_original(owner: type, name: str, module: str) -> bool:
    value = owner.__dict__.get(name)
    return isinstance(value, types.FunctionType) and value.__module__.startswith(module)


def _originals() -> tuple[object, ...] | None:
    """The unpatched methods, or None if this module was imported while mocking."""
    if all(_is_original(*patched) for patched in _PATCHED):
        return tuple(owner.__dict__[name] for owner, name, _ in _PATCHED)
    return None


_ORIGINALS = _originals()


def mocking_active() -> bool:
    """True while respx or pytest-httpx has patched httpx or httpcore (cheap: identity checks)."""
    if _ORIGINALS is None:
        return not all(_is_original(*patched) for patched in _PATCHED)
    pool, transport, client = _ORIGINALS
    return not (
        httpcore.AsyncConnectionPool.__dict__.get("handle_async_request") is pool
        and httpx.AsyncHTTPTransport.__dict__.get("handle_async_request") is transport
        and httpx.AsyncClient.__dict__.get("_transport_for_url") is client
    )


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def translate(exc: BaseException, request: httpx.Request | None = None) -> httpx.TransportError:
    """The httpx exception httpcore raises for the failure aiohttp reported as ``exc``."""
    message = str(exc) or type(exc).__name__
    kind: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        kind = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        kind = httpx.UnsupportedProtocol
    elif isinstance(
        exc,
        (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError),
    ):
        kind = httpx.RemoteProtocolError
    else:  # any other aiohttp.ClientError or OSError, once connected: it may have been processed
        kind = httpx.ReadError
    return kind(message, request=request) if request is not None else kind(message)


_FAILURES = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CA bundle), made once per process.

    Loading the CA bundle takes tens of milliseconds; every client with the
    default ``verify=True`` shares the one context, as aiohttp's own default does.
    """
    return httpx.create_ssl_context(verify=True)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` that sends with an `aiohttp.ClientSession`.

    ``verify`` is as for httpx (True: certifi's CA bundle; an `ssl.SSLContext`;
    or False). The session is created on first use, in the running loop.
    """

    def __init__(
        self, *, limits: httpx.Limits = DEFAULT_LIMITS, verify: ssl.SSLContext | bool = True
    ) -> None:
        self._limits = limits
        self._verify = verify
        self._max_connections = limits.max_connections
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._fallback: httpx.AsyncHTTPTransport | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}
        #: The fast path's read timeouts (one timer for all requests), on Python 3.11+.
        self._deadlines: Deadlines | None = None
        self._closed = False

    @property
    def max_connections(self) -> int | None:
        return self._max_connections

    def ensure_capacity(self, connections: int) -> None:
        """Allow at least ``connections`` requests in flight (a bulk send's concurrency)."""
        current = self._max_connections
        if current is None or connections <= current:
            return
        self._max_connections = connections
        if self._slots is not None:
            for _ in range(connections - current):
                self._slots.release()

    @property
    def uses_aiohttp(self) -> bool:
        """Whether a request made now would go through aiohttp (not httpx's fallback)."""
        return _on_asyncio() and not mocking_active()

    def fallback(self) -> httpx.AsyncHTTPTransport:
        """httpx's own transport, for other event loops and mocked tests."""
        if self._fallback is None:
            self._fallback = httpx.AsyncHTTPTransport(verify=self._verify, limits=self._limits)
        return self._fallback

    def _session_for_loop(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore | None]:
        session = self._session
        if session is None:
            if self._closed:
                raise RuntimeError("the transport is closed")
            context: ssl.SSLContext | bool = self._verify
            if context is True:
                context = _default_ssl_context()
            keepalive = self._limits.keepalive_expiry
            connector = aiohttp.TCPConnector(
                limit=0,  # the slots below bound requests in flight, with a pool timeout
                ssl=context,
                keepalive_timeout=keepalive if keepalive is not None else 5.0,
            )
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            if self._max_connections is not None:
                self._slots = asyncio.Semaphore(self._max_connections)
            if _deadlines.SUPPORTED:
                self._deadlines = Deadlines(asyncio.get_running_loop())
        elif session._loop is not asyncio.get_running_loop():
            raise RuntimeError(
                "this client was first used in another event loop; create one client per loop"
            )
        return session, self._slots

    def _timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=connect, sock_connect=connect, sock_read=read
            )
        return timeout

    async def _acquire(
        self,
        slots: asyncio.Semaphore | None,
        pool: float | None,
        request: httpx.Request | None = None,
    ) -> None:
        if slots is None or not slots.locked():
            if slots is not None:
                await slots.acquire()  # does not wait: a slot is free
            return
        try:
            if sys.version_info >= (3, 11):  # no extra task per waiting request
                async with asyncio.timeout(pool):
                    await slots.acquire()
            else:
                await asyncio.wait_for(slots.acquire(), pool)
        except asyncio.TimeoutError:
            message = "no free connection within the pool timeout"
            raise (
                httpx.PoolTimeout(message, request=request)
                if request
                else httpx.PoolTimeout(message)
            ) from None

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request, the whole response read: (status, headers, body).

        The SDK's fast path: no httpx.Request or httpx.Response is built.
        Raises the httpx exceptions of the module docstring, or
        `ResponseTooLarge` past ``max_bytes``.
        """
        session, slots = self._session_for_loop()
        await self._acquire(slots, timeout.pool)
        read, deadlines = timeout.read, self._deadlines
        watch = deadlines.watch(read) if deadlines is not None and read is not None else None
        try:
            if watch is not None:  # counted from here: a new connection's setup included
                watch.reset()
            response = await session.request(
                method,
                url,
                headers=headers,
                data=content,
                allow_redirects=False,
                timeout=self._timeout(timeout.connect, None if watch is not None else read),
            )
            try:
                body = await _read(response, max_bytes, watch.reset if watch else None)
            finally:
                response.release()
        except asyncio.CancelledError:
            if watch is not None and watch.timed_out():
                raise httpx.ReadTimeout("timed out waiting for Velstack's response") from None
            raise
        except _FAILURES as exc:
            raise translate(exc) from None
        finally:
            if watch is not None:
                watch.end()  # (a deadline that passed as aiohttp ended the request: withdrawn)
            if slots is not None:
                slots.release()
        return response.status, response.headers, body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.uses_aiohttp:
            return await self.fallback().handle_async_request(request)
        session, slots = self._session_for_loop()
        timeout: dict[str, float | None] = request.extensions.get("timeout") or {}
        await self._acquire(slots, timeout.get("pool"), request)
        release = _Release(slots)
        try:
            data: Any
            headers = request.headers.copy()
            try:
                data = request.content or None
            except httpx.RequestNotRead:
                data = request.stream  # aiohttp sends an async iterable chunked
                headers.pop("transfer-encoding", None)
            response = await session.request(
                request.method,
                str(request.url),
                headers=headers.multi_items(),
                data=data,
                allow_redirects=False,
                auto_decompress=False,  # httpx decodes Content-Encoding itself
                timeout=self._timeout(timeout.get("connect"), timeout.get("read")),
            )
        except _FAILURES as exc:
            release()
            raise translate(exc, request) from None
        except BaseException:
            release()
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, release, request),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        self._closed = True
        if self._deadlines is not None:
            self._deadlines.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        if self._fallback is not None:
            await self._fallback.aclose()


async def _read(
    response: aiohttp.ClientResponse, max_bytes: int, progress: Callable[[], None] | None = None
) -> bytes:
    """The whole body, up to ``max_bytes``; ``progress()`` before each read (a read deadline).

    A body of known length up to 64 KiB is one read.
    """
    length = response.content_length
    if length is not None and length > max_bytes:
        raise ResponseTooLarge(length, max_bytes)
    if progress is not None:
        progress()
    if length is not None and length <= _EAGER_READ and "Content-Encoding" not in response.headers:
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        if progress is not None:
            progress()
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(size, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


class _Release:
    """Gives a connection slot back exactly once."""

    __slots__ = ("_slots",)

    def __init__(self, slots: asyncio.Semaphore | None) -> None:
        self._slots = slots

    def __call__(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots.release()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(
        self, response: aiohttp.ClientResponse, release: _Release, request: httpx.Request
    ) -> None:
        self._response = response
        self._release = release
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield chunk
        except _FAILURES as exc:
            raise translate(exc, self._request) from None

    async def aclose(self) -> None:
        self._response.release()
        self._release()
