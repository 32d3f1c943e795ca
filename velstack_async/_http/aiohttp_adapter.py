"""The aiohttp adapter (the ``fast`` extra): the default on asyncio.

aiohttp's pool costs a busy client several times less CPU than httpx's
(httpcore). Requests go through `aiohttp.ClientSession.request` only (aiohttp
3.10 to 3.x), so a ``TraceConfig`` on every session (OpenTelemetry's aiohttp
instrumentation) sees each request, as a child of the SDK's span.

- ``limits.max_connections`` bounds the requests in flight, with the pool
  timeout; an idle pooled connection is trusted ``limits.keepalive_expiry``
  (default 3 s), less when a server announces a shorter ``Keep-Alive: timeout=N``.
- ``verify`` and ``proxy`` as for `AsyncVelstack`; a transport you pass reads no
  proxy variables. No cookies, no redirects. The read timeout runs from the
  connection to the answer's headers, then applies to each read of the body: the
  SDK's own (`ReadWatch`, one timer for every request in flight) on Python 3.11 and
  later, aiohttp's ``sock_read`` (a timer per request and per read) on 3.10.

Stale connections: the SDK's connector (documented ``BaseConnector.connect``,
``Connection.transport``) says whether a request got a connection it handed out
before, and the request's body (an ``aiohttp.BytesPayload``) whether it reached
the writer (`aiohttp_attempt`; no trace hooks of the SDK's own, which cost every
request; a user's ``TraceConfig`` still sees every request). A request on a
reused connection that failed before any answer while still being written (a
broken pipe, "Can not write request body": the server closed the idle
connection and never read it) is sent again, once, on a new connection; one
written whole is `Failure.STALE_CONNECTION`.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import ssl
import sys
from collections.abc import Awaitable, Mapping
from typing import NoReturn

import aiohttp
import httpx
from aiohttp import hdrs
from yarl import URL

from .._options import DEFAULT_TIMEOUT
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
from .aiohttp_attempt import CURRENT, Attempt, Body, ReadWatch, ReuseConnector
from .network import ssl_context

__all__ = ["DEFAULT_LIMITS", "UNSUPPORTED", "AiohttpTransport"]

_Attempt = Attempt  # the name tests/transport/test_stale.py imports

logger = logging.getLogger("velstack_async")


def _unsupported(version: str) -> str | None:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        major, minor = 0, 0
    if (3, 10) <= (major, minor) < (4, 0):
        return None
    return f"aiohttp {version} is installed and the SDK supports 3.10 to 3.x"


#: Why the installed aiohttp is not chosen by default (None: it is supported).
UNSUPPORTED = _unsupported(aiohttp.__version__)

_CHUNK = 64 * 1024
#: The read timeouts are `ReadWatch`'s (it needs ``Task.uncancel``, new in 3.11).
_WATCHED = sys.version_info >= (3, 11)
_FAILURES = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
_RESETS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_NOT_AN_HTTPX_TRANSPORT = (
    "AiohttpTransport is the SDK's own adapter, not an httpx transport: pass it as "
    "AsyncVelstack(transport=AiohttpTransport(...)); for httpx over aiohttp, give "
    "http_client=httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport())"
)


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
        self._ssl = ssl_context(verify)
        self._proxy = None if proxy is None else URL(proxy)
        self._max_connections = limits.max_connections
        expiry = limits.keepalive_expiry
        self._expiry = DEFAULT_KEEPALIVE_EXPIRY if expiry is None else expiry
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        #: For a resend that must go on a new connection: one that pools nothing.
        self._fresh: aiohttp.ClientSession | None = None
        #: Sessions replaced by one with a shorter keep-alive; closed with this transport.
        self._retired: list[aiohttp.ClientSession] = []
        self._slots: asyncio.Semaphore | None = None
        #: The read timeouts (None on 3.10: aiohttp's ``sock_read``).
        self._watch: ReadWatch | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}
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
        session, watch = self._session, self._watch
        if session is None or self._loop is not asyncio.get_running_loop():
            session, watch = self._open()
        timeout = timeout or DEFAULT_TIMEOUT
        limits = self._timeouts.get((timeout.connect, timeout.read)) or self._timeout(timeout)
        target = _parse(url)
        slots = self._slots
        if slots is not None:
            if slots.locked():
                await _wait_for_slot(slots, timeout.pool)
            else:
                await slots.acquire()  # does not wait
        attempt = Attempt(watch, timeout.read)
        try:
            try:
                response = await self._send(
                    session, method, target, headers, content, limits, attempt
                )
            except _FAILURES as exc:
                if watch is not None:
                    watch.stop(attempt)
                if attempt.timed_out or not (attempt.reused and _unwritten(exc, attempt, content)):
                    raise _failure(exc, attempt, stale_possible=attempt.reused) from None
                logger.debug(
                    "%s %s: cut off while being written; resent on a new connection",
                    method,
                    target.path,
                )
                # Certainly not processed: once more, on a new connection.
                attempt = Attempt(watch, timeout.read)
                try:
                    fresh = self._fresh_session()
                    response = await self._send(
                        fresh, method, target, headers, content, limits, attempt
                    )
                except _FAILURES as again:
                    raise _failure(again, attempt, stale_possible=False) from None
            try:
                body = await self._body(response, max_bytes, attempt)
            except _FAILURES as exc:
                raise _failure(exc, attempt, stale_possible=False) from None
            finally:
                response.release()
            return response.status, response.headers, body
        except asyncio.CancelledError:
            if attempt.cancelled_by_timeout():
                raise _failure(asyncio.TimeoutError(), attempt, stale_possible=False) from None
            raise
        finally:
            if watch is not None:
                watch.stop(attempt)
            if slots is not None:
                slots.release()

    def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: aiohttp.ClientTimeout,
        attempt: Attempt,
    ) -> Awaitable[aiohttp.ClientResponse]:
        CURRENT.set(attempt)  # for ReuseConnector.connect, in this task
        return session.request(
            method,
            url,
            headers=headers,
            data=None if content is None else Body(content, attempt),
            timeout=timeout,
            proxy=self._proxy,
            allow_redirects=False,
        )

    async def _body(
        self, response: aiohttp.ClientResponse, max_bytes: int, attempt: Attempt
    ) -> bytes:
        found = response.headers
        if hdrs.KEEP_ALIVE in found:
            self._keepalive(found)
        body, encoded = response.content, hdrs.CONTENT_ENCODING in found
        if body.is_eof() and not encoded:  # the whole body came with the headers: no wait
            raw = body.read_nowait()
            if len(raw) > max_bytes:
                raise too_large(len(raw), max_bytes)
            return raw
        return await read_limited(
            body.iter_chunked(_CHUNK),
            None if encoded else response.content_length,
            max_bytes,
            attempt.restart,
        )

    async def aclose(self) -> None:
        self._closed = True
        if self._watch is not None:
            self._watch.close()
        sessions = [self._session, self._fresh, *self._retired]
        self._session = self._fresh = None
        self._retired = []
        for session in sessions:
            if session is not None:
                await session.close()

    # Not an httpx transport: handed to httpx.AsyncClient(transport=...), say so at once.
    async def handle_async_request(self, request: object) -> NoReturn:
        raise TypeError(_NOT_AN_HTTPX_TRANSPORT)

    async def __aenter__(self) -> NoReturn:
        raise TypeError(_NOT_AN_HTTPX_TRANSPORT)

    def _open(self) -> tuple[aiohttp.ClientSession, ReadWatch | None]:
        """The session (and pool) for the running loop, made at the first request."""
        if self._session is not None:
            raise RuntimeError(
                "this client was first used in another event loop; create one client per loop"
            )
        if self._closed:
            raise RuntimeError("this client is closed")
        loop = self._loop = asyncio.get_running_loop()
        if self._max_connections is not None:
            self._slots = asyncio.Semaphore(self._max_connections)
        watch = self._watch = ReadWatch(loop) if _WATCHED else None
        session = self._session = self._new_session(force_close=False)
        return session, watch

    def _new_session(self, *, force_close: bool) -> aiohttp.ClientSession:
        # limit=0: the slots bound requests in flight, with a pool timeout.
        if force_close:
            connector = ReuseConnector(limit=0, ssl=self._ssl, force_close=True)
        else:
            connector = ReuseConnector(limit=0, ssl=self._ssl, keepalive_timeout=self._expiry)
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # the proxy is resolved per client (network.proxy_for)
        )

    def _fresh_session(self) -> aiohttp.ClientSession:
        if self._fresh is None:
            self._fresh = self._new_session(force_close=True)
        return self._fresh

    def _timeout(self, timeout: httpx.Timeout) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for ``timeout`` (the pool timeout is the slots', the read
        timeout `ReadWatch`'s from 3.11 on)."""
        connect, read = timeout.connect, timeout.read
        limits = self._timeouts[(connect, read)] = aiohttp.ClientTimeout(
            total=None, connect=connect, sock_connect=connect, sock_read=None if _WATCHED else read
        )
        return limits

    def _keepalive(self, headers: Mapping[str, str]) -> None:
        """A shorter ``Keep-Alive: timeout=N``: later requests use a pool that trusts idle
        connections no longer than that (the old one serves what it has in flight)."""
        seconds = keepalive_announced(headers)
        if seconds is None or seconds >= self._expiry or self._session is None:
            return
        self._expiry = seconds
        self._retired.append(self._session)
        self._session = self._new_session(force_close=False)


