"""A raw HTTP/1.1 server that answers one request per connection, then drops the next unread."""

from __future__ import annotations

import json
import socket
import socketserver
import threading

from ..core.payloads import QUICK_SMS as QUICK

GROUPS = {"status": True, "code": 200, "message": "ok", "data": {"Summary": []}}


class OneShotKeepAlive:
    """``connections`` counts accepted connections; each serves exactly one request."""

    def __init__(self) -> None:
        self.connections = 0
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OneShotKeepAlive:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                sock: socket.socket = self.request
                request = _read_request(sock)
                if request is None:
                    return
                body = json.dumps(GROUPS if request.startswith(b"GET") else QUICK).encode()
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                _read_request(sock)  # the next request on this connection: read, never answered
                sock.shutdown(socket.SHUT_RDWR)

        return Handler


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
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
        rest += sock.recv(65536)
    return head
