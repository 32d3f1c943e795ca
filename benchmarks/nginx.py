"""Debian's nginx on loopback as a server far cheaper per request than any client.

It answers ``POST /api/quick/sms`` with the documented quick-SMS answer,
written in the configuration (no upstream, no file, no access log), so that
the client's CPU per message decides a benchmark cell. The answer names the
number it was sent, as Velstack's does (the SDK checks that each recipient is
in the answer's ``recipients``): the echo module that Debian's nginx-light
ships reads the body and a ``map`` regex picks the ``recipient`` (one number
per request: this cell sends no batches). Twilio's Messages path gets a
minimal Twilio message. One worker, pinned to the server CPU of `pinning`
(CPU 0); plain http on a free loopback port (the SDK allows http on loopback).
nginx-light is installed with apt-get when missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
from pinning import pin, server_cpus

#: The documented answer to a quick SMS (velstack-sms-api.txt), as the service sends it.
QUICK_SMS_ANSWER = {
    "status": True,
    "code": 200,
    "message": "Message sent Successfully",
    "data": {
        "summary": {
            "message_id": "550517f1-3810-4d17-bfdb-f2571d05c07c",
            "type": "Quick SMS",
            "message": "sent from the velstack api",
            "sender": "VELSTACK",
            "total_contacts": 1,
            "recipients": ["0205550368"],
            "credit_used": 1,
            "credit_left": "47.00",
        }
    },
}

#: A minimal answer of Twilio's ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (201).
TWILIO_MESSAGE_ANSWER = {
    "account_sid": "AC00000000000000000000000000000000",
    "api_version": "2010-04-01",
    "body": "sent from the velstack api",
    "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
    "date_sent": None,
    "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+15005550006",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "1",
    "price": None,
    "price_unit": "USD",
    "sid": "SM00000000000000000000000000000000",
    "status": "queued",
    "to": "+233205550368",
    "uri": "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/"
    "SM00000000000000000000000000000000.json",
}

_CONFIG = """\
load_module {echo_module};
worker_processes 1;
{affinity}
worker_rlimit_nofile 8192;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    default_type application/json;
    client_body_buffer_size 64k;  # the body stays in memory, for $request_body
    map $request_body $recipient {{
        '~"recipient"\\s*:\\s*"(?<number>[^"]*)"' $number;
        default "0205550368";
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /api/quick/sms {{
            echo_read_request_body;
            echo -n '{quick_sms}';
        }}
        location ~ ^/2010-04-01/Accounts/[^/]+/Messages\\.json$ {{
            return 201 '{twilio}';
        }}
        location / {{
            return 404 '{{"message": "Not found."}}';
        }}
    }}
}}
"""


def _literal(answer: object) -> str:
    text = json.dumps(answer, separators=(", ", ": "))
    assert not set("'\\$") & set(text)  # safe inside nginx's single quotes
    return text


def _quick_sms_answer() -> str:
    """The documented answer, its recipient replaced by the number the request named."""
    text = _literal(QUICK_SMS_ANSWER)
    documented = '"recipients": ["0205550368"]'
    assert documented in text
    return text.replace(documented, '"recipients": ["$recipient"]')


#: Debian's nginx-light depends on it (``libnginx-mod-http-echo``).
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"


def nginx_binary() -> str | None:
    """Where nginx is installed (Debian puts it in /usr/sbin), or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def ensure_nginx() -> str:
    """The nginx binary, installed from Debian (``nginx-light``) first when missing."""
    found = nginx_binary()
    if found and os.path.exists(ECHO_MODULE):
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    packages = ["nginx-light", "libnginx-mod-http-echo"]
    for command in (
        [*sudo, "apt-get", "update", "-qq"],
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    found = nginx_binary()
    if not found:
        raise RuntimeError("nginx-light was installed but no nginx binary was found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _affinity(cpus: set[int] | None) -> str:
    if cpus is None:
        return ""
    mask = "".join("1" if cpu in cpus else "0" for cpu in range(max(cpus), -1, -1))
    return f"worker_cpu_affinity {mask};"


@attrs.frozen
class Nginx:
    base_url: str
    #: The CPUs the worker is pinned to, or None (it shares every CPU).
    cpus: set[int] | None
    pid: int


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = log.read_text() if log.exists() else ""
            raise RuntimeError(f"nginx exited with status {process.returncode}: {error[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening within 10 s")


@contextlib.contextmanager
def nginx_server(*, pinned: bool = True) -> Iterator[Nginx]:
    """Start nginx (one worker, on the server CPU when ``pinned``); yields where it listens."""
    binary = ensure_nginx()
    cpus = server_cpus() if pinned else None
    with tempfile.TemporaryDirectory(prefix="velstack-bench-nginx-") as prefix:
        port = free_port()
        config = Path(prefix) / "nginx.conf"
        config.write_text(
            _CONFIG.format(
                prefix=prefix,
                port=port,
                affinity=_affinity(cpus),
                quick_sms=_quick_sms_answer(),
                echo_module=ECHO_MODULE,
                twilio=_literal(TWILIO_MESSAGE_ANSWER),
            )
        )
        log = Path(prefix) / "error.log"
        command = [binary, "-p", prefix, "-e", str(log), "-c", str(config)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        try:
            _wait_listening(port, process, log)
            if cpus is not None:
                pin(process.pid, cpus)  # the master (idle); the worker is pinned by nginx
            yield Nginx(f"http://127.0.0.1:{port}", cpus, process.pid)
        finally:
            process.terminate()  # SIGTERM: fast shutdown of the master and its worker
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
