"""Raw HTTP/1.1 servers for keep-alive races.

`OneShotKeepAlive` answers one request per connection, then reads the next one whole and
closes without an answer. `IdleCloser` answers every request and closes a connection idle
for ``idle`` seconds, as nginx's ``keepalive_timeout`` does.
"""

from __future__ import annotations

import json
import socket
import socketserver

from ..core.payloads import QUICK_SMS as QUICK
from .tcpserver import LoopbackTCPServer

GROUPS = {"status": True, "code": 200, "message": "ok", "data": {"Summary": []}}


class OneShotKeepAlive(LoopbackTCPServer):
    """``connections`` counts accepted connections; each serves exactly one request."""

    def __init__(self) -> None:
        self.connections = 0
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return self.url

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                sock: socket.socket = self.request
                request = _read_request(sock)
                if request is None:
                    return
                body = json.dumps(GROUPS if request[0].startswith(b"GET") else QUICK).encode()
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                _read_request(sock)  # the next request on this connection: read, never answered
                sock.shutdown(socket.SHUT_RDWR)

        return Handler


class IdleCloser(LoopbackTCPServer):
    """``bodies`` records the Content-Length of each request read whole (and answered)."""

    def __init__(self, idle: float) -> None:
        self.connections = 0
        self.bodies: list[int] = []
        self._idle = idle
        super().__init__(self._handler())

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                sock: socket.socket = self.request
                while True:
                    sock.settimeout(owner._idle)
                    try:
                        first = sock.recv(65536)
                    except TimeoutError:
                        return  # idle: closed (a FIN), as nginx closes idle connections
                    sock.settimeout(None)
                    request = _read_request(sock, first) if first else None
                    if request is None:
                        return
                    owner.bodies.append(request[1])
                    body = json.dumps(GROUPS).encode()
                    sock.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )

        return Handler


def _read_request(sock: socket.socket, data: bytes = b"") -> tuple[bytes, int] | None:
    """A whole request from ``sock`` (``data``: its first bytes): (head, body length)."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return None
        rest += chunk
    return head, length
