"""A scripted HTTP/1.1 server on loopback, on raw sockets, for what uvicorn will not do.

Each connection's request head is read and recorded; then the script writes
whatever it likes: nothing at all, a 302, a 50 MB body in 64 KiB pieces.
Runs in threads; ``with RawServer(script) as server:`` starts and stops it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import attrs

__all__ = ["RawServer", "Request", "Script", "respond", "silent"]


@attrs.frozen
class Request:
    method: str
    path: str
    #: Header names lower-cased.
    headers: dict[str, str]
    #: When the whole request had arrived (`time.monotonic`).
    arrived: float = attrs.field(factory=time.monotonic)


Script = Callable[[socket.socket, Request, threading.Event], None]


def _read_head(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return Request(method, path, headers)


def respond(status: int, headers: dict[str, str], body: bytes = b"") -> Script:
    """A script that answers every request the same way (keep-alive)."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def script(conn: socket.socket, request: Request, stop: threading.Event) -> None:
        conn.sendall(raw)

    return script


def silent(conn: socket.socket, request: Request, stop: threading.Event) -> None:
    """Accept, read the request, never answer (until the server stops)."""
    stop.wait()


class RawServer:
    """Serves ``script`` on 127.0.0.1; ``requests`` records every request head."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # the accept loop checks for stop this often
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                request = _read_head(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.script(conn, request, self._stop)
        except OSError:  # the client went away
            return
        finally:
            conn.close()

    def __enter__(self) -> RawServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):  # already closed by the client
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()
