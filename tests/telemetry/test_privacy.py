"""No API key, message text or full phone number in any span, event or metric."""

from __future__ import annotations

import pytest

from velstack_async import BulkMessage
from velstack_async.testing import FakeVelstack

from .conftest import MakeClient, Otel

pytestmark = pytest.mark.anyio

SECRET_TEXT = "Ama, your one-time code is 771-204"


async def test_no_secret_is_exported(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack
) -> None:
    client = make_client()
    group = fake.add_group("VIP")
    fake.add_contact(group.id, phone_number="0275550368", first_name="Ama")
    fake.faults.throttle_next(1, retry_after=1)
    await client.sms.send(recipient="+233205550368", message=SECRET_TEXT, sender="SHOP")
    await client.sms.send_group(group_id=group.id, message=SECRET_TEXT, sender="SHOP")
    await client.contacts.create(group_id=group.id, phone_number="0265550368")
    await client.sms.send_bulk(
        [BulkMessage("0245550368", fields={"code": "771-204"}), "0235550368"],
        message="Ama, your one-time code is {code}",
        sender="SHOP",
        allow_blank_fields=True,
    )
    fake.set_balance(0)
    await client.sms.send_bulk(["0545550368"], message=SECRET_TEXT, sender="SHOP")
    exported = otel.everything()
    assert "velstack.credits_used" in exported  # the exporters did receive the telemetry
    for secret in (fake.api_key, "Bearer", SECRET_TEXT, "771-204", "one-time"):
        assert secret not in exported
    for number in ("205550368", "275550368", "265550368", "245550368", "235550368", "545550368"):
        assert number not in exported
