"""`Velstack`: the sync client, a facade over `AsyncVelstack` run through an anyio portal.

The services (``client.sms`` ...) are generated into ``_sync/`` by
``scripts/generate_sync.py``; this module holds the hand-written lifecycle.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from ._client import DEFAULT_MAX_RETRIES, AsyncVelstack
from ._phone import DEFAULT_REGION
from ._portal import Portal
from ._sync.services import VelstackServices


class Velstack(VelstackServices):
    """The sync Velstack client: every `AsyncVelstack` service method as a blocking call.

    Takes the keywords of `AsyncVelstack` except ``http_client`` (an
    `httpx.AsyncClient` belongs to an event loop, and this client runs its
    own); ``transport`` (an `httpx.AsyncBaseTransport`) points it at a fake
    server or a mock.

    The client owns an event loop in a background thread (an anyio blocking
    portal) where its `AsyncVelstack` lives; each call runs there and blocks
    the calling thread until done. One client may be shared by many threads:
    their calls run concurrently in that loop. Callbacks you pass (such as
    ``on_result``) and input iterables consumed lazily run in the loop's
    thread: keep them quick, and do not call the sync client from them.

    Close it with `close` or a ``with`` block (a client that is never closed
    is closed at interpreter exit). A call after close, or a call from a
    thread running an event loop (async code: use `AsyncVelstack` there),
    raises `RuntimeError`.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        default_region: str = DEFAULT_REGION,
    ) -> None:
        portal = Portal.start()
        try:
            client = portal.run_sync(
                lambda: AsyncVelstack(
                    api_key=api_key,
                    base_url=base_url,
                    timeout=timeout,
                    max_retries=max_retries,
                    transport=transport,
                    default_region=default_region,
                )
            )
        except BaseException:
            portal.close()
            raise
        portal.add_closer(client.aclose)
        self._setup(client, portal)

    def _setup(self, client: AsyncVelstack, portal: Portal) -> None:
        self._client = client
        self._portal = portal
        self._bind_services(client, portal)

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def max_retries(self) -> int:
        return self._client.max_retries

    @property
    def closed(self) -> bool:
        return self._portal.closed

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> Velstack:
        """A client with other settings on the same loop and connection pool (None: unchanged).

        Closing the derived client leaves both open; close the original.
        """
        if self._portal.closed:
            raise RuntimeError("this Velstack client is closed")
        derived = Velstack.__new__(Velstack)
        options = self._client.with_options(timeout=timeout, max_retries=max_retries)
        derived._setup(options, self._portal.child())
        return derived

    def close(self) -> None:
        """Close the connection pool and stop the event loop thread. Safe to call twice.

        Calls in progress in other threads finish first; iterations still open
        are ended. A client from `with_options` only stops accepting calls.
        """
        self._portal.close()

    def __enter__(self) -> Velstack:
        if self._portal.closed:
            raise RuntimeError("this Velstack client is closed")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._portal.closed else ""
        return f"<Velstack base_url={self.base_url!r} api_key=<hidden>{state}>"
