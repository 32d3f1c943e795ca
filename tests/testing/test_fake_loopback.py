"""The fake over real HTTP on loopback (uvicorn), and the ``serve`` command."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from velstack_async.testing import FakeVelstack, LoopbackServer, serve_in_subprocess
from velstack_async.testing.__main__ import main

BODY = {"sender": "Velstack", "recipient": "0205550368", "message": "hello"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeVelstack, str]]:
    fake = FakeVelstack(api_key="loop-key", seed=5, balance=1_000_000)
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


@pytest.fixture
def server(served: tuple[FakeVelstack, str]) -> Iterator[FakeVelstack]:
    """The shared served fake, with faults off before and after each test."""
    fake, _ = served
    fake.faults.clear()
    yield fake
    fake.faults.clear()


@pytest.fixture
def web(served: tuple[FakeVelstack, str]) -> Iterator[httpx.Client]:
    fake, base_url = served
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=2.0) as client:
        yield client


def test_start_and_stop() -> None:
    fake = FakeVelstack()
    server = LoopbackServer(fake)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    base_url = server.start()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert server.base_url == base_url
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        response = httpx.get(
            f"{base_url}/api/group", headers={"Authorization": f"Bearer {fake.api_key}"}
        )
        assert response.json()["data"]["Summary"] == []
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/api/group")


def test_quick_sms_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    before = server.message_count
    response = web.post("/api/quick/sms", json=BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"]["summary"]["recipients"] == ["0205550368"]
    assert server.message_count == before + 1


@pytest.mark.anyio
async def test_async_client_over_a_socket(served: tuple[FakeVelstack, str]) -> None:
    fake, base_url = served
    async with httpx.AsyncClient(base_url=base_url) as client:
        assert (await client.get("/api/group")).status_code == 401
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        response = await client.post("/api/group", json={"group_name": "Loop"}, headers=headers)
        assert response.json()["data"]["name"] == "Loop"


def test_error_faults_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    before = server.message_count
    server.faults.schedule("unavailable")
    server.faults.schedule("bad_gateway")
    server.faults.throttle_next(retry_after=4)
    assert web.post("/api/quick/sms", json=BODY).json()["message"] == "Service unavailable"
    response = web.post("/api/quick/sms", json=BODY)
    assert (response.status_code, response.headers["content-type"]) == (
        502,
        "text/html; charset=utf-8",
    )
    response = web.post("/api/quick/sms", json=BODY)
    assert (response.status_code, response.headers["retry-after"]) == (429, "4")
    assert server.message_count == before


def test_latency_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    server.faults.latency = 0.05
    start = time.monotonic()
    assert web.get("/api/group").status_code == 200
    assert time.monotonic() - start >= 0.05
    server.faults.latency = 1.0
    with pytest.raises(httpx.ReadTimeout):
        web.get("/api/group", timeout=0.05)


def test_drop_timeout_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    before = server.message_count
    server.faults.schedule("drop")
    with pytest.raises(httpx.ReadTimeout):
        web.post("/api/quick/sms", json=BODY, timeout=0.1)
    assert server.message_count == before + 1  # accepted; only the answer was lost


def test_drop_hang_is_bounded(server: FakeVelstack, web: httpx.Client) -> None:
    server.faults.drop_hang = 0.05
    server.faults.schedule("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        web.post("/api/quick/sms", json=BODY)


def test_drop_disconnect_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    before = server.message_count
    server.faults.drop_mode = "disconnect"
    server.faults.schedule("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        web.post("/api/quick/sms", json=BODY)
    assert server.message_count == before + 1
    assert web.get("/api/group").status_code == 200  # a new connection works


def test_reset_over_a_socket(server: FakeVelstack, web: httpx.Client) -> None:
    before = server.message_count
    server.faults.schedule("reset")
    with pytest.raises(httpx.RemoteProtocolError):
        web.post("/api/quick/sms", json=BODY)
    assert server.message_count == before


def test_control_endpoints(server: FakeVelstack, web: httpx.Client) -> None:
    stats = web.get("/_fake/stats").json()
    assert stats["seed"] == 5
    assert stats["messages"] == server.message_count
    assert set(stats["faults"]) == {"reset", "bad_gateway", "throttle", "unavailable", "drop"}
    changed = web.put("/_fake/faults", json={"fail_rate": 0.25, "drop_mode": "disconnect"}).json()
    assert (changed["fail_rate"], changed["drop_mode"]) == (0.25, "disconnect")
    assert server.faults.fail_rate == 0.25
    assert web.get("/_fake/faults").json() == changed
    assert web.put("/_fake/faults", json={"fail_rate": 2}).status_code == 422
    assert web.put("/_fake/faults", json={"nope": 1}).json() == {
        "message": "unknown fault setting 'nope'"
    }
    assert web.get("/_fake/other").status_code == 404


def test_retry_after_switch_over_the_control_endpoint(
    server: FakeVelstack, web: httpx.Client
) -> None:
    assert web.get("/_fake/faults").json()["retry_after_header"] is True
    changed = web.put("/_fake/faults", json={"retry_after_header": False}).json()
    assert changed["retry_after_header"] is False
    assert server.faults.retry_after_header is False
    server.faults.throttle_next()
    response = web.post("/api/quick/sms", json=BODY)
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    refused = web.put("/_fake/faults", json={"retry_after_header": "off"})
    assert refused.status_code == 422
    assert "retry_after_header must be true or false" in refused.json()["message"]


def test_stopping_releases_held_requests() -> None:
    fake = FakeVelstack()
    fake.faults.schedule("drop")
    errors: list[BaseException] = []
    with LoopbackServer(fake) as server:

        def request() -> None:
            try:
                httpx.post(
                    f"{server.base_url}/api/group",
                    headers={"Authorization": f"Bearer {fake.api_key}"},
                )
            except httpx.HTTPError as error:
                errors.append(error)

        thread = threading.Thread(target=request)
        thread.start()
        deadline = time.monotonic() + 2
        while fake.request_count == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        start = time.monotonic()
    assert time.monotonic() - start < 1.5
    thread.join(2)
    assert [type(e) for e in errors] == [httpx.RemoteProtocolError]


def test_serve_in_subprocess() -> None:
    with serve_in_subprocess(["--api-key", "proc-key", "--demo", "--seed", "9"]) as proc:
        assert proc.api_key == "proc-key"
        headers = {"Authorization": "Bearer proc-key"}
        groups = httpx.get(f"{proc.base_url}/api/group", headers=headers).json()["data"]["Summary"]
        assert [g["name"] for g in groups] == ["V BANK", "My Group"]
        assert httpx.get(f"{proc.base_url}/_fake/stats").json()["seed"] == 9
    assert proc.process.poll() is not None


def test_serve_max_recipients_and_no_retry_after() -> None:
    args = ["--api-key", "k", "--max-recipients", "3", "--echo-recipients", "e164"]
    with (
        serve_in_subprocess([*args, "--rate-limit", "2", "--no-retry-after"]) as proc,
        httpx.Client(base_url=proc.base_url, headers={"Authorization": "Bearer k"}) as web,
    ):
        four = {**BODY, "recipient": "0205550368,0245550368,0205550369,0245550369"}
        refused = web.post("/api/quick/sms", json=four)
        assert refused.status_code == 422
        assert refused.json()["errors"] == {
            "recipient": ["The recipient field must not have more than 3 items."]
        }
        three = {**BODY, "recipient": "0205550368,0245550368,0205550369"}
        summary = web.post("/api/quick/sms", json=three).json()["data"]["summary"]
        assert summary["recipients"] == ["+233205550368", "+233245550368", "+233205550369"]
        assert summary["total_contacts"] == 3
        throttled = web.post("/api/quick/sms", json=three)
        assert throttled.status_code == 429
        assert "retry-after" not in throttled.headers
        assert web.get("/_fake/stats").json()["messages"] == 3
        assert web.get("/_fake/faults").json()["retry_after_header"] is False


def test_serve_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--fail-rate", "2"]) == 2
    assert "fail_rate must be between 0 and 1" in capsys.readouterr().err
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit) as exited:
            main(["serve", "--max-recipients", bad])
        assert exited.value.code == 2
        assert "--max-recipients" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--port", str(busy.getsockname()[1])]) == 1
    assert "cannot listen" in capsys.readouterr().err