@functools.lru_cache(maxsize=64)
def _parse(url: str) -> URL:
    """``url`` as aiohttp takes it; `ExchangeError` when it cannot be requested."""
    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise ExchangeError(Failure.UNUSABLE_URL, f"InvalidURL: cannot request {url!r}")
    return parsed


async def _wait_for_slot(slots: asyncio.Semaphore, pool: float | None) -> None:
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


def _unwritten(exc: BaseException, attempt: Attempt, content: bytes | None) -> bool:
    """Whether a request that failed before any answer was still being written.

    The body never reached aiohttp's writer, or writing it failed: the kernel
    refused bytes of it (a broken pipe), or aiohttp's writer found the
    connection closed ("Can not write request body", "Cannot write to closing
    transport").
    """
    if content and not attempt.body_handed:
        return True
    if isinstance(exc, aiohttp.ClientConnectionResetError):  # raised by aiohttp's writer
        return True
    return isinstance(exc, aiohttp.ClientOSError) and (
        exc.errno == errno.EPIPE or (exc.strerror or "").startswith("Can not write request body")
    )


def _failure(exc: BaseException, attempt: Attempt, *, stale_possible: bool) -> ExchangeError:
    """How far a request got that aiohttp failed with ``exc``."""
    if attempt.timed_out:  # `ReadWatch` cancelled it (aiohttp may have raised another error)
        attempt.cancelled_by_timeout()  # that cancellation is spent
        return ExchangeError(
            Failure.READ_TIMEOUT, f"ReadTimeout: nothing read for {attempt.read:g} s"
        )
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
