"""The one rule that picks a client's adapter (docs/http-adapters.md).

In order, the first that applies:

| condition                                            | adapter |
|------------------------------------------------------|---------|
| ``http_client=`` given                               | httpx (the caller's client) |
| ``transport=AiohttpTransport(...)``                  | aiohttp |
| ``transport=`` any httpx transport                   | httpx over that transport |
| ``$VELSTACK_HTTP_TRANSPORT`` is ``httpx``/``aiohttp`` | that one |
| respx or pytest-httpx is mocking httpx               | httpx (so the mock sees requests) |
| the event loop is not asyncio (trio)                 | httpx |
| aiohttp is not installed (the ``fast`` extra), or 4+ | httpx |
| otherwise                                            | aiohttp |

Proxies, ``verify`` and tracing never change the choice: both adapters honour
the same TLS and proxy settings. The client's repr names the adapter and a
DEBUG log line on ``velstack_async`` says why it was chosen.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NamedTuple

import httpx

from .._asynclib import current_async_library
from .._exceptions import InvalidInputError
from .._options import DEFAULT_TIMEOUT, ClientOptions
from .adapter import Adapter
from .httpx_adapter import DEFAULT_LIMITS, HttpxAdapter
from .network import proxy_for, ssl_context

__all__ = ["Choice", "choose_adapter"]

logger = logging.getLogger("velstack_async")


class Choice(NamedTuple):
    adapter: Adapter
    reason: str


def choose_adapter(options: ClientOptions) -> Choice:
    """The adapter for a client with ``options``, and why (see the module's table)."""
    choice = _choose(options)
    logger.debug("HTTP adapter: %s (%s)", choice.adapter.name, choice.reason)
    return choice


def _choose(options: ClientOptions) -> Choice:
    if options.http_client is not None:
        return Choice(HttpxAdapter(options.http_client, owns_client=False), "http_client= given")
    if isinstance(options.transport, Adapter):
        return Choice(options.transport, "transport= is an AiohttpTransport")
    if options.transport is not None:
        client = httpx.AsyncClient(
            timeout=options.timeout or DEFAULT_TIMEOUT, transport=options.transport, trust_env=False
        )
        return Choice(HttpxAdapter(client, owns_client=True), "transport= is an httpx transport")
    wanted = os.environ.get("VELSTACK_HTTP_TRANSPORT", "").strip().lower()
    if wanted not in ("", "httpx", "aiohttp"):
        raise InvalidInputError("VELSTACK_HTTP_TRANSPORT must be 'aiohttp' or 'httpx'")
    if wanted == "httpx":
        return Choice(_sdk_httpx(options), "VELSTACK_HTTP_TRANSPORT=httpx")
    if wanted == "aiohttp":
        adapter = _sdk_aiohttp(options)
        if isinstance(adapter, str):
            raise InvalidInputError(
                f"VELSTACK_HTTP_TRANSPORT=aiohttp, but {adapter}: "
                "pip install 'velstack-async[fast]'"
            )
        return Choice(adapter, "VELSTACK_HTTP_TRANSPORT=aiohttp")
    if _httpx_mocked():
        return Choice(_sdk_httpx(options), "respx or pytest-httpx is mocking httpx")
    library = current_async_library()
    if library not in (None, "asyncio"):
        return Choice(_sdk_httpx(options), f"running on {library} (aiohttp needs asyncio)")
    adapter = _sdk_aiohttp(options)
    if isinstance(adapter, str):
        return Choice(_sdk_httpx(options), adapter)
    return Choice(adapter, "the default on asyncio")


def _sdk_httpx(options: ClientOptions) -> HttpxAdapter:
    timeout = options.timeout or DEFAULT_TIMEOUT
    verify = ssl_context(options.verify)
    proxy = proxy_for(options.base_url, options.proxy, options.is_loopback)

    def make(limits: httpx.Limits) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=timeout,
            verify=verify,
            proxy=proxy,
            limits=limits,
            trust_env=False,  # the environment was read just now, by proxy_for and ssl_context
        )

    return HttpxAdapter.owned(make, DEFAULT_LIMITS)


def _sdk_aiohttp(options: ClientOptions) -> Adapter | str:
    """The SDK's aiohttp adapter, or why there is none."""
    try:
        from .aiohttp_adapter import UNSUPPORTED, AiohttpTransport  # the `fast` extra
    except ImportError:
        return "aiohttp is not installed (the 'fast' extra)"
    if UNSUPPORTED is not None:
        return UNSUPPORTED
    return AiohttpTransport(
        verify=options.verify,
        proxy=proxy_for(options.base_url, options.proxy, options.is_loopback),
    )


_MOCKED = (
    ("httpcore", "AsyncConnectionPool", "handle_async_request"),
    ("httpx", "AsyncHTTPTransport", "handle_async_request"),
    ("httpx", "AsyncClient", "_transport_for_url"),
)


def _httpx_mocked() -> bool:
    """respx or pytest-httpx has patched httpx or httpcore (tracing wrappers do not count).

    Read from ``sys.modules``: a module nobody imported (httpcore loads with
    the first httpx transport) is not patched, and unittest.mock is not
    imported for the check.
    """
    mock = sys.modules.get("unittest.mock")
    for module_name, owner_name, name in _MOCKED:
        owner = getattr(sys.modules.get(module_name), owner_name, None)
        value = vars(owner).get(name) if owner is not None else None
        if mock is not None and isinstance(value, mock.NonCallableMock):
            return True
        module = getattr(value, "__module__", None) or ""
        if module.startswith(("respx", "pytest_httpx")):
            return True
    return False
