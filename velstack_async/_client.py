"""`AsyncVelstack`: its options, the request path, and the resource services."""

from __future__ import annotations

import platform
import ssl
from types import TracebackType

import httpx

from ._http.adapter import Adapter
from ._options import DEFAULT_MAX_RETRIES, ClientOptions
from ._phone import DEFAULT_REGION
from ._policy.policy import SendingPolicy
from ._requester import Requester
from ._resources import AsyncContacts, AsyncGroups, AsyncSenderIds, AsyncSms, AsyncSuppressions
from ._telemetry import MeterProviderLike, TracerProviderLike
from ._version import __version__

__all__ = ["USER_AGENT", "AsyncVelstack"]

USER_AGENT = (
    f"velstack-async/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
)


class AsyncVelstack:
    """The async Velstack client.

    ``api_key`` defaults to ``$VELSTACK_API_KEY``, ``base_url`` to
    ``$VELSTACK_BASE_URL`` or ``https://sms.velstack.com``. ``timeout`` is
    seconds or an `httpx.Timeout` (default: connect 5 s, read 30 s).
    ``max_retries`` bounds automatic retries (see the docs, "Errors and retries").
    ``default_region`` is the region national phone numbers are read in
    (Ghana: ``"GH"``).

    Network: ``verify`` is True (certifi's CAs, or ``$SSL_CERT_FILE`` /
    ``$SSL_CERT_DIR``), False, a CA bundle path or an `ssl.SSLContext`;
    ``proxy`` is an http:// or https:// proxy URL (default: ``$HTTPS_PROXY``,
    honouring ``$NO_PROXY``). The environment is read when the client is made.

    Requests go through one of two adapters (the docs, "HTTP adapters"): aiohttp
    on asyncio when it is installed (the ``fast`` extra), else httpx. Pass
    ``http_client`` (your `httpx.AsyncClient`; never closed by the SDK) or
    ``transport`` (an `httpx.AsyncBaseTransport`, or
    `velstack_async.fast.AiohttpTransport` to tune the pool) to choose; a
    client or transport you pass decides its own TLS and proxy settings.

    ``policy``: a `SendingPolicy` (send-once keys, the suppression list, send
    windows, spend and frequency caps) applied to every send; see
    ``client.suppressions``. None: no policy.

    Telemetry (the docs, "Observability"): spans and metrics go to
    ``tracer_provider`` / ``meter_provider`` when given, else to
    OpenTelemetry's global providers if the application set them before the
    client's first request; without either they cost nothing.
    """

    sms: AsyncSms
    groups: AsyncGroups
    contacts: AsyncContacts
    sender_ids: AsyncSenderIds
    suppressions: AsyncSuppressions

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | Adapter | None = None,
        default_region: str = DEFAULT_REGION,
        verify: bool | str | ssl.SSLContext = True,
        proxy: str | None = None,
        tracer_provider: TracerProviderLike | None = None,
        meter_provider: MeterProviderLike | None = None,
        policy: SendingPolicy | None = None,
    ) -> None:
        options = ClientOptions.create(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
            default_region=default_region,
            verify=verify,
            proxy=proxy,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            policy=policy,
        )
        self._setup(Requester(options, user_agent=USER_AGENT))

    @classmethod
    def _from_options(cls, options: ClientOptions) -> AsyncVelstack:
        """A client from validated options (the sync facade builds its client this way)."""
        client = cls.__new__(cls)
        client._setup(Requester(options, user_agent=USER_AGENT))
        return client

    def _setup(self, requester: Requester) -> None:
        self._requester = requester
        region = requester.options.default_region
        self.sms = AsyncSms(requester, region=region)
        self.groups = AsyncGroups(requester, region=region)
        self.contacts = AsyncContacts(requester, region=region)
        self.sender_ids = AsyncSenderIds(requester, region=region)
        self.suppressions = AsyncSuppressions(requester, region=region)

    @property
    def options(self) -> ClientOptions:
        return self._requester.options

    @property
    def base_url(self) -> str:
        return self._requester.base_url

    @property
    def max_retries(self) -> int:
        return self._requester.policy.max_retries

    @property
    def http_adapter(self) -> str | None:
        """``"aiohttp"`` or ``"httpx"``: how requests leave (None until the first request
        of a client made outside an event loop)."""
        return self._requester.adapter_name

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> AsyncVelstack:
        """A client with other settings on the same connection pool (None: unchanged).

        Closing the derived client leaves the pool open; close the original.
        """
        options = self.options.evolve(timeout=timeout, max_retries=max_retries)
        derived = AsyncVelstack.__new__(AsyncVelstack)
        derived._setup(self._requester.derive(options))
        return derived

    async def aclose(self) -> None:
        """Close the connection pool, if this client created it. Safe to call twice."""
        await self._requester.aclose()

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
        adapter = self.http_adapter or "chosen at first request"
        return f"<AsyncVelstack base_url={self.base_url!r} adapter={adapter} api_key=<hidden>>"
