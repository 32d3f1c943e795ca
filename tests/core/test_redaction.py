"""The API key, message text and full phone numbers never reach logs, reprs or errors."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from velstack_async import AsyncVelstack, ValidationError, VelstackError
from velstack_async._redact import mask_digits, mask_phone

from . import payloads as p
from .conftest import API_KEY

pytestmark = pytest.mark.anyio

SECRET_TEXT = "Your one-time code is 483920"
NUMBER = "0205550368"


def assert_clean(text: str) -> None:
    assert API_KEY not in text
    assert SECRET_TEXT not in text
    assert NUMBER not in text
    assert "205550368" not in text


async def test_logs_reprs_and_errors_are_clean(
    api: respx.MockRouter, client: AsyncVelstack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="velstack_async")
    route = api.post("/api/quick/sms")
    route.side_effect = [
        httpx.Response(503, json=p.SERVICE_UNAVAILABLE),
        httpx.Response(200, json=p.QUICK_SMS),
        httpx.Response(
            422,
            json={
                "message": f"The recipient {NUMBER} is invalid.",
                "errors": {"recipient": [f"The recipient {NUMBER} is invalid."]},
            },
        ),
        httpx.ReadTimeout(f"timed out sending to {NUMBER}"),
    ]
    summary = await client.sms.send(recipient=NUMBER, message=SECRET_TEXT, sender="VELSTACK")
    seen = [repr(client), str(client), repr(summary), str(summary)]
    with pytest.raises(ValidationError) as invalid:
        await client.sms.send(recipient=NUMBER, message=SECRET_TEXT, sender="VELSTACK")
    with pytest.raises(VelstackError) as timeout:
        await client.sms.send(recipient=NUMBER, message=SECRET_TEXT, sender="VELSTACK")
    for error in (invalid.value, timeout.value):
        seen += [str(error), repr(error)]
    seen += [str(invalid.value.errors)]
    seen += [record.getMessage() for record in caplog.records]
    assert any("POST /api/quick/sms" in line for line in seen)  # logging did happen
    for text in seen:
        assert_clean(text)


async def test_contact_repr_masks_the_number(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.get("/api/contact").respond(json=p.ALL_CONTACTS)
    contacts = await client.contacts.list()
    assert "0205550368" not in repr(contacts)
    assert "*******368" in repr(contacts)


def test_key_not_in_client_repr() -> None:
    client = AsyncVelstack(api_key=API_KEY)
    assert API_KEY not in repr(client)
    assert "hidden" in repr(client)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("0205550368", "*******368"),
        ("+233205550368", "+*********368"),
        ("233 20 555 0368", "*** ** *** *368"),
        ("12", "**"),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_mask_digits_in_free_text() -> None:
    assert mask_digits("call 0205550368 or +233 24 829 7302 now, 2023") == (
        "call *******368 or +*** ** *** *302 now, 2023"
    )
