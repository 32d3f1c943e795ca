"""Debian's nginx in front of the fake, as users deploy gateways: TLS, keep-alive, limit_req.

``nginx_front(upstream, ...)`` starts nginx on a free loopback port as a reverse
proxy to ``upstream`` (the fake served on loopback) and yields its base URL.
nginx-light is installed with apt-get by ``.ci/run``; tests skip when it is
missing on a developer machine.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import trustme

_CONFIG = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_timeout {keepalive};
    {limit_zone}
    upstream fake {{ server {upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port} {tls};
        {certificate}
        location / {{
            {limit}
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


@contextlib.contextmanager
def nginx_front(
    upstream_url: str,
    *,
    keepalive: str = "75s",
    ca: trustme.CA | None = None,
    limit_rate: int | None = None,
    limit_burst: int = 20,
    limit_status: int = 503,
) -> Iterator[str]:
    """nginx proxying to ``upstream_url``; TLS with a certificate from ``ca`` when given.

    ``keepalive`` is nginx's ``keepalive_timeout`` ("1s 1s" also announces it in a
    ``Keep-Alive`` header); ``limit_rate`` requests/s with ``limit_burst`` turns on
    ``limit_req``, refusing the excess with ``limit_status`` and no ``Retry-After``.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory(prefix="velstack-nginx-") as prefix:
        certificate = ""
        if ca is not None:
            issued = ca.issue_cert("127.0.0.1")
            issued.private_key_and_cert_chain_pem.write_to_path(f"{prefix}/server.pem")
            certificate = (
                f"ssl_certificate {prefix}/server.pem; ssl_certificate_key {prefix}/server.pem;"
            )
        limit_zone = limit = ""
        if limit_rate is not None:
            limit_zone = f"limit_req_zone $binary_remote_addr zone=api:1m rate={limit_rate}r/s;"
            limit = (
                f"limit_req zone=api burst={limit_burst} nodelay; limit_req_status {limit_status};"
            )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = Path(prefix) / "nginx.conf"
        config.write_text(
            _CONFIG.format(
                prefix=prefix,
                keepalive=keepalive,
                limit_zone=limit_zone,
                limit=limit,
                upstream=upstream_url.removeprefix("http://"),
                port=port,
                tls="ssl" if ca is not None else "",
                certificate=certificate,
            )
        )
        log = Path(prefix) / "error.log"
        process = subprocess.Popen(
            [binary, "-p", prefix, "-e", str(log), "-c", str(config)], stdin=subprocess.DEVNULL
        )
        try:
            _wait_listening(port, process, log)
            yield f"{'https' if ca is not None else 'http'}://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text()[-2000:] if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening within 10 s")
