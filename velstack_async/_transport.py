"""The one transport: every request the SDK makes goes through `Transport.request`.

It owns the `httpx.AsyncClient` use, the headers, JSON bodies, the Velstack
envelope, error mapping, retries and logging. Resource services only say which
request to make and how to read its ``data``.

Retry rules. A request that may run twice (GET, PUT, DELETE) is retried on
connection errors, timeouts, 429, 502, 503 and 504. A request that must not
run twice (sends, creates: ``once=True``) is retried only when it certainly
was not processed: the connection was never made (connect error, connect or
pool timeout), 429, or 503. Any other failure of such a request raises at
once with ``may_have_been_sent=True``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    VelstackError,
)
from ._retry import PauseGate, RetryPolicy, parse_retry_after

T = TypeVar("T")

logger = logging.getLogger("velstack_async")

#: Largest response body read; Velstack's are a few kB (a big contact list, some MB).
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_STATUSES_ONCE = frozenset({429, 503})
_NEVER_PROCESSED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# One encoder: json.dumps(separators=...) would build a new one for every request.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode


class FastExchange(Protocol):
    """A transport the SDK can call directly, skipping httpx's client layer.

    Implemented by `velstack_async._aiohttp.AiohttpTransport`. ``exchange``
    raises the httpx exceptions httpx's own transport would, or
    `ResponseTooLarge`.
    """

    @property
    def uses_aiohttp(self) -> bool: ...

    def ensure_capacity(self, connections: int) -> None: ...

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]: ...


class Transport:
    """Sends requests to one Velstack base URL with one API key."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        user_agent: str,
        http_client: httpx.AsyncClient,
        owns_client: bool,
        timeout: httpx.Timeout | None,
        policy: RetryPolicy,
        gate: PauseGate | None = None,
        fast: FastExchange | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http_client
        self._owns_client = owns_client
        self.policy = policy
        self._gate = gate or PauseGate()
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        # The SDK's own pool on aiohttp: requests skip httpx's client layer (same errors).
        self._fast = fast
        self._use_timeout(timeout)

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._http

    @property
    def base_url(self) -> str:
        return self._base_url

    def derive(self, *, timeout: httpx.Timeout | None, policy: RetryPolicy) -> Transport:
        """A transport on the same connection pool and pause gate, with other settings."""
        derived = Transport.__new__(Transport)
        derived.__dict__.update(self.__dict__)
        derived._owns_client = False
        derived._use_timeout(timeout if timeout is not None else self._timeout)
        derived.policy = policy
        return derived

    def _use_timeout(self, timeout: httpx.Timeout | None) -> None:
        """Per-request timeout (None: the httpx client's own) and what follows from it."""
        self._timeout = timeout
        self._request_kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        self._fast_timeout = timeout or self._http.timeout

    def reserve_connections(self, connections: int) -> None:
        """Let the SDK's own aiohttp pool hold ``connections`` at once (for a bulk send).

        Never shrinks the pool. No effect on a caller's `httpx.AsyncClient` or
        on httpx's own transport.
        """
        if self._fast is not None:
            self._fast.ensure_capacity(connections)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None = None,
        once: bool = False,
    ) -> T:
        """Send one API request and return ``parse(data)``, retrying by the rules above.

        ``once`` marks a request that must not be processed twice (sends, creates).
        """
        url = self._base_url + path
        if body is None:
            content, headers = None, self._headers
        else:
            content, headers = _encode_json(body).encode(), self._json_headers
        policy = self.policy
        retry = 0
        gate = self._gate
        while True:
            if gate.closed():
                await gate.wait(policy)
            started = time.monotonic()
            error: VelstackError
            try:
                data = await self._attempt(method, url, content, headers, once)
            except _Retryable as exc:
                error = exc.error
            else:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s -> ok in %.1f ms (retries: %d)",
                        method,
                        path,
                        (time.monotonic() - started) * 1000,
                        retry,
                    )
                try:
                    return parse(data)
                except VelstackError:
                    raise
                except Exception as exc:
                    raise ResponseParseError(
                        f"unexpected response from {method} {path}: {_describe(exc)}",
                        body=data,
                        may_have_been_sent=once,
                    ) from None
            delay = self._retry_delay(error, retry)
            if delay is None:
                logger.debug("%s %s -> %s (retries: %d)", method, path, _label(error), retry)
                raise error
            retry += 1
            logger.info(
                "%s %s -> %s; retry %d of %d in %.2f s",
                method,
                path,
                _label(error),
                retry,
                policy.max_retries,
                delay,
            )
            await policy.sleep(delay)

    def _retry_delay(self, error: VelstackError, retry: int) -> float | None:
        """Seconds to wait before retrying, or None when ``error`` is final."""
        policy = self.policy
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is not None:
            self._gate.pause(min(retry_after, policy.max_retry_after))
        if retry >= policy.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= policy.max_retry_after else None
        return policy.backoff(retry)

    async def _attempt(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str],
        once: bool,
    ) -> Any:
        """One HTTP exchange: the envelope's ``data``, or `_Retryable`, or a final error."""
        fast = self._fast
        try:
            if fast is not None and fast.uses_aiohttp:
                status, response_headers, raw = await fast.exchange(
                    method, url, headers, content, self._fast_timeout, MAX_RESPONSE_BYTES
                )
                return _decode(status, response_headers, raw, once)
            request = self._http.build_request(
                method, url, content=content, headers=headers, **self._request_kwargs
            )
            response = await self._http.send(request, stream=True, follow_redirects=False)
            try:
                raw = await _read_limited(response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            never_processed = isinstance(exc, _NEVER_PROCESSED)
            kind = (
                APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
            )
            error = kind(
                f"{type(exc).__name__} talking to Velstack: {_describe(exc)}",
                may_have_been_sent=once and not never_processed,
            )
            if never_processed or not once:
                raise _Retryable(error) from None
            raise error from None
        except ResponseTooLarge as exc:
            raise ResponseParseError(f"refused: {exc}", may_have_been_sent=once) from None
        except httpx.HTTPError as exc:  # invalid URL, stream errors: not retryable
            raise APIConnectionError(
                f"{type(exc).__name__}: {_describe(exc)}", may_have_been_sent=once
            ) from None
        return _decode(response.status_code, response.headers, raw, once)


class _Retryable(Exception):
    """Carries an error that the retry loop may retry."""

    def __init__(self, error: VelstackError) -> None:
        self.error = error


async def _read_limited(response: httpx.Response) -> bytes:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
        raise ResponseTooLarge(int(length))
    chunks: list[bytes] = []
    size = 0
    body = response.aiter_bytes()
    try:
        async for chunk in body:
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise ResponseTooLarge(size)
            chunks.append(chunk)
    finally:
        # Leaving the loop early must close the generator now (trio warns otherwise).
        await body.aclose()  # type: ignore[attr-defined]
    return b"".join(chunks)


class ResponseTooLarge(Exception):
    """A response body over the size limit; the rest was not read."""

    def __init__(self, size: int, limit: int | None = None) -> None:
        limit = MAX_RESPONSE_BYTES if limit is None else limit
        super().__init__(f"response body larger than {_amount(limit)} ({_amount(size)}+)")


def _amount(size: int) -> str:
    """A byte count that reads well and survives `mask_digits` (no run of 7 digits)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    return f"{size:,} bytes" if size >= 1_000_000 else f"{size} bytes"


def _decode(status: int, headers: Mapping[str, str], raw: bytes, once: bool) -> Any:
    """The ``data`` of a successful envelope; raise the typed error for anything else."""
    body: Any
    try:
        # JSON on the wire is UTF-8 (RFC 8259); decoding it first is faster than
        # json.loads(bytes), which guesses the encoding. A BOM is tolerated.
        text = raw.decode()
        if text[:1] == "\ufeff":
            text = text[1:]
        body = json.loads(text) if text and not text.isspace() else None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        body = raw[:2000].decode("utf-8", "replace")
        if status < 400:
            raise ResponseParseError(
                f"HTTP {status} from Velstack with a body that is not JSON",
                body=body,
                may_have_been_sent=once,
            ) from None
        raise _status_error(status, body, headers, once) from None
    if isinstance(body, dict) and body.get("status") is False:
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool) or code < 400:
            code = status if status >= 400 else 400
        raise _status_error(code, body, headers, once)
    if status >= 400:
        raise _status_error(status, body, headers, once)
    if status >= 300 or status < 200:
        raise ResponseParseError(
            f"unexpected HTTP {status} from Velstack", body=body, may_have_been_sent=once
        )
    if not isinstance(body, dict):
        raise ResponseParseError(
            f"expected a JSON object from Velstack, got {type(body).__name__}",
            body=body,
            may_have_been_sent=once,
        )
    return body.get("data")


def _status_error(status: int, body: Any, headers: Mapping[str, str], once: bool) -> Exception:
    """The typed error for an error status. Raised directly unless it may be retried."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        message = f"HTTP {status}" + ("" if isinstance(body, dict) else " (body is not JSON)")
    common: dict[str, Any] = {"status_code": status, "body": body, "headers": headers}
    # A send answered 500/502/504 may have been processed; 429 and 503 were not.
    ambiguous = once and status >= 500 and status != 503
    error: APIStatusError
    if status == 401:
        error = AuthenticationError(message, **common)
    elif status == 403 and "balance" in message.lower():
        error = InsufficientBalanceError(message, **common)
    elif status == 403:
        error = PermissionDeniedError(message, **common)
    elif status == 404:
        error = NotFoundError(message, **common)
    elif status == 422:
        error = ValidationError(message, errors=_validation_errors(body), **common)
    elif status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        error = RateLimitError(message, retry_after=retry_after, **common)
    elif status == 503:
        error = ServiceUnavailableError(message, **common)
    elif status >= 500:
        error = ServerError(message, may_have_been_sent=ambiguous, **common)
    else:
        error = APIStatusError(message, **common)
    retryable = _RETRY_STATUSES_ONCE if once else _RETRY_STATUSES
    return _Retryable(error) if status in retryable else error


def _validation_errors(body: Any) -> dict[str, list[str]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {
        str(field): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        for field, messages in errors.items()
    }


def _label(error: VelstackError) -> str:
    if isinstance(error, APIStatusError):
        return f"{error.status_code} {type(error).__name__}"
    return type(error).__name__


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
