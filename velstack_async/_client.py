"""`AsyncVelstack`: configuration, the connection pool, and the resource services."""

from __future__ import annotations

import ipaddress
import os
import platform
import sys
import urllib.request
from types import TracebackType
from typing import TYPE_CHECKING

import attrs
import httpx

from . import _validation as check
from ._exceptions import InvalidInputError
from ._phone import DEFAULT_REGION
from ._resources import AsyncContacts, AsyncGroups, AsyncSenderIds, AsyncSms
from ._retry import RetryPolicy
from ._transport import FastExchange, Transport
from ._version import __version__

if TYPE_CHECKING:
    from ._aiohttp import AiohttpTransport as _AiohttpTransport

DEFAULT_BASE_URL = "https://sms.velstack.com"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = (
    f"velstack-async/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
)


class AsyncVelstack:
    """The async Velstack client.

    ``api_key`` defaults to ``$VELSTACK_API_KEY``, ``base_url`` to
    ``$VELSTACK_BASE_URL`` or ``https://sms.velstack.com``. ``timeout`` is
    seconds or an `httpx.Timeout` (default: connect 5 s, read 30 s).
    ``max_retries`` bounds automatic retries (see README, "Retries").
    Pass ``http_client`` to use your own `httpx.AsyncClient`; the SDK never
    closes a client it did not create. Or pass ``transport`` (an
    `httpx.AsyncBaseTransport`, e.g. a fake server's) for the client the SDK
    creates and owns. Without either, the SDK's client sends with aiohttp
    when it is installed (the ``fast`` extra; see README, "Performance");
    ``transport=httpx.AsyncHTTPTransport()`` or ``VELSTACK_HTTP_TRANSPORT=httpx``
    opts out. ``default_region`` is the region national phone numbers are
    read in (Ghana: ``"GH"``).
    """

    sms: AsyncSms
    groups: AsyncGroups
    contacts: AsyncContacts
    sender_ids: AsyncSenderIds

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        default_region: str = DEFAULT_REGION,
    ) -> None:
        api_key = api_key if api_key is not None else os.environ.get("VELSTACK_API_KEY")
        if not isinstance(api_key, str) or not api_key.strip():
            raise InvalidInputError(
                "no API key: pass api_key=... or set the VELSTACK_API_KEY environment variable"
            )
        if any(c.isspace() for c in api_key.strip()) or not api_key.isprintable():
            raise InvalidInputError("api_key must not contain spaces or control characters")
        if not api_key.isascii():  # it goes into a header
            raise InvalidInputError("api_key must be ASCII")
        base_url = base_url or os.environ.get("VELSTACK_BASE_URL") or DEFAULT_BASE_URL
        _check_base_url(base_url)
        region = check.region(default_region)
        policy = RetryPolicy(max_retries=_max_retries(max_retries))  # checked before any I/O setup
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidInputError("http_client must be an httpx.AsyncClient")
        if http_client is not None and transport is not None:
            raise InvalidInputError("pass http_client or transport, not both")
        owns_client = http_client is None
        resolved_timeout = _timeout(timeout)
        fast: FastExchange | None = None
        if http_client is None:
            if transport is None:
                transport = fast = _default_transport()
            http_client = httpx.AsyncClient(
                timeout=resolved_timeout or DEFAULT_TIMEOUT,
                transport=transport,
                # A proxy from the environment would read a plain-http (loopback) request's key.
                trust_env=httpx.URL(base_url).scheme == "https",
            )
        self._setup(
            Transport(
                api_key=api_key.strip(),
                base_url=base_url,
                user_agent=USER_AGENT,
                http_client=http_client,
                owns_client=owns_client,
                # Our own client has the timeout built in; a caller's keeps theirs unless told.
                timeout=None if owns_client else resolved_timeout,
                policy=policy,
                fast=fast or _fast_path(transport),
            ),
            region,
        )

    def _setup(self, transport: Transport, region: str) -> None:
        self._transport = transport
        self._region = region
        self.sms = AsyncSms(transport, region=region)
        self.groups = AsyncGroups(transport, region=region)
        self.contacts = AsyncContacts(transport, region=region)
        self.sender_ids = AsyncSenderIds(transport, region=region)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def max_retries(self) -> int:
        return self._transport.policy.max_retries

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> AsyncVelstack:
        """A client with other settings on the same connection pool (None: unchanged).

        Closing the derived client leaves the pool open; close the original.
        """
        policy = self._transport.policy
        if max_retries is not None:
            policy = attrs.evolve(policy, max_retries=_max_retries(max_retries))
        derived = AsyncVelstack.__new__(AsyncVelstack)
        derived._setup(
            self._transport.derive(timeout=_timeout(timeout), policy=policy), self._region
        )
        return derived

    async def aclose(self) -> None:
        """Close the connection pool, if this client created it. Safe to call twice."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncVelstack:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncVelstack base_url={self.base_url!r} api_key=<hidden>>"


def _default_transport() -> _AiohttpTransport | None:
    """The aiohttp transport when aiohttp is installed, not opted out, and no proxy is set.

    None means httpx's own transport. Proxies from the environment are
    honoured by httpx's transport only, so they select it.
    """
    choice = os.environ.get("VELSTACK_HTTP_TRANSPORT", "").strip().lower()
    if choice == "httpx" or urllib.request.getproxies_environment():
        return None
    if choice not in ("", "aiohttp"):
        raise InvalidInputError("VELSTACK_HTTP_TRANSPORT must be 'aiohttp' or 'httpx'")
    try:
        from ._aiohttp import AiohttpTransport
    except ImportError:  # the `fast` extra is not installed
        return None
    return AiohttpTransport()


def _fast_path(transport: httpx.AsyncBaseTransport | None) -> FastExchange | None:
    """A caller's `AiohttpTransport` also gets the fast path (the SDK owns the client)."""
    module = sys.modules.get("velstack_async._aiohttp")
    if module is not None and isinstance(transport, module.AiohttpTransport):
        fast: FastExchange = transport
        return fast
    return None


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidInputError("timeout must be a positive number of seconds or httpx.Timeout")
    return httpx.Timeout(float(value))


def _max_retries(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError("max_retries must be a non-negative int")
    return value


def _check_base_url(base_url: str) -> None:
    """Refuse to send the API key in clear text anywhere but this machine."""
    if not isinstance(base_url, str) or not base_url.isprintable():
        raise InvalidInputError("base_url must be a URL string")
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError, UnicodeError):
        raise InvalidInputError("base_url is not a valid URL") from None
    if "?" in base_url or "#" in base_url or url.userinfo:
        # Paths are appended to it: a query or fragment would swallow them.
        raise InvalidInputError("base_url must not have a query, fragment or user info")
    if url.scheme == "https" and url.host:
        return
    if url.scheme == "http" and _is_loopback(url.host):
        return
    if url.scheme == "http":
        raise InvalidInputError(
            "base_url must use https:// (plain http:// is allowed only for loopback hosts): "
            "the API key would travel in clear text"
        )
    raise InvalidInputError("base_url must be an https:// URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
