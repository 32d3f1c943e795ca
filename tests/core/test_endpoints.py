"""Every documented endpoint, with the exact documented payloads (respx)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest
import respx

from velstack_async import AsyncVelstack, Contact, Group, SenderId, SmsSummary

from . import payloads as p
from .conftest import API_KEY

pytestmark = pytest.mark.anyio


def sent_json(route: respx.Route) -> object:
    return json.loads(route.calls.last.request.content)


async def test_quick_sms(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.post("/api/quick/sms").respond(json=p.QUICK_SMS)
    summary = await client.sms.send(
        recipient="0205550368", message="sent from the velstack api", sender="Velstack"
    )
    assert sent_json(route) == {
        "sender": "Velstack",
        "recipient": "0205550368",
        "message": "sent from the velstack api",
    }
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("velstack-async/")
    assert summary == SmsSummary(
        message_id="550517f1-3810-4d17-bfdb-f2571d05c07c",
        type="Quick SMS",
        message="sent from the velstack api",
        sender="VELSTACK",
        total_contacts=1,
        recipients=("0205550368",),
        credit_used=Decimal("1"),
        credit_left=Decimal("47.00"),
    )
    assert summary.raw == p.QUICK_SMS["data"]["summary"]


async def test_quick_sms_title_and_international_numbers(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    route = api.post("/api/quick/sms").respond(json=p.QUICK_SMS)
    await client.sms.send(
        recipient="+233205550368, 233 24 829 7302",
        message="hi",
        sender="VELSTACK",
        title="Information",
    )
    assert sent_json(route) == {
        "sender": "VELSTACK",
        "recipient": "0205550368,0248297302",
        "message": "hi",
        "title": "Information",
    }


async def test_group_sms(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.post("/api/group/sms").respond(json=p.GROUP_SMS)
    summary = await client.sms.send_group(
        group_id="a4a8da21-88f8-4395-a9df-f859f22c2dfa",
        message="sent from the velstack api",
        sender="Velstack",
    )
    assert sent_json(route) == {
        "sender": "Velstack",
        "group_id": "a4a8da21-88f8-4395-a9df-f859f22c2dfa",
        "message": "sent from the velstack api",
    }
    assert summary.type == "Group SMS"
    assert summary.credit_left == Decimal(1)
    assert summary.recipients == ("0205550368",)


async def test_list_groups(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.get("/api/group").respond(json=p.GROUPS)
    groups = await client.groups.list()
    assert groups == [
        Group(id="a4a8da21-88f8-4395-a9df-f859f22c2dfa", name="V BANK", members=1),
        Group(id="1298d77e-fa98-4304-b513-e4e190a46e28", name="My Group", members=0),
    ]


async def test_get_group_unwraps_one_item_list(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    route = api.get(f"/api/group/{p.GROUP_ID}").respond(json=p.GET_GROUP)
    group = await client.groups.get(p.GROUP_ID)
    assert group == Group(id=p.GROUP_ID, name="My Group", members=0)
    assert route.calls.last.request.content == b""


async def test_create_group(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.post("/api/group").respond(json=p.CREATE_GROUP)
    group = await client.groups.create(name="My Group")
    assert sent_json(route) == {"group_name": "My Group"}
    assert group == Group(id=p.GROUP_ID, name="My Group", members=0)


async def test_update_group(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.put(f"/api/group/{p.GROUP_ID}").respond(json=p.UPDATE_GROUP)
    await client.groups.update(p.GROUP_ID, name="Man City Supporters")
    assert sent_json(route) == {"group_new_name": "Man City Supporters"}


async def test_delete_group(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.delete(f"/api/group/{p.GROUP_ID}").respond(json=p.DELETE_GROUP)
    await client.groups.delete(p.GROUP_ID)
    assert route.called


async def test_create_contact(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.post("/api/contact").respond(json=p.CREATE_CONTACT)
    contact = await client.contacts.create(
        group_id="a4a8da21-88f8-4395-a9df-f859f22c2dfa",
        first_name="sammy",
        last_name="fort",
        phone_number="0205550368",
        email_address="example@example.com",
    )
    assert sent_json(route) == {
        "group_id": "a4a8da21-88f8-4395-a9df-f859f22c2dfa",
        "first_name": "sammy",
        "last_name": "fort",
        "phone_number": "0205550368",
        "email_address": "example@example.com",
    }
    assert contact == Contact(
        id=p.CONTACT_ID,
        first_name="sammy",
        last_name="fort",
        phone_number="0205550368",
        email_address="example@example.com",
        group="V BANK",
        added_date=datetime(2023, 8, 19, 14, 7, 52, tzinfo=timezone.utc),
    )


async def test_create_contact_sends_only_given_fields(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    route = api.post("/api/contact").respond(json=p.CREATE_CONTACT)
    await client.contacts.create(group_id="g1", phone_number="+233205550368")
    assert sent_json(route) == {"group_id": "g1", "phone_number": "0205550368"}


async def test_list_all_contacts(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.get("/api/contact").respond(json=p.ALL_CONTACTS)
    contacts = await client.contacts.list()
    assert [c.first_name for c in contacts] == ["Sam", "michael"]
    assert contacts[0].added_date == datetime(2023, 8, 19, 12, 41, 14, tzinfo=timezone.utc)
    assert {c.group for c in contacts} == {"V BANK"}


async def test_list_group_contacts_reads_results(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    group_id = "a4a8da21-88f8-4395-a9df-f859f22c2dfa"
    api.get(f"/api/contact/{group_id}").respond(json=p.GROUP_CONTACTS)
    contacts = await client.contacts.list(group_id=group_id)
    assert [c.phone_number for c in contacts] == ["0205550368", "0248237302"]


async def test_update_contact_sends_only_given_fields(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    route = api.put(f"/api/contact/{p.CONTACT_ID}").respond(json=p.UPDATE_CONTACT)
    await client.contacts.update(p.CONTACT_ID, first_name="perpetual", last_name="obeng")
    assert sent_json(route) == {"first_name": "perpetual", "last_name": "obeng"}
    await client.contacts.update(
        p.CONTACT_ID, phone_number="0501234567", email_address="example@example.com"
    )
    assert sent_json(route) == {
        "phone_number": "0501234567",
        "email_address": "example@example.com",
    }


async def test_delete_contact(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.delete(f"/api/contact/{p.CONTACT_ID}").respond(json=p.DELETE_CONTACT)
    await client.contacts.delete(p.CONTACT_ID)
    assert route.calls.last.request.method == "DELETE"


async def test_register_sender_id(api: respx.MockRouter, client: AsyncVelstack) -> None:
    route = api.post("/api/sender/id").respond(json=p.REGISTER_SENDER_ID)
    sender_id = await client.sender_ids.register(sender_id="VELSTACK", purpose="Software Business")
    assert sent_json(route) == {"purpose": "Software Business", "sender_id": "VELSTACK"}
    assert sender_id == SenderId(
        id="VELSTACK",
        purpose="Software Business",
        status="pending",
        date=datetime(2023, 8, 19, 14, 49, 3, tzinfo=timezone.utc),
    )


async def test_base_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, instant_retries: None
) -> None:
    monkeypatch.setenv("VELSTACK_API_KEY", "env-key")
    monkeypatch.setenv("VELSTACK_BASE_URL", "https://eu.example.test/")
    with respx.mock(base_url="https://eu.example.test") as router:
        route = router.get("/api/group").respond(json=p.GROUPS)
        async with AsyncVelstack() as client:
            await client.groups.list()
    assert route.calls.last.request.headers["Authorization"] == "Bearer env-key"


async def test_callers_http_client_is_used_and_left_open(api: respx.MockRouter) -> None:
    api.get("/api/group").respond(json=p.GROUPS)
    async with httpx.AsyncClient() as http:
        async with AsyncVelstack(api_key=API_KEY, http_client=http) as client:
            await client.groups.list()
        assert not http.is_closed
    assert http.is_closed
