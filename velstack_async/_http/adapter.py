"""The exchange interface every adapter implements, its failure type and body reader.

An adapter moves one request and its whole response: it never retries, never
parses JSON and never raises its library's exceptions. A failure is an
`ExchangeError` whose ``kind`` says how far the request got, which is what
decides whether a send may have been processed.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Mapping

import httpx

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_RESPONSE_BYTES",
    "Adapter",
    "ExchangeError",
    "Failure",
    "read_limited",
]

#: Largest response body read; Velstack's are a few kB (a big contact list, some MB).
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

#: Pooled connections idle longer than this are not reused (Apache and uvicorn close
#: theirs after 5 s; a shorter ``Keep-Alive: timeout=N`` from the server lowers it).
DEFAULT_KEEPALIVE_EXPIRY = 3.0

#: Both adapters' pools: at most 100 requests in flight, as many connections kept alive.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY
)


class Failure(enum.Enum):
    """How far a failed exchange got."""

    #: No connection could be taken from the pool in time: never sent.
    POOL_TIMEOUT = "pool timeout"
    #: The connection (TCP, TLS, proxy) could not be made: never sent.
    CONNECT = "connect error"
    CONNECT_TIMEOUT = "connect timeout"
    #: A reused keep-alive connection was closed by the server before any byte of a
    #: response: the server almost certainly dropped the request unread.
    STALE_CONNECTION = "stale connection"
    #: Sent, then no (complete) response within the read timeout.
    READ_TIMEOUT = "read timeout"
    #: Sent, then the connection broke or the peer spoke invalid HTTP.
    BROKEN = "connection broken"
    #: The URL cannot be requested at all (scheme, host): nothing was sent.
    UNUSABLE_URL = "unusable URL"
    #: The response body is larger than the limit; the rest was not read.
    TOO_LARGE = "response too large"


class ExchangeError(Exception):
    """A request that got no usable response; ``failure`` says how far it got."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


class Adapter:
    """Base of the two adapters: `HttpxAdapter` and `AiohttpTransport`."""

    #: "httpx" or "aiohttp": shown in the client's repr.
    name: str = ""

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request, the whole response read: (status, headers, body).

        ``timeout`` None means the adapter's own (a caller's httpx client's).
        Raises `ExchangeError` and nothing else but cancellation.
        """
        raise NotImplementedError

    def reserve(self, connections: int) -> None:
        """Let the pool hold at least ``connections`` at once (a bulk send's concurrency)."""

    async def aclose(self) -> None:
        """Close the pool, if the SDK owns it."""


async def read_limited(
    chunks: AsyncIterator[bytes],
    length: int | None,
    max_bytes: int,
    before_read: Callable[[], None] | None = None,
) -> bytes:
    """The whole body from ``chunks``, refused past ``max_bytes``: the one size-limited reader.

    ``length`` is the announced Content-Length, if any (refused at once when too large).
    ``before_read`` is called before each read (the aiohttp adapter's read timeout).
    """
    if length is not None and length > max_bytes:
        raise too_large(length, max_bytes)
    parts: list[bytes] = []
    size = 0
    if before_read is not None:
        before_read()
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise too_large(size, max_bytes)
        parts.append(chunk)
        if before_read is not None:
            before_read()
    return parts[0] if len(parts) == 1 else b"".join(parts)


def too_large(size: int, limit: int) -> ExchangeError:
    return ExchangeError(
        Failure.TOO_LARGE, f"response body larger than {_amount(limit)} ({_amount(size)}+)"
    )


def keepalive_announced(headers: Mapping[str, str]) -> float | None:
    """Seconds of idle time to trust from a ``Keep-Alive: timeout=N`` header, if any.

    Half of a short announced timeout, one second less than a long one.
    """
    value = headers.get("Keep-Alive")
    if not value:
        return None
    for part in value.split(","):
        name, _, number = part.strip().partition("=")
        if name.strip().lower() == "timeout":
            try:
                seconds = float(number.strip())
            except ValueError:
                return None
            if seconds != seconds or seconds < 0:  # NaN
                return None
            return max(seconds * 0.5, seconds - 1.0)
    return None


def _amount(size: int) -> str:
    """A byte count that reads well and survives `mask_digits` (no run of 7 digits)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    return f"{size:,} bytes" if size >= 1_000_000 else f"{size} bytes"
