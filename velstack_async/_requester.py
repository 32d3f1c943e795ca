"""The one request path: every API request the SDK makes goes through `Requester.request`.

It owns the headers, JSON bodies, the pause gate, retries, logging and the one
map from an adapter's `ExchangeError` to the SDK's exceptions; `_responses.py`
reads the answers. Resource services only say which request to make and how to
read its ``data``; an adapter (`_http`) only moves bytes.

Retry rules. A request that may run twice (GET, PUT, DELETE) is retried on
connection errors, timeouts, 429, 502, 503 and 504. A request that must not
run twice (sends, creates: ``once=True``) is retried only when it certainly
was not processed: the connection was never made (connect error, connect or
pool timeout), 429, or 503. Any other failure of such a request raises at
once with ``may_have_been_sent=True``; a reused keep-alive connection that
the server closed before answering raises `StaleConnectionError`, its own
reason, so such sends can be told apart and resent with confidence.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import attrs
import httpx

from . import _telemetry
from ._asynclib import current_async_library
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    ResponseParseError,
    StaleConnectionError,
    VelstackError,
)
from ._http.adapter import MAX_RESPONSE_BYTES, Adapter, ExchangeError, Failure
from ._http.choice import choose_adapter
from ._options import DEFAULT_TIMEOUT, ClientOptions
from ._responses import Retryable, decode
from ._retry import PauseGate, RetryPolicy

T = TypeVar("T")

logger = logging.getLogger("velstack_async")

# One encoder: json.dumps(separators=...) would build a new one for every request.
_encode_any = json.JSONEncoder(separators=(",", ":")).encode
#: A str as a JSON string (ASCII, as the encoder writes it).
quote = json.encoder.encode_basestring_ascii


def _encode_json(body: Mapping[str, Any]) -> str:
    """``body`` as compact JSON; a flat object of strings (a send) without the encoder's setup."""
    try:
        return "{" + ",".join([quote(k) + ":" + quote(v) for k, v in body.items()]) + "}"
    except TypeError:  # a value that is not a str
        return _encode_any(body)


_NEVER_SENT = frozenset({Failure.POOL_TIMEOUT, Failure.CONNECT, Failure.CONNECT_TIMEOUT})
_TIMEOUTS = frozenset({Failure.POOL_TIMEOUT, Failure.CONNECT_TIMEOUT, Failure.READ_TIMEOUT})


class Pool:
    """The adapter shared by a client and the clients `with_options` derives from it.

    Chosen when the client is made inside an event loop, else at its first request
    (the event loop decides between the adapters).
    """

    def __init__(self, options: ClientOptions) -> None:
        self._options = options
        self._reserved = 0
        self.adapter: Adapter | None = None
        self.closed = False
        if (
            current_async_library() is not None
            or options.http_client is not None
            or options.transport is not None
        ):
            self.choose()

    def choose(self) -> Adapter:
        if self.closed:
            raise RuntimeError("this client is closed")
        adapter = choose_adapter(self._options).adapter
        if self._reserved:
            adapter.reserve(self._reserved)
        self.adapter = adapter
        return adapter

    def reserve(self, connections: int) -> None:
        self._reserved = max(self._reserved, connections)
        if self.adapter is not None:
            self.adapter.reserve(connections)

    async def aclose(self) -> None:
        self.closed = True
        if self.adapter is not None:
            await self.adapter.aclose()


