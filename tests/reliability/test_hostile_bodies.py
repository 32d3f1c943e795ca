"""Oversized and malicious response bodies are refused with a clear error, in bounded memory.

Served over a real loopback socket by a scripted server that streams its body
(50 MB, a gzip bomb) from one reused buffer, so `tracemalloc` sees only what
the client allocates. Each runs on the default transport (aiohttp, on asyncio)
and on httpx's own.
"""

from __future__ import annotations

import json
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from functools import cache
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack, ResponseParseError, VelstackError
from velstack_async._http.adapter import MAX_RESPONSE_BYTES

from ..core import payloads as p
from .rawserver import RawServer, Request, Script, respond

MIB = 1024 * 1024
_PIECE = b"x" * (64 * 1024)

pytestmark = pytest.mark.parametrize("transport", ["default", "httpx"])


def streamed(size: int, *, content_length: bool, encoding: str | None = None) -> Script:
    """A 200 whose body is ``size`` bytes (or ``encoding``-compressed ones) sent piece by piece."""
    body = _bomb(size) if encoding else None

    def script(conn: socket.socket, request: Request, stop: threading.Event) -> None:
        length = len(body) if body is not None else size
        head = ["HTTP/1.1 200 OK", "Content-Type: application/json"]
        head.append(f"Content-Length: {length}" if content_length else "Transfer-Encoding: chunked")
        if encoding:
            head.append(f"Content-Encoding: {encoding}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        pieces = [body] if body is not None else _pieces(size)
        for piece in pieces:
            if stop.is_set():
                return
            conn.sendall(piece if content_length else b"%x\r\n%b\r\n" % (len(piece), piece))
        if not content_length:
            conn.sendall(b"0\r\n\r\n")

    return script


def _pieces(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        piece = _PIECE[: size - sent]
        sent += len(piece)
        yield piece


@cache
def _bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of that)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    out = [compressor.compress(zeros) for _ in range(size // MIB)]
    return b"".join([*out, compressor.flush()])


def _client(base_url: str, transport: str) -> AsyncVelstack:
    options: dict[str, Any] = {}
    if transport == "httpx":
        options["transport"] = httpx.AsyncHTTPTransport()
    return AsyncVelstack(api_key="vs_key", base_url=base_url, max_retries=0, **options)


def measure(script: Script, transport: str) -> tuple[BaseException | None, int]:
    """Run groups.list() against ``script``: the error raised (or None), the peak traced memory."""
    error: BaseException | None = None
    with RawServer(script) as server:

        async def run() -> None:
            async with _client(server.base_url, transport) as client:
                await client.groups.list()

        tracemalloc.start()
        try:
            anyio.run(run)
        except VelstackError as exc:
            error = exc
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return error, peak


@pytest.fixture
def baseline(transport: str) -> int:
    """Peak memory of a normal groups.list() (the client itself: SSL context, pools)."""
    error, peak = measure(respond(200, {}, json.dumps(p.GROUPS).encode()), transport)
    assert error is None
    return peak


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
def test_a_50_mb_body_is_refused_in_bounded_memory(
    transport: str, content_length: bool, baseline: int
) -> None:
    error, peak = measure(streamed(50 * MIB, content_length=content_length), transport)
    assert isinstance(error, ResponseParseError)
    assert "larger than 32 MiB" in str(error), str(error)
    if content_length:  # refused from the header: nothing read
        assert peak < baseline + MIB, (peak, baseline)
    else:  # read up to the limit, then refused
        assert peak < baseline + MAX_RESPONSE_BYTES + 4 * MIB, (peak, baseline)


def test_a_gzip_bomb_is_refused_in_bounded_memory(transport: str) -> None:
    """400 MB of zeros in 400 kB of gzip. httpx inflates each network read at once (up to
    ~64 MB from 64 kB), so the bound is the limit plus that, whatever the bomb's size."""
    error, peak = measure(streamed(400 * MIB, content_length=True, encoding="gzip"), transport)
    assert isinstance(error, ResponseParseError)
    assert "larger than 32 MiB" in str(error)
    assert peak < 6 * MAX_RESPONSE_BYTES, peak


def raw(response: bytes, close: bool = True) -> Script:
    """A script that writes ``response`` as is, then (by default) closes the connection."""

    def script(conn: socket.socket, request: Request, stop: threading.Event) -> None:
        conn.sendall(response)
        if close:
            conn.shutdown(socket.SHUT_WR)

    return script


BROKEN_HTTP = {
    "huge-header": b"HTTP/1.1 200 OK\r\nX-Junk: " + b"a" * (4 * MIB) + b"\r\n\r\n",
    "endless-headers": b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200_000,
    "garbage-status-line": b"HTTP/1.1 abc defg\r\nContent-Length: 2\r\n\r\n{}",
    "not-http": b"SSH-2.0-OpenSSH_9.6\r\n",
    "negative-length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}",
    "conflicting-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}",
    "short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{}",
    "bad-chunking": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "bad-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
}


@pytest.mark.parametrize("response", BROKEN_HTTP.values(), ids=BROKEN_HTTP.keys())
def test_broken_http_is_a_velstack_error(transport: str, response: bytes) -> None:
    with RawServer(raw(response)) as server:

        async def send() -> None:
            async with _client(server.base_url, transport) as client:
                await client.sms.send(recipient="0205550368", message="hello", sender="VELSTACK")

        with pytest.raises(VelstackError) as caught:
            anyio.run(send)
    assert caught.value.may_have_been_sent  # the request went out: it may have been processed
    assert len(server.requests) == 1  # so it is not sent again
