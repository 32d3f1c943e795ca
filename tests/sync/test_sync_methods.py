"""Every sync method: exact documented payloads (respx) and the fake server."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from pathlib import Path

import pytest
import respx

from velstack_async import (
    BulkMessage,
    BulkReport,
    BulkResult,
    BulkStatus,
    CampaignOptions,
    Contact,
    Estimate,
    Group,
    RecipientSuppressedError,
    SenderId,
    SendingPolicy,
    SmsSummary,
    Velstack,
)
from velstack_async._sync.client import VelstackBase
from velstack_async.testing import FakeVelstack

from ..core import payloads as p
from .conftest import API_KEY

#: Each sync method a test below calls; a method added later must get a test.
EXERCISED = {
    "contacts.create",
    "contacts.delete",
    "contacts.list",
    "contacts.update",
    "groups.create",
    "groups.delete",
    "groups.get",
    "groups.list",
    "groups.update",
    "sender_ids.register",
    "sms.estimate",
    "sms.send",
    "sms.send_bulk",
    "sms.send_campaign",
    "sms.send_group",
    "sms.stream_bulk",
    "sms.stream_campaign",
    "suppressions.add",
    "suppressions.contains",
    "suppressions.export_csv",
    "suppressions.import_csv",
    "suppressions.list",
    "suppressions.remove",
}


def sent_json(route: respx.Route) -> object:
    return json.loads(route.calls.last.request.content)


def test_every_sync_method_is_exercised() -> None:
    methods = set()
    for attribute, service in inspect.get_annotations(VelstackBase, eval_str=True).items():
        for name, _ in inspect.getmembers(service, inspect.isfunction):
            if not name.startswith("_"):
                methods.add(f"{attribute}.{name}")
    assert methods == EXERCISED


def test_sms_send(api: respx.MockRouter, client: Velstack) -> None:
    route = api.post("/api/quick/sms").respond(json=p.QUICK_SMS)
    summary = client.sms.send(
        recipient="+233205550368", message="sent from the velstack api", sender="Velstack"
    )
    assert sent_json(route) == {
        "sender": "Velstack",
        "recipient": "0205550368",
        "message": "sent from the velstack api",
    }
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["User-Agent"].startswith("velstack-async/")
    assert isinstance(summary, SmsSummary)
    assert summary.credit_left == Decimal("47.00")
    assert summary.raw == p.QUICK_SMS["data"]["summary"]


def test_sms_send_group(api: respx.MockRouter, client: Velstack) -> None:
    route = api.post("/api/group/sms").respond(json=p.GROUP_SMS)
    summary = client.sms.send_group(
        group_id=p.GROUP_ID, message="hello", sender="VELSTACK", title="Information"
    )
    assert sent_json(route) == {
        "sender": "VELSTACK",
        "group_id": p.GROUP_ID,
        "message": "hello",
        "title": "Information",
    }
    assert summary.type == "Group SMS"


def test_groups(api: respx.MockRouter, client: Velstack) -> None:
    api.get("/api/group").respond(json=p.GROUPS)
    api.get(f"/api/group/{p.GROUP_ID}").respond(json=p.GET_GROUP)
    create = api.post("/api/group").respond(json=p.CREATE_GROUP)
    update = api.put(f"/api/group/{p.GROUP_ID}").respond(json=p.UPDATE_GROUP)
    delete = api.delete(f"/api/group/{p.GROUP_ID}").respond(json=p.DELETE_GROUP)

    assert [g.name for g in client.groups.list()] == ["V BANK", "My Group"]
    assert client.groups.get(p.GROUP_ID) == Group(id=p.GROUP_ID, name="My Group", members=0)
    assert client.groups.create(name="My Group").id == p.GROUP_ID
    assert sent_json(create) == {"group_name": "My Group"}
    client.groups.update(p.GROUP_ID, name="Man City Supporters")
    assert sent_json(update) == {"group_new_name": "Man City Supporters"}
    client.groups.delete(p.GROUP_ID)
    assert delete.call_count == 1


def test_contacts(api: respx.MockRouter, client: Velstack) -> None:
    create = api.post("/api/contact").respond(json=p.CREATE_CONTACT)
    api.get("/api/contact").respond(json=p.ALL_CONTACTS)
    api.get(f"/api/contact/{p.GROUP_ID}").respond(json=p.GROUP_CONTACTS)
    update = api.put(f"/api/contact/{p.CONTACT_ID}").respond(json=p.UPDATE_CONTACT)
    delete = api.delete(f"/api/contact/{p.CONTACT_ID}").respond(json=p.DELETE_CONTACT)

    contact = client.contacts.create(
        group_id=p.GROUP_ID,
        phone_number="0205550368",
        first_name="sammy",
        last_name="fort",
        email_address="example@example.com",
    )
    assert isinstance(contact, Contact)
    assert contact.group == "V BANK"
    assert sent_json(create) == {
        "group_id": p.GROUP_ID,
        "phone_number": "0205550368",
        "first_name": "sammy",
        "last_name": "fort",
        "email_address": "example@example.com",
    }
    assert len(client.contacts.list()) == 2
    group_contacts = client.contacts.list(group_id=p.GROUP_ID)
    assert [c.phone_number for c in group_contacts] == ["0205550368", "0248237302"]
    client.contacts.update(p.CONTACT_ID, first_name="perpetual")
    assert sent_json(update) == {"first_name": "perpetual"}
    client.contacts.delete(p.CONTACT_ID)
    assert delete.call_count == 1


def test_sender_ids_register(api: respx.MockRouter, client: Velstack) -> None:
    route = api.post("/api/sender/id").respond(json=p.REGISTER_SENDER_ID)
    sender = client.sender_ids.register(sender_id="VELSTACK", purpose="Software Business")
    assert sent_json(route) == {"purpose": "Software Business", "sender_id": "VELSTACK"}
    assert isinstance(sender, SenderId)
    assert sender.status == "pending"


def test_sms_estimate_needs_no_request(api: respx.MockRouter, client: Velstack) -> None:
    estimate = client.sms.estimate("hello [world]", 3)
    assert estimate == client.sms._async.estimate("hello [world]", 3)
    assert isinstance(estimate, Estimate)
    assert (estimate.segments, estimate.recipients, estimate.credits) == (1, 3, 3)
    assert not api.calls


def test_state_changes_on_the_fake(fake: FakeVelstack, fake_client: Velstack) -> None:
    group = fake_client.groups.create(name="Choir")
    fake_client.contacts.create(group_id=group.id, phone_number="0205550368", first_name="Ama")
    assert fake_client.groups.get(group.id).members == 1
    summary = fake_client.sms.send_group(group_id=group.id, message="rehearsal", sender="VELSTACK")
    assert summary.total_contacts == 1
    assert fake.balance() == summary.credit_left
    [contact] = fake_client.contacts.list(group_id=group.id)
    fake_client.contacts.delete(contact.id)
    assert fake_client.groups.get(group.id).members == 0
    fake_client.groups.delete(group.id)
    assert group.id not in {g.id for g in fake_client.groups.list()}


def test_send_bulk_on_the_fake(fake: FakeVelstack, fake_client: Velstack) -> None:
    seen: list[str] = []
    report = fake_client.sms.send_bulk(
        [
            BulkMessage("0205550368", fields={"name": "Ama"}),
            BulkMessage("0248297302", fields={"name": "Kofi"}),
            "12",
        ],
        message="Hi {name}",
        sender="VELSTACK",
        on_result=lambda result: seen.append(result.status.value),
    )
    assert isinstance(report, BulkReport)
    assert (report.sent, report.failed, report.skipped) == (2, 0, 1)
    assert sorted(seen) == ["sent", "sent", "skipped"]
    assert sorted(m.text for m in fake.messages) == ["Hi Ama", "Hi Kofi"]
    fake.assert_no_duplicates()


def test_stream_bulk_on_the_fake(fake: FakeVelstack, fake_client: Velstack) -> None:
    numbers = [f"02055503{i:02d}" for i in range(20)]
    stream = fake_client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK", concurrency=4)
    assert inspect.getgeneratorstate(stream) == inspect.GEN_CREATED  # type: ignore[arg-type]
    assert fake.message_count == 0  # lazy: nothing is sent before iteration starts
    results = list(stream)
    assert sorted(r.index for r in results) == list(range(20))
    assert {r.status for r in results} == {BulkStatus.SENT}
    assert fake.message_count == 20
    fake.assert_no_duplicates()


def test_stream_bulk_break_stops_the_campaign(fake: FakeVelstack, fake_client: Velstack) -> None:
    numbers = [f"0205{i:06d}" for i in range(2000)]
    first = []
    for result in fake_client.sms.stream_bulk(numbers, message="hi", sender="VELSTACK"):
        first.append(result)
        if len(first) == 3:
            break
    sent_by_break = fake.message_count
    assert 3 <= sent_by_break < len(numbers)
    # The async generator was closed in the loop: nothing more is sent, and the client works.
    assert fake_client.groups.list()
    assert fake.message_count == sent_by_break
    fake.assert_no_duplicates()


def test_send_and_stream_campaign_on_the_fake(fake: FakeVelstack, fake_client: Velstack) -> None:
    options = CampaignOptions(message="Hi {name}", sender="VELSTACK", concurrency=2)
    people: list[str | BulkMessage] = [BulkMessage("0205550368", fields={"name": "Ama"}), "12"]
    report = fake_client.sms.send_campaign(people, options)
    assert (report.sent, report.skipped) == (1, 1)
    seen: list[BulkResult] = []
    streamed = list(
        fake_client.sms.stream_campaign(
            [BulkMessage("0248297302", fields={"name": "Kofi"})], options, on_result=seen.append
        )
    )
    assert [r.status for r in streamed] == [BulkStatus.SENT]
    assert seen == streamed
    assert sorted(m.text for m in fake.messages) == ["Hi Ama", "Hi Kofi"]
    fake.assert_no_duplicates()


def test_suppressions_on_the_fake(fake: FakeVelstack, tmp_path: Path) -> None:
    policy = SendingPolicy(tmp_path / "policy.db")
    with Velstack(api_key=fake.api_key, transport=fake.async_transport(), policy=policy) as client:
        assert client.suppressions.add(["0205550368", "0205550369"], reason="STOP") == 2
        assert client.suppressions.contains("+233 20 555 0368")
        assert client.suppressions.remove("0205550369") == 1
        assert [s.number for s in client.suppressions.list()] == ["+233205550368"]
        assert client.suppressions.export_csv(tmp_path / "out.csv") == 1
        client.suppressions.remove("0205550368")
        assert client.suppressions.import_csv(tmp_path / "out.csv") == 1
        with pytest.raises(RecipientSuppressedError):
            client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    policy.close()
    assert fake.message_count == 0
