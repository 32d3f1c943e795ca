"""A tiny HTTP CONNECT proxy on loopback that records every tunnel it opens."""

from __future__ import annotations

import select
import socket
import socketserver
from typing import Any

from .tcpserver import LoopbackTCPServer


class ConnectProxy(LoopbackTCPServer):
    """``with ConnectProxy() as proxy``: ``proxy.url``; ``proxy.tunnels`` lists CONNECT targets.

    ``refuse=True`` answers every CONNECT with 407, as a proxy wanting credentials does.
    """

    def __init__(self, *, refuse: bool = False) -> None:
        self.tunnels: list[str] = []
        self.refuse = refuse
        super().__init__(_handler(self))


def _handler(proxy: ConnectProxy) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            client: socket.socket = self.request
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(4096)
                if not data:
                    return
                head += data
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if proxy.refuse:
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
                )
                return
            proxy.tunnels.append(target)
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(client, upstream)

    return Handler


def _pipe(a: socket.socket, b: socket.socket) -> None:
    peers: dict[Any, socket.socket] = {a: b, b: a}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 10)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)
