"""Credits: segments x recipients, the documented 403, and per-account balances."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from velstack_async.testing import FakeVelstack

SendQuick = Callable[..., httpx.Response]


def _summary(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    summary: dict[str, object] = response.json()["data"]["summary"]
    return summary


@pytest.mark.parametrize(
    ("message", "credits"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),
        ("{" * 81, 2),
        ("ç" * 70, 1),
        ("ç" * 71, 2),
        ("😀" * 36, 2),
        ("ç" * 135, 3),
    ],
)
def test_cost_is_segments(
    send_quick: SendQuick, fake: FakeVelstack, message: str, credits: int
) -> None:
    summary = _summary(send_quick(message=message))
    assert summary["credit_used"] == credits
    assert summary["credit_left"] == f"{1000 - credits}.00"
    assert fake.balance() == 1000 - credits
    assert fake.messages[0].segments == fake.messages[0].credits == credits


def test_cost_multiplies_by_recipients(send_quick: SendQuick, fake: FakeVelstack) -> None:
    summary = _summary(send_quick(recipient="0205550368,0248297302,0501234567", message="a" * 200))
    assert summary["credit_used"] == 6
    assert summary["credit_left"] == "994.00"
    assert [m.credits for m in fake.messages] == [2, 2, 2]


def test_credit_left_falls(send_quick: SendQuick) -> None:
    lefts = [_summary(send_quick())["credit_left"] for _ in range(3)]
    assert lefts == ["999.00", "998.00", "997.00"]


def test_group_sms_costs_members_times_segments(api: httpx.Client, fake: FakeVelstack) -> None:
    group = fake.groups()[0]
    body = {"sender": "V", "group_id": group.id, "message": "ç" * 100}
    summary = _summary(api.post("/api/group/sms", json=body))
    assert summary["credit_used"] == 2 * 2
    assert summary["credit_left"] == 996


def test_insufficient_balance_sends_nothing(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.set_balance(2)
    response = send_quick(recipient="0205550368,0248297302,0501234567")
    assert response.status_code == 403
    assert response.json() == {
        "status": False,
        "message": "Insufficient balance to complete this message",
        "code": 403,
    }
    assert fake.balance() == 2
    assert fake.messages == []
    assert fake.message_count == 0


def test_insufficient_balance_for_a_group(api: httpx.Client, fake: FakeVelstack) -> None:
    fake.set_balance(1)
    body = {"sender": "V", "group_id": fake.groups()[0].id, "message": "hi"}
    assert api.post("/api/group/sms", json=body).status_code == 403
    assert fake.message_count == 0


def test_exact_balance_is_enough(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.set_balance(Decimal("2.50"))
    assert _summary(send_quick(message="a" * 200))["credit_left"] == "0.50"
    assert send_quick().status_code == 403


@pytest.mark.parametrize(
    ("style", "quick", "group"),
    [("documented", "999.50", 997.5), ("string", "999.50", "997.50"), ("number", 999.5, 997.5)],
)
def test_credit_left_styles(style: str, quick: object, group: object) -> None:
    fake = FakeVelstack.demo(balance=Decimal("1000.50"), credit_left=style)
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with fake.http_client(headers=headers) as client:
        body = {"sender": "V", "recipient": "0205550368", "message": "hi"}
        assert _summary(client.post("/api/quick/sms", json=body))["credit_left"] == quick
        body = {"sender": "V", "group_id": fake.groups()[0].id, "message": "hi"}
        assert _summary(client.post("/api/group/sms", json=body))["credit_left"] == group


def test_accounts_are_separate(fake: FakeVelstack) -> None:
    other = fake.add_account(balance=5)
    assert fake.balance(other) == 5
    assert fake.groups(other) == []
    with fake.http_client(headers={"Authorization": f"Bearer {other}"}) as client:
        assert client.get("/api/group").json()["data"]["Summary"] == []
        bank = fake.groups()[0].id
        assert client.get(f"/api/group/{bank}").status_code == 404
        body = {"sender": "V", "recipient": "0205550368", "message": "hi"}
        assert _summary(client.post("/api/quick/sms", json=body))["credit_left"] == "4.00"
    assert fake.balance() == 1000
    assert [m.api_key for m in fake.messages_for(other)] == [other]
    assert fake.messages_for(fake.api_key) == []


def test_account_errors(fake: FakeVelstack) -> None:
    with pytest.raises(ValueError, match="already exists"):
        fake.add_account("test-key")
    with pytest.raises(ValueError, match="Unauthenticated"):
        fake.balance("unknown")
    with pytest.raises(ValueError, match="Unauthenticated"):
        fake.set_balance(1, "unknown")
