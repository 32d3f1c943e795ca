"""`ClientOptions`: every setting of a client, validated once.

`AsyncVelstack`, the generated `Velstack.__init__` and both ``with_options``
build their settings here: ``ClientOptions.create`` takes the public keywords
(the sync facade's signature is generated from it, minus ``http_client``) and
``ClientOptions.evolve`` the ones a derived client may change. Nothing else
reads the environment for client settings.
"""

from __future__ import annotations

import ipaddress
import os
import ssl

import attrs
import httpx

from . import _validation as check
from ._exceptions import InvalidInputError
from ._http.adapter import Adapter
from ._phone import DEFAULT_REGION
from ._policy.policy import SendingPolicy
from ._telemetry import MeterProviderLike, TracerProviderLike, check_provider

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "ClientOptions"]

DEFAULT_BASE_URL = "https://sms.velstack.com"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2

#: What ``verify`` accepts: True (system/certifi CAs, or ``$SSL_CERT_FILE``),
#: False (no verification), a CA bundle file or directory path, or an `ssl.SSLContext`.
Verify = bool | str | ssl.SSLContext


@attrs.frozen(kw_only=True)
class ClientOptions:
    """A client's settings after validation. Build it with `create`."""

    api_key: str = attrs.field(repr=False)
    base_url: str
    #: None: the SDK's default (own client) or the caller's `httpx.AsyncClient`'s own.
    timeout: httpx.Timeout | None
    max_retries: int
    default_region: str
    http_client: httpx.AsyncClient | None = attrs.field(repr=False)
    transport: httpx.AsyncBaseTransport | Adapter | None = attrs.field(repr=False)
    verify: Verify = attrs.field(repr=False)
    #: An explicit proxy URL; None: ``$HTTPS_PROXY``/``$NO_PROXY``, read per client.
    proxy: str | None
    #: OpenTelemetry providers; None: the global ones, if the application set any.
    tracer_provider: TracerProviderLike | None = attrs.field(default=None, repr=False)
    meter_provider: MeterProviderLike | None = attrs.field(default=None, repr=False)
    #: The sending policy every send goes through (None: none, today's behaviour).
    policy: SendingPolicy | None = attrs.field(default=None)

    @classmethod
    def create(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | Adapter | None = None,
        default_region: str = DEFAULT_REGION,
        verify: Verify = True,
        proxy: str | None = None,
        tracer_provider: TracerProviderLike | None = None,
        meter_provider: MeterProviderLike | None = None,
        policy: SendingPolicy | None = None,
    ) -> ClientOptions:
        """Check every keyword (and the environment it falls back on) once.

        Raises `InvalidInputError` before any network or TLS set-up.
        """
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
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidInputError("http_client must be an httpx.AsyncClient")
        if http_client is not None and transport is not None:
            raise InvalidInputError("pass http_client or transport, not both")
        if transport is not None and not isinstance(transport, (httpx.AsyncBaseTransport, Adapter)):
            raise InvalidInputError(
                "transport must be an httpx.AsyncBaseTransport or "
                "velstack_async.fast.AiohttpTransport"
            )
        if (http_client is not None or transport is not None) and (
            verify is not True or proxy is not None
        ):
            raise InvalidInputError(
                "verify= and proxy= configure the SDK's own connection pool: set them on the "
                "http_client or transport you pass (AiohttpTransport takes both)"
            )
        check_provider("tracer_provider", tracer_provider, "get_tracer")
        check_provider("meter_provider", meter_provider, "get_meter")
        if policy is not None and not isinstance(policy, SendingPolicy):
            raise InvalidInputError("policy must be a SendingPolicy or None")
        return cls(
            api_key=api_key.strip(),
            base_url=base_url.rstrip("/"),
            timeout=_timeout(timeout),
            max_retries=_max_retries(max_retries),
            default_region=region,
            http_client=http_client,
            transport=transport,
            verify=_verify(verify),
            proxy=_proxy(proxy),
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            policy=policy,
        )

    def evolve(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> ClientOptions:
        """These options with another timeout or retry count (None: unchanged)."""
        return attrs.evolve(
            self,
            timeout=self.timeout if timeout is None else _timeout(timeout),
            max_retries=self.max_retries if max_retries is None else _max_retries(max_retries),
        )

    @property
    def is_loopback(self) -> bool:
        return _is_loopback(httpx.URL(self.base_url).host)


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


def _verify(value: object) -> Verify:
    if isinstance(value, (bool, ssl.SSLContext)):
        return value
    if isinstance(value, str) and value and value.isprintable():
        if not os.path.exists(value):
            raise InvalidInputError("verify: no CA bundle file or directory at that path")
        return value
    raise InvalidInputError("verify must be True, False, a CA bundle path or an ssl.SSLContext")


def _proxy(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isprintable():
        raise InvalidInputError("proxy must be a URL string such as 'http://proxy.example:3128'")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, UnicodeError):
        raise InvalidInputError("proxy is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError("proxy must be an http:// or https:// URL")
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
