"""An ASGI application serving a `FakeService` over real HTTP.

What a client sees for each fault over a socket (under uvicorn):

- ``reset`` and drop with ``drop_mode="disconnect"``: the status line and
  headers arrive, then the connection closes before the body; httpx raises
  `httpx.RemoteProtocolError` ("peer closed connection without sending complete
  message body"). ``reset`` was not processed; the drop was.
- drop with ``drop_mode="timeout"``: nothing is sent; the server holds the
  connection until the client gives up (`httpx.ReadTimeout`) or for
  ``Faults.drop_hang`` seconds, after which it closes as above.

Besides the API it answers, without authentication or faults:
``GET /_fake/stats`` (counters), ``GET /_fake/faults`` and ``PUT /_fake/faults``
(a JSON object of `Faults` fields to change) so a fake in another process can
be inspected and steered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import attrs

from ._faults import Faults
from ._responses import JSON_HEADERS, FakeResponse, encode
from ._service import FakeService

__all__ = ["FakeASGIApp", "quiet_uvicorn_aborts"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ABORT_LOG = "ASGI callable returned without completing response."
#: How often a held (dropped) request checks whether the server is closing.
_HANG_POLL = 0.05


class _DropAbortLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _ABORT_LOG


def quiet_uvicorn_aborts() -> None:
    """Hide uvicorn's error line for the connections the fake closes on purpose."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropAbortLogs) for f in logger.filters):
        logger.addFilter(_DropAbortLogs())


def _faults_dict(faults: Faults) -> dict[str, Any]:
    return {a.name: getattr(faults, a.name) for a in attrs.fields(Faults) if a.init}


class FakeASGIApp:
    """ASGI 3 application: the fake's API plus the ``/_fake/`` control endpoints."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake
        #: Set when the server stops, so held requests let go.
        self.closing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        path: str = scope["path"]
        if path.startswith("/_fake/"):
            status, payload = self._control(scope["method"], path, body)
            await _respond(send, FakeResponse(status, JSON_HEADERS, encode(payload)))
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        response = self.fake.handle(scope["method"], path, headers, body)
        if response.action == "respond":
            if response.delay:
                await anyio.sleep(response.delay)
            await _respond(send, response)
            return
        if response.action != "reset" and response.delay:
            await anyio.sleep(response.delay)
        if response.action == "drop_timeout" and await self._hold(receive):
            return
        await _abort(send, response)

    async def _hold(self, receive: Receive) -> bool:
        """Send nothing until the client disconnects (True) or the hold ends (False)."""
        with anyio.move_on_after(self.fake.faults.drop_hang):
            while not self.closing:
                with anyio.move_on_after(_HANG_POLL):
                    if (await receive())["type"] == "http.disconnect":
                        return True
        return False

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        fake = self.fake
        if path == "/_fake/stats" and method == "GET":
            return 200, {
                "seed": fake.seed,
                "requests": fake.request_count,
                "messages": fake.message_count,
                "duplicates": len(fake.duplicates()),
                "faults": fake.fault_counts,
                "balance": str(fake.balance()),
            }
        if path == "/_fake/faults" and method in ("PUT", "PATCH"):
            try:
                changes = json.loads(body or b"{}")
                for name, value in changes.items():
                    if name not in _faults_dict(fake.faults):
                        raise ValueError(f"unknown fault setting {name!r}")
                    setattr(fake.faults, name, value)
            except (ValueError, TypeError, AttributeError) as error:
                return 422, {"message": str(error)}
        if path == "/_fake/faults" and method in ("GET", "PUT", "PATCH"):
            return 200, _faults_dict(fake.faults)
        return 404, {"message": f"The route {path.strip('/')} could not be found."}

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _start(response: FakeResponse, length: int) -> Message:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": response.status or 200, "headers": headers}


async def _respond(send: Send, response: FakeResponse) -> None:
    await send(_start(response, len(response.body)))
    await send({"type": "http.response.body", "body": response.body})


async def _abort(send: Send, response: FakeResponse) -> None:
    """Promise a body and return without it: the server closes the connection."""
    await send(_start(response, max(1, len(response.body))))
