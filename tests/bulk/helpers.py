"""Shared pieces of the bulk tests: recipient numbers and a transport that watches requests."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


def numbers(count: int, start: int = 0) -> list[str]:
    """``count`` distinct valid Ghanaian mobile numbers in national format."""
    return [f"020{i:07d}" for i in range(start, start + count)]


def e164(national: str) -> str:
    return "+233" + national[1:]


class Probe(httpx.AsyncBaseTransport):
    """Wraps the fake's transport: counts requests in flight and when each arrived."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrivals: list[float] = []
        #: Called with each request before it is passed on.
        self.on_request: Callable[[httpx.Request], None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.arrivals.append(time.monotonic())
        if self.on_request is not None:
            self.on_request(request)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()