class Requester:
    """Sends requests to one Velstack base URL with one API key."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        user_agent: str,
        pool: Pool | None = None,
        gate: PauseGate | None = None,
    ) -> None:
        self.options = options
        self.policy = RetryPolicy(max_retries=options.max_retries)
        self._pool = pool if pool is not None else Pool(options)
        self._owns_pool = pool is None
        self._gate = gate or PauseGate()
        self._base_url = options.base_url
        # A caller's httpx client keeps its own timeout unless one is given.
        self._timeout: httpx.Timeout | None = options.timeout
        if self._timeout is None and options.http_client is None:
            self._timeout = DEFAULT_TIMEOUT
        self._headers = {
            "Authorization": f"Bearer {options.api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        self._user_agent = user_agent
        # None: off. PENDING: look for OpenTelemetry's global providers at the first request.
        self._telemetry: _telemetry.Telemetry | None = _telemetry.PENDING
        if options.tracer_provider is not None or options.meter_provider is not None:
            self._telemetry = _telemetry.for_client(
                options.tracer_provider, options.meter_provider, self._base_url
            )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def adapter_name(self) -> str | None:
        """ "aiohttp" or "httpx"; None until chosen (at the first request outside a loop)."""
        adapter = self._pool.adapter
        return None if adapter is None else adapter.name

    def derive(self, options: ClientOptions) -> Requester:
        """A requester with other options on the same pool and pause gate."""
        derived = Requester(options, user_agent=self._user_agent, pool=self._pool, gate=self._gate)
        derived.policy = attrs.evolve(self.policy, max_retries=options.max_retries)
        return derived

    def reserve_connections(self, connections: int) -> None:
        """Let the pool hold ``connections`` at once (a bulk send's concurrency); never shrinks."""
        self._pool.reserve(connections)

    async def aclose(self) -> None:
        if self._owns_pool:
            await self._pool.aclose()

    @property
    def telemetry(self) -> _telemetry.Telemetry | None:
        """The client's spans and metrics; None when it has no provider (decided once)."""
        if self._telemetry is _telemetry.PENDING:
            self._telemetry = _telemetry.for_client(None, None, self._base_url)
        return self._telemetry

    def request(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None = None,
        once: bool = False,
        encoded: bytes | None = None,
    ) -> Coroutine[Any, Any, T]:
        """Send one API request and return ``parse(data)``, retrying by the rules above.

        ``once`` marks a request that must not be processed twice (sends, creates).
        ``encoded``: ``body`` already encoded as JSON (a bulk send's, built from
        parts it reuses). Without telemetry this returns the request loop's
        coroutine itself (no extra frame); with it, the loop runs inside the
        request's span.
        """
        if body is not None and encoded is None:
            encoded = _encode_json(body).encode()
        if self._telemetry is None:
            return self._request(method, path, parse, encoded, once, None)
        return self._traced(method, path, parse, body, encoded, once)

    async def _traced(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None,
        encoded: bytes | None,
        once: bool,
    ) -> T:
        telemetry = self.telemetry
        if telemetry is None:
            return await self._request(method, path, parse, encoded, once, None)
        trace = telemetry.start(method, path, body)
        try:
            result = await self._request(method, path, parse, encoded, once, trace)
        except BaseException as exc:
            trace.finish(None, exc)
            raise
        trace.finish(result, None)
        return result

    async def _request(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        content: bytes | None,
        once: bool,
        trace: _telemetry.RequestTrace | None,
    ) -> T:
        url = self._base_url + path
        headers = self._headers if content is None else self._json_headers
        policy = self.policy
        retry = 0
        gate = self._gate
        pool = self._pool
        timeout = self._timeout
        while True:
            if gate.closed():
                await gate.wait(policy)
            started = time.monotonic()
            error: VelstackError
            # One exchange (inline: a bulk send resumes this frame several times per request).
            adapter = pool.adapter or pool.choose()
            try:
                try:
                    status, found, raw = await adapter.exchange(
                        method, url, headers, content, timeout, MAX_RESPONSE_BYTES
                    )
                except ExchangeError as exc:
                    raise _exchange_error(exc, once) from None
                if trace is not None:
                    trace.status_code = status
                data = decode(status, found, raw, once)
            except Retryable as exc:
                error = exc.error
            except VelstackError as exc:  # final at once (a 401, a send that may have gone out)
                logger.debug("%s %s -> %s (retries: %d)", method, path, _label(exc), retry)
                raise
            else:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s -> %d in %.1f ms (retries: %d)",
                        method,
                        path,
                        status,
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
            if trace is not None:
                trace.attempt_failed(error, delay)
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


def _exchange_error(exc: ExchangeError, once: bool) -> Exception:
    """The one map from how far a failed exchange got to the SDK's exception."""
    failure = exc.failure
    if failure is Failure.TOO_LARGE:
        return ResponseParseError(f"refused: {exc.detail}", may_have_been_sent=once)
    if failure is Failure.UNUSABLE_URL:
        return APIConnectionError(exc.detail, may_have_been_sent=False)
    never_sent = failure in _NEVER_SENT
    kind: type[APIConnectionError] = APIConnectionError
    if failure in _TIMEOUTS:
        kind = APITimeoutError
    elif failure is Failure.STALE_CONNECTION:
        kind = StaleConnectionError
    error = kind(
        f"{failure.value} talking to Velstack ({exc.detail})",
        may_have_been_sent=once and not never_sent,
    )
    if never_sent or not once:
        return Retryable(error)
    return error


def _label(error: VelstackError) -> str:
    if isinstance(error, APIStatusError):
        return f"{error.status_code} {type(error).__name__}"
    return type(error).__name__


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
