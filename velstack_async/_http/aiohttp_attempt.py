"""What one request on the aiohttp adapter told: a reused connection, a body handed over.

Public aiohttp API only, and no trace hooks of the SDK's own (with one ``TraceConfig``
aiohttp runs its tracing machinery for every request: about 74,000 instructions per
message, callgrind, ``benchmarks/instructions.py``): the pool's documented
``BaseConnector.connect`` and ``Connection.transport`` say whether a connection was handed
out before, the request body (an ``aiohttp.BytesPayload``) whether aiohttp began writing it.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from contextvars import ContextVar
from typing import Any

import aiohttp

__all__ = ["CURRENT", "Attempt", "Body", "ReuseConnector"]


class Attempt:
    """What one request's connection and body told: reused, and the body handed to the writer."""

    __slots__ = ("body_handed", "reused")

    def __init__(self) -> None:
        self.reused = False
        self.body_handed = False


#: The attempt of the request the running task is sending (read by `ReuseConnector.connect`).
CURRENT: ContextVar[Attempt | None] = ContextVar("velstack_aiohttp_attempt", default=None)


class ReuseConnector(aiohttp.TCPConnector):
    """aiohttp's pool, telling the running request whether its connection is a reused one.

    Only documented API: ``BaseConnector.connect`` (awaited in the requesting task, so the
    `CURRENT` context variable is the request's) and ``Connection.transport``: a transport
    this pool handed out before is a kept-alive connection. Transports are known by ``id()``
    (a dict lookup per request, cheaper than a ``WeakSet``); a weak reference's callback drops
    each entry when its transport is freed, before its id can recur.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._velstack_handed: dict[int, weakref.ref[object]] = {}

    async def connect(self, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(*args, **kwargs)
        transport = connection.transport
        if transport is not None:
            key = id(transport)
            handed = self._velstack_handed
            if key in handed:
                if (attempt := CURRENT.get()) is not None:
                    attempt.reused = True
            else:  # a new connection
                # Not weakly referable (TypeError): its reuse stays unknown, so never "stale".
                with contextlib.suppress(TypeError):
                    handed[key] = weakref.ref(transport, functools.partial(_forget, handed, key))
        return connection


def _forget(handed: dict[int, weakref.ref[object]], key: int, _: object) -> None:
    handed.pop(key, None)


class Body(aiohttp.BytesPayload):
    """A request body that marks its attempt when aiohttp starts writing it (3.10: ``write``;
    3.12 on: ``write_with_length``). Also spares aiohttp's payload registry lookup."""

    def __init__(self, value: bytes, attempt: Attempt) -> None:
        super().__init__(value)
        self._velstack_attempt = attempt

    async def write(self, writer: Any) -> None:
        self._velstack_attempt.body_handed = True
        await super().write(writer)

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        self._velstack_attempt.body_handed = True
        await super().write_with_length(writer, content_length)
