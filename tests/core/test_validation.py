"""Bad input is refused with InvalidInputError before any request is made."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import respx

from velstack_async import AsyncVelstack, InvalidInputError

pytestmark = pytest.mark.anyio

OK: dict[str, Any] = {"recipient": "0205550368", "message": "hi", "sender": "VELSTACK"}

Call = Callable[[AsyncVelstack], Awaitable[Any]]


def send(**changes: Any) -> Call:
    return lambda c: c.sms.send(**{**OK, **changes})


BAD_CALLS: dict[str, Call] = {
    "empty message": send(message=""),
    "blank message": send(message="  \n "),
    "message not str": send(message=123),
    "empty recipient": send(recipient=""),
    "recipient not str": send(recipient=205550368),
    "recipient list of ints": send(recipient=[205550368]),
    "empty recipient list": send(recipient=[]),
    "empty recipient tuple": send(recipient=()),
    "recipient set": send(recipient={"0205550368"}),
    "bad number in a list": send(recipient=["0205550368", "12"]),
    "invalid number": send(recipient="12345"),
    "letters for number": send(recipient="call me"),
    "one bad number among many": send(recipient="0205550368,999"),
    "sender too long": send(sender="VELSTACKSMS12"),
    "sender with space": send(sender="VEL STACK"),
    "sender with symbol": send(sender="VEL-STACK"),
    "sender non-ascii": send(sender="VÉLSTACK"),
    "sender empty": send(sender=""),
    "sender None": send(sender=None),
    "title not str": send(title=5),
    "group sms empty group": lambda c: c.sms.send_group(group_id="", message="x", sender="V"),
    "group sms path injection": lambda c: c.sms.send_group(
        group_id="../contact", message="x", sender="V"
    ),
    "group get empty id": lambda c: c.groups.get(""),
    "group get slash": lambda c: c.groups.get("a/b"),
    "group get dots": lambda c: c.groups.get(".."),
    "group get query": lambda c: c.groups.get("a?x=1"),
    "group get int": lambda c: c.groups.get(5),  # type: ignore[arg-type]
    "group create empty": lambda c: c.groups.create(name=" "),
    "group update empty name": lambda c: c.groups.update("g1", name=""),
    "group delete None": lambda c: c.groups.delete(None),  # type: ignore[arg-type]
    "contact create bad phone": lambda c: c.contacts.create(group_id="g1", phone_number="0"),
    "contact create bad email": lambda c: c.contacts.create(
        group_id="g1", phone_number="0205550368", email_address="nope"
    ),
    "contact list bad group": lambda c: c.contacts.list(group_id="a b"),
    "contact update nothing": lambda c: c.contacts.update("c1"),
    "contact update bad phone": lambda c: c.contacts.update("c1", phone_number="x"),
    "contact delete empty": lambda c: c.contacts.delete(""),
    "sender id too long": lambda c: c.sender_ids.register(sender_id="ABCDEFGHIJKL", purpose="x"),
    "sender id empty purpose": lambda c: c.sender_ids.register(sender_id="ABC", purpose=""),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
async def test_bad_input_is_refused_before_any_request(
    api: respx.MockRouter, client: AsyncVelstack, call: Call
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await call(client)
    assert isinstance(caught.value, ValueError)
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("recipient", "error"),
    [
        (
            "0205550368,0205550369,0105550999,0205550370,0205550371",
            "recipient 3 of 5: *******999 is not a valid phone number for region GH",
        ),
        (
            ["0205550368", "12"],
            "recipient 2 of 2: ** is not a valid phone number for region GH",
        ),
        (("0205550368", " ", "0205550369"), "recipient 2 of 3 must not be empty"),
        (["0205550368", 205550369], "recipient 2 of 2 must be a str, not int"),
        ("0105550999", "recipient: not a valid phone number for region GH"),
    ],
)
async def test_a_bad_number_in_a_list_is_named_by_its_position_masked(
    api: respx.MockRouter, client: AsyncVelstack, recipient: Any, error: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await client.sms.send(recipient=recipient, message="hi", sender="SHOP")
    assert str(caught.value) == error
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "recipient",
    [["0205550368", "+233 20 555 0369"], ("233205550368", "0205550369"), "0205550368,0205550369"],
)
async def test_a_list_or_tuple_of_numbers_is_sent_as_the_apis_comma_list(
    api: respx.MockRouter, client: AsyncVelstack, recipient: Any
) -> None:
    from . import payloads as p

    route = api.post("/api/quick/sms").respond(200, json=p.QUICK_SMS)
    await client.sms.send(recipient=recipient, message="hi", sender="SHOP")
    assert json.loads(route.calls.last.request.content)["recipient"] == "0205550368,0205550369"


async def test_eleven_character_alphanumeric_sender_is_fine(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    from . import payloads as p

    api.post("/api/quick/sms").respond(json=p.QUICK_SMS)
    await client.sms.send(**{**OK, "sender": "VELSTACK123"})
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": ""},
        {"api_key": "   "},
        {"api_key": "key with space"},
        {"api_key": "key\nnewline"},
        {"api_key": "k", "base_url": "http://sms.velstack.com"},
        {"api_key": "k", "base_url": "http://10.0.0.5:8080"},
        {"api_key": "k", "base_url": "ftp://sms.velstack.com"},
        {"api_key": "k", "base_url": "sms.velstack.com"},
        {"api_key": "k", "timeout": -1},
        {"api_key": "k", "timeout": "30"},
        {"api_key": "k", "max_retries": -1},
        {"api_key": "k", "max_retries": 1.5},
        {"api_key": "k", "http_client": object()},
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        AsyncVelstack(**kwargs)


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELSTACK_API_KEY", raising=False)
    with pytest.raises(InvalidInputError, match="VELSTACK_API_KEY"):
        AsyncVelstack()


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8080", "http://localhost:9000/", "http://[::1]:8080", "http://127.5.5.5"],
)
async def test_plain_http_is_allowed_on_loopback(base_url: str) -> None:
    async with AsyncVelstack(api_key="k", base_url=base_url) as client:
        assert client.base_url == base_url.rstrip("/")
