"""`Velstack`: the sync client, a facade over `AsyncVelstack` run in an event loop thread.

Its constructor, ``with_options`` and services are generated into
``_sync/`` by ``scripts/generate_sync.py`` (from `ClientOptions` and the
async services); this module holds the hand-written lifecycle.
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

from ._options import ClientOptions
from ._portal.guards import CLOSED
from ._sync.client import VelstackBase

_Client = TypeVar("_Client", bound="Velstack")


class Velstack(VelstackBase):
    """The sync Velstack client: every `AsyncVelstack` service method as a blocking call.

    Takes the keywords of `AsyncVelstack` except ``http_client`` (an
    `httpx.AsyncClient` belongs to an event loop, and this client runs its
    own); ``transport`` (an `httpx.AsyncBaseTransport`) points it at a fake
    server or a mock.

    The client owns an event loop in a background daemon thread where its
    `AsyncVelstack` lives, both made at its first call; each call runs there
    and blocks the calling thread until done, or until the loop has not
    answered for the client's longest timeout plus 10 s (`TimeoutError`).
    One client may be shared by many threads: their calls run concurrently in
    that loop. It survives a fork: a child process (Celery prefork,
    ``gunicorn --preload``, ``multiprocessing``) that calls it gets its own
    loop thread and connection pool, and leaves the parent's untouched.
    Callbacks you pass (such as ``on_result``) and input iterables consumed
    lazily run in the loop's thread: keep them quick, and do not call the
    client from them (that raises `RuntimeError`).

    It works in Jupyter and IPython, whose cells run in an event loop. Called
    from a thread running an event loop elsewhere (async code that should
    use `AsyncVelstack`), it works but blocks that loop, and the first such
    call in the process emits a `SyncClientInEventLoopWarning`.

    Close it with `close` or a ``with`` block (a client that is never closed
    is closed when garbage-collected or at interpreter exit). A call after
    close raises `RuntimeError`.
    """

    @property
    def base_url(self) -> str:
        return self._options.base_url

    @property
    def max_retries(self) -> int:
        return self._options.max_retries

    @property
    def options(self) -> ClientOptions:
        """The client's checked settings, as `AsyncVelstack.options`."""
        return self._options

    @property
    def http_adapter(self) -> str | None:
        """``"aiohttp"`` or ``"httpx"``: how requests leave, as `AsyncVelstack.http_adapter`
        (None until the client's first call in this process)."""
        client = self._portal.peek()
        return None if client is None else client.http_adapter

    @property
    def closed(self) -> bool:
        return self._portal.closed

    def close(self) -> None:
        """Close the connection pool and stop the event loop thread. Safe to call twice.

        Calls in progress in other threads finish first; iterations still open
        are ended. A client from `with_options` only stops accepting calls.
        """
        self._portal.close()

    def __enter__(self: _Client) -> _Client:
        if self._portal.closed:
            raise RuntimeError(CLOSED)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        adapter = self.http_adapter or "chosen at first request"
        state = " closed" if self._portal.closed else ""
        return f"<Velstack base_url={self.base_url!r} adapter={adapter} api_key=<hidden>{state}>"
