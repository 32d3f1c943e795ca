"""``python examples/aiohttp_app.py --port N``, as a process, against the fake on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from examples.aiohttp_app import DEFAULT_PORT
from velstack_async.testing import FakeVelstack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_default_port_is_not_the_fake_servers() -> None:
    assert DEFAULT_PORT not in (8080, 8000)  # the served fake's and the FastAPI example's


def test_it_runs_as_a_script_on_the_port_given() -> None:
    fake = FakeVelstack(seed=3)
    port = free_port()
    with fake.serve_in_thread() as base_url:
        env = {
            **os.environ,
            "VELSTACK_API_KEY": fake.api_key,
            "VELSTACK_BASE_URL": base_url,
            "VELSTACK_SENDER": "MyShop",
        }
        script = Path(__file__).parents[2] / "examples" / "aiohttp_app.py"
        process = subprocess.Popen(
            [sys.executable, str(script), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = httpx.post(
                        f"http://127.0.0.1:{port}/notify",
                        json={"to": "0205550368", "message": "Order shipped"},
                    )
                    break
                except httpx.ConnectError:
                    assert process.poll() is None
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert response.status_code == 200, response.text
    assert [(m.recipient, m.sender) for m in fake.messages] == [("+233205550368", "MYSHOP")]
