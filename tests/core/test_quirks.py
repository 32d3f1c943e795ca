"""The quirks of real Velstack responses (NOTES.md) all parse."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import respx

from velstack_async import AsyncVelstack

from . import payloads as p

pytestmark = pytest.mark.anyio


def quick_sms(**summary: Any) -> dict[str, Any]:
    body = copy.deepcopy(p.QUICK_SMS)
    body["data"]["summary"].update(summary)
    return body


async def send(client: AsyncVelstack) -> Any:
    return await client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")


@pytest.mark.parametrize(
    ("credit_left", "expected"),
    [("47.00", Decimal("47.00")), (1, Decimal(1)), ("0.00", Decimal(0)), (2.5, Decimal("2.5"))],
)
async def test_credit_left_as_string_or_number(
    api: respx.MockRouter, client: AsyncVelstack, credit_left: object, expected: Decimal
) -> None:
    api.post("/api/quick/sms").respond(json=quick_sms(credit_left=credit_left, credit_used="2"))
    summary = await send(client)
    assert summary.credit_left == expected
    assert summary.credit_used == Decimal(2)


async def test_recipients_as_plain_string(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.post("/api/quick/sms").respond(json=quick_sms(recipients="0205550368"))
    assert (await send(client)).recipients == ("0205550368",)


async def test_recipients_as_comma_separated_string(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    api.post("/api/quick/sms").respond(json=quick_sms(recipients="0205550368, 0248297302"))
    assert (await send(client)).recipients == ("0205550368", "0248297302")


async def test_summary_key_in_either_case(api: respx.MockRouter, client: AsyncVelstack) -> None:
    body = copy.deepcopy(p.QUICK_SMS)
    body["data"] = {"Summary": body["data"]["summary"]}
    api.post("/api/quick/sms").respond(json=body)
    assert (await send(client)).sender == "VELSTACK"


async def test_group_list_in_either_case_or_bare(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    items = p.GROUPS["data"]["Summary"]
    route = api.get("/api/group")
    shapes: list[Any] = [{"summary": items}, items, {"Summary": [], "collection": None}]
    for data in shapes:
        route.respond(json={"status": True, "code": 200, "message": "ok", "data": data})
        groups = await client.groups.list()
        assert [g.name for g in groups] == [i["name"] for i in data_items(data)]


def data_items(data: Any) -> list[Any]:
    return data if isinstance(data, list) else next(iter(data.values()))


async def test_get_group_as_bare_object(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.get(f"/api/group/{p.GROUP_ID}").respond(json=p.CREATE_GROUP)
    assert (await client.groups.get(p.GROUP_ID)).id == p.GROUP_ID


async def test_members_as_numeric_string(api: respx.MockRouter, client: AsyncVelstack) -> None:
    body = copy.deepcopy(p.CREATE_GROUP)
    body["data"]["members"] = "3"
    api.post("/api/group").respond(json=body)
    assert (await client.groups.create(name="x")).members == 3


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2023-08-19T14:07:52.000000Z", datetime(2023, 8, 19, 14, 7, 52, tzinfo=timezone.utc)),
        ("2023-08-19T14:07:52.5Z", datetime(2023, 8, 19, 14, 7, 52, 500000, tzinfo=timezone.utc)),
        ("2023-08-19T14:07:52Z", datetime(2023, 8, 19, 14, 7, 52, tzinfo=timezone.utc)),
        ("2023-08-19 14:07:52", datetime(2023, 8, 19, 14, 7, 52, tzinfo=timezone.utc)),
        (
            "2023-08-19T16:07:52.000000+02:00",
            datetime(2023, 8, 19, 14, 7, 52, tzinfo=timezone.utc),
        ),
    ],
)
async def test_timestamps_become_aware_utc_datetimes(
    api: respx.MockRouter, client: AsyncVelstack, stamp: str, expected: datetime
) -> None:
    body = copy.deepcopy(p.CREATE_CONTACT)
    body["data"]["added_date"] = stamp
    api.post("/api/contact").respond(json=body)
    contact = await client.contacts.create(group_id="g1", phone_number="0205550368")
    assert contact.added_date == expected
    assert contact.added_date.utcoffset() == timedelta(0)


async def test_contact_without_optional_fields(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    body = copy.deepcopy(p.ALL_CONTACTS)
    body["data"] = [{"id": "c1", "added_date": "2023-08-19T14:07:52.000000Z"}]
    api.get("/api/contact").respond(json=body)
    (contact,) = await client.contacts.list()
    assert contact.group is None
    assert contact.first_name is None


async def test_group_contacts_under_contacts_key(
    api: respx.MockRouter, client: AsyncVelstack
) -> None:
    body = copy.deepcopy(p.GROUP_CONTACTS)
    body["data"] = {"results": None, "contacts": None}
    api.get("/api/contact/g1").respond(json=body)
    assert await client.contacts.list(group_id="g1") == []


async def test_new_fields_are_kept_in_raw(api: respx.MockRouter, client: AsyncVelstack) -> None:
    api.post("/api/quick/sms").respond(json=quick_sms(cost_currency="GHS", scheduled=None))
    summary = await send(client)
    assert summary.raw["cost_currency"] == "GHS"
    assert "scheduled" in summary.raw
    assert "raw" not in summary.raw


async def test_sender_id_as_bare_object(api: respx.MockRouter, client: AsyncVelstack) -> None:
    body = copy.deepcopy(p.REGISTER_SENDER_ID)
    body["data"] = body["data"][0]
    api.post("/api/sender/id").respond(json=body)
    registered = await client.sender_ids.register(sender_id="VELSTACK", purpose="x")
    assert registered.status == "pending"
