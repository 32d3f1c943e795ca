"""Fault injection in process: each fault, what the client sees, what was processed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest

from velstack_async.testing import FakeVelstack, Faults

SendQuick = Callable[..., httpx.Response]
BODY = {"sender": "Velstack", "recipient": "0205550368", "message": "hello"}


@pytest.fixture
async def aapi(fake: FakeVelstack) -> AsyncIterator[httpx.AsyncClient]:
    async with fake.async_http_client(
        headers={"Authorization": f"Bearer {fake.api_key}"}
    ) as client:
        yield client


@pytest.mark.parametrize(
    "settings",
    [
        {"fail_rate": 1.5},
        {"drop_rate": -0.1},
        {"latency": -1},
        {"rate_limit": 0},
        {"drop_mode": "explode"},
        {"retry_after_header": "no"},
        {"retry_after_header": 0},
    ],
)
def test_settings_are_validated(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        Faults(**settings)  # type: ignore[arg-type]
    faults = Faults()
    with pytest.raises(ValueError, match=next(iter(settings))):
        setattr(faults, *next(iter(settings.items())))
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.schedule("meteor")  # type: ignore[arg-type]


def test_unavailable(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.schedule("unavailable")
    response = send_quick()
    assert response.status_code == 503
    assert response.json() == {"status": False, "message": "Service unavailable", "code": 503}
    assert fake.message_count == 0
    assert fake.balance() == 1000
    assert fake.fault_counts["unavailable"] == 1
    assert send_quick().status_code == 200


def test_html_502(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.html_502_rate = 1.0
    response = send_quick()
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>502 Bad Gateway</h1>" in response.text
    assert fake.message_count == 0
    assert fake.fault_counts["bad_gateway"] == 1


def test_throttle_next(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.throttle_next(2, retry_after=3)
    assert fake.faults.pending() == 2
    for _ in range(2):
        response = send_quick()
        assert response.status_code == 429
        assert response.json() == {"message": "Too Many Attempts."}
        assert response.headers["retry-after"] == "3"
        assert response.headers["x-ratelimit-remaining"] == "0"
    assert send_quick().status_code == 200
    assert fake.message_count == 1
    assert fake.fault_counts["throttle"] == 2


def test_rate_limit_per_key(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.rate_limit = 2
    fake.faults.rate_window = 0.1
    first, second, third = send_quick(), send_quick(), send_quick()
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.headers["x-ratelimit-limit"] == "2"
    assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) == (
        "1",
        "0",
    )
    assert third.headers["retry-after"] == "1"
    assert fake.message_count == 2
    other = fake.add_account()
    with fake.http_client(headers={"Authorization": f"Bearer {other}"}) as client:
        assert client.post("/api/quick/sms", json=BODY).status_code == 200
    time.sleep(0.11)
    assert send_quick().status_code == 200


def test_rate_limit_without_retry_after(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults = Faults(rate_limit=1, rate_window=60, retry_after_header=False)
    assert send_quick().status_code == 200
    throttled = send_quick()
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Too Many Attempts."}
    assert "retry-after" not in throttled.headers
    assert throttled.headers["x-ratelimit-limit"] == "1"
    assert throttled.headers["x-ratelimit-remaining"] == "0"
    fake.faults.retry_after_header = True  # changeable while running
    assert send_quick().headers["retry-after"] in {str(n) for n in range(1, 61)}
    assert fake.message_count == 1


def test_throttle_next_without_retry_after(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.throttle_next(retry_after=None)
    fake.faults.throttle_next(retry_after=7)
    assert "retry-after" not in send_quick().headers
    assert send_quick().headers["retry-after"] == "7"
    fake.faults.retry_after_header = False
    fake.faults.throttle_next(retry_after=7)  # the switch wins
    response = send_quick()
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    fake.faults.clear()
    assert fake.faults.retry_after_header is True


@pytest.mark.anyio
async def test_reset_async(aapi: httpx.AsyncClient, fake: FakeVelstack) -> None:
    fake.faults.schedule("reset")
    with pytest.raises(httpx.ConnectError):
        await aapi.post("/api/quick/sms", json=BODY)
    assert fake.message_count == 0
    assert fake.fault_counts["reset"] == 1


def test_reset_sync(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.reset_rate = 1.0
    with pytest.raises(httpx.ConnectError):
        send_quick()
    assert fake.message_count == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "error"), [("timeout", httpx.ReadTimeout), ("disconnect", httpx.RemoteProtocolError)]
)
async def test_drop_async_after_processing(
    aapi: httpx.AsyncClient, fake: FakeVelstack, mode: str, error: type[Exception]
) -> None:
    fake.faults.drop_mode = mode  # type: ignore[assignment]
    fake.faults.schedule("drop")
    with pytest.raises(error):
        await aapi.post("/api/quick/sms", json=BODY)
    # The ambiguous case: the client saw an error, but the message was accepted and charged.
    assert fake.message_count == 1
    assert fake.balance() == 999
    assert fake.fault_counts["drop"] == 1


@pytest.mark.parametrize(
    ("mode", "error"), [("timeout", httpx.ReadTimeout), ("disconnect", httpx.RemoteProtocolError)]
)
def test_drop_sync_after_processing(
    send_quick: SendQuick, fake: FakeVelstack, mode: str, error: type[Exception]
) -> None:
    fake.faults.drop_rate = 1.0
    fake.faults.drop_mode = mode  # type: ignore[assignment]
    with pytest.raises(error):
        send_quick()
    assert fake.message_count == 1


def test_handle_reports_the_action(fake: FakeVelstack) -> None:
    fake.faults.schedule("reset")
    fake.faults.schedule("drop")
    reset = fake.handle("GET", "/api/group")
    assert (reset.status, reset.action, reset.body) == (0, "reset", b"")
    dropped = fake.handle("GET", "/api/group", {"Authorization": f"Bearer {fake.api_key}"})
    assert (dropped.status, dropped.action) == (200, "drop_timeout")
    assert dropped.json()["message"] == "Showing all groups"


@pytest.mark.anyio
async def test_latency_async(aapi: httpx.AsyncClient, fake: FakeVelstack) -> None:
    fake.faults.latency = 0.05
    start = anyio.current_time()
    assert (await aapi.get("/api/group")).status_code == 200
    assert anyio.current_time() - start >= 0.05


def test_latency_and_jitter_sync(api: httpx.Client, fake: FakeVelstack) -> None:
    fake.faults.latency = 0.02
    fake.faults.latency_jitter = 0.03
    start = time.monotonic()
    for _ in range(3):
        assert api.get("/api/group").status_code == 200
    elapsed = time.monotonic() - start
    assert 0.06 <= elapsed < 0.5


@pytest.mark.anyio
async def test_latency_beyond_the_read_timeout(aapi: httpx.AsyncClient, fake: FakeVelstack) -> None:
    fake.faults.latency = 5.0
    start = anyio.current_time()
    with pytest.raises(httpx.ReadTimeout):
        await aapi.post("/api/quick/sms", json=BODY, timeout=0.05)
    assert 0.05 <= anyio.current_time() - start < 1.0
    assert fake.message_count == 1  # processed; only the answer was late


def test_faults_change_while_running(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.faults.fail_rate = 1.0
    assert send_quick().status_code == 503
    fake.faults = Faults(html_502_rate=1.0)
    assert send_quick().status_code == 502
    fake.faults.clear()
    assert fake.faults == Faults()
    assert send_quick().status_code == 200


def test_random_faults_are_exclusive(api: httpx.Client, fake: FakeVelstack) -> None:
    fake.faults.fail_rate = 0.5
    fake.faults.html_502_rate = 0.5
    statuses = {api.get("/api/group").status_code for _ in range(50)}
    assert statuses == {502, 503}
    counts = fake.fault_counts
    assert counts["unavailable"] + counts["bad_gateway"] == 50
    assert fake.request_count == 50


def _outcomes(seed: int) -> list[str]:
    faults = Faults(fail_rate=0.1, drop_rate=0.1, html_502_rate=0.1, reset_rate=0.1)
    fake = FakeVelstack(seed=seed, faults=faults, balance=10_000)
    outcomes = []
    with fake.http_client(headers={"Authorization": f"Bearer {fake.api_key}"}) as client:
        for _ in range(100):
            try:
                outcomes.append(str(client.post("/api/quick/sms", json=BODY).status_code))
            except httpx.HTTPError as error:
                outcomes.append(type(error).__name__)
    return outcomes


def test_seeded_faults_replay() -> None:
    first = _outcomes(42)
    assert first == _outcomes(42)
    assert first != _outcomes(43)
    assert {"200", "502", "503", "ConnectError", "ReadTimeout"} == set(first)
