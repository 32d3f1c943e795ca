"""No API key, message text or full phone number in logs, reprs, strs or tracebacks.

Every scenario runs with every logger at DEBUG (the SDK's, httpx's, httpcore's,
aiohttp's, uvicorn's) and collects what a user could see: log records (with
tracebacks), and repr, str and traceback of every returned object and error.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import (
    APITimeoutError,
    AsyncVelstack,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidInputError,
    NotFoundError,
    ResponseParseError,
    ServerError,
    ValidationError,
    Velstack,
    VelstackError,
)
from velstack_async.testing import FakeVelstack

from ..core import payloads as p
from .exposure import API_KEY, MESSAGE, NUMBERS, Exposure

pytestmark = pytest.mark.usefixtures("instant_retries")

WRONG_KEY = "vs_live_Wr0ngKeyQ9v3Hd"
NUMBER = NUMBERS[0]


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture) -> Iterator[Exposure]:
    caplog.set_level(logging.DEBUG)
    exposure = Exposure()
    yield exposure
    records = caplog.get_records("call")
    exposure.add_logs(records)
    assert any(r.name == "velstack_async" for r in records), "the SDK logged nothing"
    exposure.assert_clean(WRONG_KEY)


@pytest.fixture
def fake() -> FakeVelstack:
    fake = FakeVelstack(api_key=API_KEY, seed=5, balance=1000)
    fake.add_account(WRONG_KEY[:-3] + "xyz")  # another account: the wrong key is still wrong
    return fake


async def _raises(seen: Exposure, kind: type[VelstackError], call: Any) -> None:
    with pytest.raises(kind) as caught:
        await call
    seen.add(caught.value)


@pytest.mark.anyio
async def test_every_kind_of_outcome_is_clean(fake: FakeVelstack, seen: Exposure) -> None:
    faults = fake.faults
    send: dict[str, Any] = {"recipient": NUMBER, "message": MESSAGE, "sender": "VELSTACK"}
    async with AsyncVelstack(api_key=API_KEY, transport=fake.async_transport()) as client:
        seen.add(client)
        seen.add(await client.sms.send(**send))  # accepted
        faults.throttle_next(1, retry_after=1)
        faults.schedule("unavailable")
        faults.schedule("reset")
        seen.add(await client.with_options(max_retries=3).sms.send(**send))  # 429, 503, reset
        faults.schedule("drop")
        await _raises(seen, APITimeoutError, client.sms.send(**send))
        faults.schedule("bad_gateway")
        await _raises(seen, ServerError, client.sms.send(**send))
        faults.schedule("unavailable", 3)
        await _raises(seen, VelstackError, client.sms.send(**send))  # 503 after retries
        group = await client.groups.create(name="VIP")
        seen.add(await client.contacts.create(group_id=group.id, phone_number=NUMBER))
        seen.add(await client.contacts.list())
        seen.add(await client.sms.send_group(group_id=group.id, message=MESSAGE, sender="VELSTACK"))
        await _raises(seen, NotFoundError, client.groups.get("no-such-group"))
        await _raises(seen, ValidationError, client.sms.send(**{**send, "message": "x" * 100_001}))
        await _raises(
            seen, InvalidInputError, client.sms.send(**{**send, "recipient": NUMBER + "9"})
        )
        await _raises(seen, InvalidInputError, client.sms.send(**{**send, "sender": MESSAGE}))
        fake.set_balance(0)
        await _raises(seen, InsufficientBalanceError, client.sms.send(**send))
    async with AsyncVelstack(api_key=WRONG_KEY, transport=fake.async_transport()) as client:
        await _raises(seen, AuthenticationError, client.sms.send(**send))


@pytest.mark.anyio
async def test_campaigns_are_clean(fake: FakeVelstack, seen: Exposure) -> None:
    fake.set_balance(100_000)
    fake.faults.fail_rate = 0.2
    fake.faults.drop_rate = 0.1
    fake.faults.html_502_rate = 0.1
    numbers = [f"020555{i:04d}" for i in range(300, 400)] + [NUMBER, NUMBER, "12345"]
    async with AsyncVelstack(api_key=API_KEY, transport=fake.async_transport()) as client:
        # One request per recipient: every fault path is met (a batch would be one request).
        report = await client.sms.send_bulk(
            numbers, message=MESSAGE, sender="VELSTACK", batch_size=1
        )
        seen.add(report)
        async for result in client.sms.stream_bulk(
            [NUMBER, "0248297302"], message=MESSAGE + " {x}", sender="VELSTACK"
        ):
            seen.add(result)  # failed: the template field is missing
    assert report.unknown
    assert report.skipped
    assert report.sent


def _garbage(status: int, body: dict[str, Any]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _: httpx.Response(status, json=body))


@pytest.mark.anyio
async def test_errors_about_bad_answers_do_not_echo_their_values(seen: Exposure) -> None:
    """A broken answer that carries the message text and number: the errors do not repeat them."""
    broken = copy.deepcopy(p.QUICK_SMS)
    broken["data"]["summary"].update(total_contacts=MESSAGE, recipients=NUMBER, message=MESSAGE)
    echo = {"message": f"The recipient {NUMBER} is invalid.", "errors": {"recipient": [NUMBER]}}
    for transport, kind in (
        (_garbage(200, broken), ResponseParseError),
        (_garbage(422, echo), ValidationError),
        (_garbage(500, {"message": f"Could not deliver to {NUMBERS[1]}"}), ServerError),
    ):
        async with AsyncVelstack(api_key=API_KEY, transport=transport) as client:
            await _raises(seen, kind, client.sms.send(recipient=NUMBER, message="Hi", sender="V"))


def test_the_sync_client_is_clean(fake: FakeVelstack, seen: Exposure) -> None:
    with Velstack(api_key=API_KEY, transport=fake.async_transport()) as client:
        seen.add(client)
        seen.add(client.sms.send(recipient=NUMBER, message=MESSAGE, sender="VELSTACK"))
        seen.add(client.sms.send_bulk([NUMBER], message=MESSAGE, sender="VELSTACK"))
        fake.faults.schedule("drop")
        with pytest.raises(APITimeoutError) as caught:
            client.sms.send(recipient=NUMBER, message=MESSAGE, sender="VELSTACK")
        seen.add(caught.value)


@pytest.mark.parametrize("transport", ["default", "httpx"])
def test_over_a_real_socket_every_library_log_is_clean(transport: str, seen: Exposure) -> None:
    """uvicorn, httpx, httpcore and aiohttp log at DEBUG too: none of them sees the key."""
    fake = FakeVelstack(api_key=API_KEY, seed=9)
    fake.faults.fail_rate = 0.3
    options: dict[str, Any] = {"timeout": 5, "max_retries": 5}
    if transport == "httpx":
        options["transport"] = httpx.AsyncHTTPTransport()

    async def run(base_url: str) -> None:
        async with AsyncVelstack(api_key=API_KEY, base_url=base_url, **options) as client:
            for _ in range(5):
                seen.add(
                    await client.sms.send(recipient=NUMBER, message=MESSAGE, sender="VELSTACK")
                )
            fake.faults.schedule("bad_gateway")
            with pytest.raises(ServerError) as caught:
                await client.sms.send(recipient=NUMBER, message=MESSAGE, sender="VELSTACK")
            seen.add(caught.value)

    with fake.serve_in_thread() as base_url:
        anyio.run(run, base_url)
    assert fake.fault_counts["unavailable"] > 0
