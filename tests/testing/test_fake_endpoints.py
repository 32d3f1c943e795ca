"""Every endpoint answers with the shape documented in velstack-sms-api.txt."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from velstack_async.testing import FakeVelstack

SendQuick = Callable[..., httpx.Response]

LARAVEL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z")
CONTACT_KEYS = [
    "id",
    "first_name",
    "last_name",
    "phone_number",
    "email_address",
    "Group",
    "added_date",
]


def _ok(response: httpx.Response, message: str) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["status", "code", "message", "data"]
    assert body["status"] is True
    assert body["code"] == 200
    assert body["message"] == message
    return body["data"]


def _bank(fake: FakeVelstack) -> str:
    return next(g.id for g in fake.groups() if g.name == "V BANK")


def test_quick_sms(send_quick: SendQuick, fake: FakeVelstack) -> None:
    data = _ok(send_quick(message="sent from the velstack api"), "Message sent Successfully")
    assert isinstance(data, dict)
    summary = data["summary"]
    assert list(summary) == [
        "message_id",
        "type",
        "message",
        "sender",
        "total_contacts",
        "recipients",
        "credit_used",
        "credit_left",
    ]
    assert uuid.UUID(summary["message_id"]).version == 4
    assert summary["type"] == "Quick SMS"
    assert summary["message"] == "sent from the velstack api"
    assert summary["sender"] == "VELSTACK"
    assert summary["total_contacts"] == 1
    assert summary["recipients"] == ["0205550368"]
    assert summary["credit_used"] == 1
    assert summary["credit_left"] == "999.00"
    [message] = fake.messages
    assert message.message_id == summary["message_id"]
    assert (message.recipient, message.sender, message.type) == (
        "+233205550368",
        "VELSTACK",
        "Quick SMS",
    )


def test_quick_sms_to_several_numbers_in_any_format(
    send_quick: SendQuick, fake: FakeVelstack
) -> None:
    response = send_quick(recipient="0205550368, 233248297302,+233501234567,", title="Info")
    summary = _ok(response, "Message sent Successfully")["summary"]
    assert summary["recipients"] == ["0205550368", "233248297302", "+233501234567"]
    assert summary["total_contacts"] == 3
    assert summary["credit_used"] == 3
    assert [m.recipient for m in fake.messages] == [
        "+233205550368",
        "+233248297302",
        "+233501234567",
    ]
    assert {m.title for m in fake.messages} == {"Info"}


def test_group_sms(api: httpx.Client, fake: FakeVelstack) -> None:
    body = {"sender": "Velstack", "group_id": _bank(fake), "message": "group sms"}
    summary = _ok(api.post("/api/group/sms", json=body), "Message sent Successfully")["summary"]
    assert summary["type"] == "Group SMS"
    assert summary["recipients"] == ["0205550368", "0248297302"]
    assert summary["total_contacts"] == 2
    assert summary["credit_used"] == 2
    assert summary["credit_left"] == 998  # a number here, as documented
    assert [(m.recipient, m.type) for m in fake.messages] == [
        ("+233205550368", "Group SMS"),
        ("+233248297302", "Group SMS"),
    ]


def test_list_groups(api: httpx.Client) -> None:
    data = _ok(api.get("/api/group"), "Showing all groups")
    assert isinstance(data, dict)
    assert list(data) == ["Summary", "collection"]
    assert data["collection"] is None
    assert [(g["name"], g["members"]) for g in data["Summary"]] == [("V BANK", 2), ("My Group", 0)]
    assert list(data["Summary"][0]) == ["id", "name", "members"]


def test_get_group_is_a_one_item_list(api: httpx.Client, fake: FakeVelstack) -> None:
    data = _ok(api.get(f"/api/group/{_bank(fake)}"), "Showing a single group")
    assert data == [{"id": _bank(fake), "name": "V BANK", "members": 2}]


def test_create_group_is_an_object(api: httpx.Client, fake: FakeVelstack) -> None:
    data = _ok(
        api.post("/api/group", json={"group_name": "My Group"}), "Group created successfully"
    )
    assert isinstance(data, dict)
    assert data["name"] == "My Group"
    assert data["members"] == 0
    assert data["id"] in {g.id for g in fake.groups()}


def test_update_group_renames_it_and_its_contacts(api: httpx.Client, fake: FakeVelstack) -> None:
    response = api.put(f"/api/group/{_bank(fake)}", json={"group_new_name": "Man City Supporters"})
    assert _ok(response, "Group updated to Man City Supporters") is None
    assert fake.groups()[0].name == "Man City Supporters"
    contacts = _ok(api.get("/api/contact"), "Showing all contacts")
    assert {c["Group"] for c in contacts} == {"Man City Supporters"}


def test_delete_group_removes_its_contacts(api: httpx.Client, fake: FakeVelstack) -> None:
    bank = _bank(fake)
    assert _ok(api.delete(f"/api/group/{bank}"), "Group deleted successfully") is None
    assert [g.name for g in fake.groups()] == ["My Group"]
    assert fake.contacts() == []
    assert api.get(f"/api/group/{bank}").status_code == 404
    assert api.get(f"/api/contact/{bank}").status_code == 404


def test_create_contact(api: httpx.Client, fake: FakeVelstack) -> None:
    body = {
        "group_id": _bank(fake),
        "first_name": "sammy",
        "last_name": "fort",
        "phone_number": "0205550368",
        "email_address": "example@example.com",
    }
    data = _ok(api.post("/api/contact", json=body), "New contact created successfully")
    assert isinstance(data, dict)
    assert list(data) == CONTACT_KEYS
    assert data["Group"] == "V BANK"
    assert LARAVEL_TIME.fullmatch(data["added_date"])
    assert {k: data[k] for k in body if k != "group_id"} == {
        k: v for k, v in body.items() if k != "group_id"
    }
    assert fake.groups()[0].members == 3


def test_create_contact_needs_only_group_and_phone(api: httpx.Client, fake: FakeVelstack) -> None:
    body = {"group_id": _bank(fake), "phone_number": "+233 24 829 7302"}
    data = _ok(api.post("/api/contact", json=body), "New contact created successfully")
    assert isinstance(data, dict)
    assert data["first_name"] is None
    assert data["email_address"] is None
    assert fake.contacts()[-1].e164 == "+233248297302"


def test_list_all_contacts(api: httpx.Client, fake: FakeVelstack) -> None:
    other = fake.add_group("Other")
    fake.add_contact(other.id, "0501234567", first_name="Ama")
    data = _ok(api.get("/api/contact"), "Showing all contacts")
    assert isinstance(data, list)
    assert [c["first_name"] for c in data] == ["Sam", "michael", "Ama"]
    assert [c["Group"] for c in data] == ["V BANK", "V BANK", "Other"]
    assert all(list(c) == CONTACT_KEYS for c in data)


def test_contacts_of_a_group(api: httpx.Client, fake: FakeVelstack) -> None:
    data = _ok(api.get(f"/api/contact/{_bank(fake)}"), "Showing contacts of V Bank")
    assert isinstance(data, dict)
    assert list(data) == ["results", "contacts"]
    assert data["contacts"] is None
    assert [c["phone_number"] for c in data["results"]] == ["0205550368", "0248297302"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_contact(api: httpx.Client, fake: FakeVelstack, method: str) -> None:
    contact = fake.contacts()[0]
    body = {"first_name": "perpetual", "phone_number": "0501234567"}
    response = api.request(method, f"/api/contact/{contact.id}", json=body)
    assert _ok(response, "Contact updated successfully") is None
    updated = fake.contacts()[0]
    assert (updated.first_name, updated.last_name) == ("perpetual", contact.last_name)
    assert (updated.phone_number, updated.e164) == ("0501234567", "+233501234567")
    assert fake.groups()[0].members == 2


def test_delete_contact(api: httpx.Client, fake: FakeVelstack) -> None:
    contact = fake.contacts()[0]
    assert _ok(api.delete(f"/api/contact/{contact.id}"), "Contact deleted successfully") is None
    assert fake.groups()[0].members == 1
    assert api.delete(f"/api/contact/{contact.id}").status_code == 404


def test_register_sender_id(api: httpx.Client, fake: FakeVelstack) -> None:
    body = {"purpose": "Software Business", "sender_id": "MYSHOP"}
    data = _ok(api.post("/api/sender/id", json=body), "Id registered successfully")
    assert isinstance(data, list)
    [record] = data
    assert list(record) == ["id", "purpose", "status", "date"]
    assert (record["id"], record["purpose"], record["status"]) == (
        "MYSHOP",
        "Software Business",
        "pending",
    )
    assert LARAVEL_TIME.fullmatch(record["date"])
    assert [s.id for s in fake.sender_ids()] == ["VELSTACK", "MYSHOP"]


def test_paths_tolerate_query_and_trailing_slash(api: httpx.Client) -> None:
    assert api.get("/api/group/?page=1").status_code == 200


def test_form_encoded_body(api: httpx.Client) -> None:
    response = api.post("/api/group", data={"group_name": "Form"})
    assert _ok(response, "Group created successfully")["name"] == "Form"


def test_members_follow_contacts(api: httpx.Client, fake: FakeVelstack) -> None:
    group = fake.add_group("Count")
    ids = [
        api.post("/api/contact", json={"group_id": group.id, "phone_number": p}).json()["data"][
            "id"
        ]
        for p in ("0205550368", "0248297302", "0501234567")
    ]
    assert api.get(f"/api/group/{group.id}").json()["data"][0]["members"] == 3
    api.delete(f"/api/contact/{ids[1]}")
    assert api.get(f"/api/group/{group.id}").json()["data"][0]["members"] == 2


@pytest.mark.anyio
async def test_async_client(fake: FakeVelstack) -> None:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with fake.async_http_client(headers=headers) as client:
        body = {"sender": "Velstack", "recipient": "0205550368", "message": "hi"}
        response = await client.post("/api/quick/sms", json=body)
        assert response.json()["data"]["summary"]["credit_left"] == "999.00"
        assert (await client.get("/api/group")).status_code == 200
    assert fake.message_count == 1
