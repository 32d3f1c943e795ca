"""TLS on the default transport: certificates are verified, against certifi's CAs by default."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme

from velstack_async import APIConnectionError, AsyncVelstack
from velstack_async._aiohttp import _default_ssl_context
from velstack_async.fast import AiohttpTransport

#: aiohttp runs on asyncio only.
on_asyncio = pytest.mark.parametrize("anyio_backend", ["asyncio"])

BODY = b'{"status": true, "code": 200, "message": "ok", "data": {"Summary": []}}'


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_url(ca: trustme.CA) -> Iterator[str]:
    """An HTTPS server on loopback whose certificate (for 127.0.0.1) only ``ca`` signed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.anyio
@on_asyncio
async def test_an_unknown_certificate_authority_is_refused(https_url: str) -> None:
    async with AsyncVelstack(api_key="vs_key", base_url=https_url, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match=r"(?i)certificate") as caught:
            await client.groups.list()
    assert caught.value.may_have_been_sent is False


@pytest.mark.anyio
@on_asyncio
async def test_a_trusted_authority_is_accepted(https_url: str, ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    transport = AiohttpTransport(verify=context)
    async with AsyncVelstack(api_key="vs_key", base_url=https_url, transport=transport) as client:
        assert await client.groups.list() == []


def test_clients_share_one_default_context() -> None:
    """Loading certifi's bundle costs tens of ms: made once, verifying, for every client."""
    context = _default_ssl_context()
    assert context is _default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
