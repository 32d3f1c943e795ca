"""Quick SMS to many recipients in one request: the cap, charging, the answer, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import httpx
import pytest

from velstack_async import AsyncVelstack, InsufficientBalanceError, ValidationError
from velstack_async.testing import FakeVelstack

SendQuick = Callable[..., httpx.Response]
TWO_SEGMENTS = "x" * 161


def numbers(n: int) -> list[str]:
    """``n`` distinct valid Ghanaian numbers in national format."""
    return [f"024{i:07d}" for i in range(n)]


def e164(national: str) -> str:
    return "+233" + national[1:]


def _summary(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    summary: dict[str, object] = response.json()["data"]["summary"]
    return summary


def test_up_to_max_recipients_in_one_request(send_quick: SendQuick, fake: FakeVelstack) -> None:
    assert fake.max_recipients == 1000  # the default
    fake.set_balance(5000)
    batch = numbers(1000)
    summary = _summary(send_quick(recipient=",".join(batch), message=TWO_SEGMENTS))
    assert summary["total_contacts"] == 1000
    assert summary["recipients"] == batch
    assert summary["credit_used"] == 2000  # segments x recipients
    assert summary["credit_left"] == f"{fake.balance():.2f}"
    assert fake.message_count == 1000
    assert [m.recipient for m in fake.messages] == [e164(n) for n in batch]
    assert {m.message_id for m in fake.messages} == {summary["message_id"]}


def test_spaces_and_empty_items_in_the_list(send_quick: SendQuick) -> None:
    summary = _summary(send_quick(recipient=" 0205550368 , ,+233245550368,"))
    assert summary["recipients"] == ["0205550368", "+233245550368"]
    assert summary["total_contacts"] == 2


@pytest.mark.parametrize("limit", [1, 5, 1000])
def test_over_the_cap_is_refused_whole(
    limit: int, send_quick: SendQuick, fake: FakeVelstack
) -> None:
    fake.max_recipients = limit
    fake.set_balance(10**6)
    response = send_quick(recipient=",".join(numbers(limit + 1)))
    assert response.status_code == 422
    message = f"The recipient field must not have more than {limit} items."
    assert response.json() == {"message": message, "errors": {"recipient": [message]}}
    assert fake.message_count == 0
    assert fake.balance() == 10**6
    assert _summary(send_quick(recipient=",".join(numbers(limit))))["total_contacts"] == limit


def test_one_bad_number_refuses_the_whole_request(
    send_quick: SendQuick, fake: FakeVelstack
) -> None:
    response = send_quick(recipient="0205550368,12345,0245550368,+4915112345678")
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "recipient": [
            "The recipient field contains an invalid phone number: 12345.",
            "The recipient field contains an invalid phone number: +4915112345678.",
        ]
    }
    assert fake.message_count == 0
    assert fake.balance() == 1000


def test_a_balance_short_of_the_whole_request_sends_nothing(
    send_quick: SendQuick, fake: FakeVelstack
) -> None:
    fake.set_balance(5)
    response = send_quick(recipient=",".join(numbers(3)), message=TWO_SEGMENTS)  # costs 6
    assert response.status_code == 403
    assert response.json() == {
        "status": False,
        "message": "Insufficient balance to complete this message",
        "code": 403,
    }
    assert (fake.message_count, fake.balance()) == (0, Decimal(5))
    assert _summary(send_quick(recipient=",".join(numbers(5))))["credit_left"] == "0.00"


def test_drop_from_answer_skips_a_number_and_keeps_the_others(
    send_quick: SendQuick, fake: FakeVelstack
) -> None:
    fake.drop_from_answer = {"233240000001", " 0240000003 "}  # any format
    assert fake.drop_from_answer == {"+233240000001", "+233240000003"}
    summary = _summary(send_quick(recipient=",".join(numbers(4))))
    assert summary["recipients"] == ["0240000000", "0240000002"]
    assert (summary["total_contacts"], summary["credit_used"]) == (2, 2)
    assert [m.recipient for m in fake.messages] == ["+233240000000", "+233240000002"]
    assert fake.balance() == 998
    fake.drop_from_answer = ()
    assert _summary(send_quick(recipient="0240000001"))["recipients"] == ["0240000001"]


def test_dropping_every_number_accepts_none(send_quick: SendQuick, fake: FakeVelstack) -> None:
    fake.drop_from_answer = ["0205550368"]
    summary = _summary(send_quick(recipient="0205550368"))
    assert (summary["recipients"], summary["total_contacts"], summary["credit_used"]) == ([], 0, 0)
    assert (fake.message_count, fake.balance()) == (0, Decimal(1000))


def test_drop_from_answer_is_checked() -> None:
    fake = FakeVelstack()
    with pytest.raises(ValueError, match="not a valid Ghanaian phone number"):
        fake.drop_from_answer = ["12345"]
    with pytest.raises(TypeError, match="collection"):
        fake.drop_from_answer = "0205550368"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("as_sent", ["020 555 0368", "+233245550368"]),
        ("national", ["0205550368", "0245550368"]),
        ("international", ["233205550368", "233245550368"]),
        ("e164", ["+233205550368", "+233245550368"]),
    ],
)
def test_echo_recipients(
    style: str, expected: list[str], send_quick: SendQuick, fake: FakeVelstack
) -> None:
    fake.echo_recipients = style  # type: ignore[assignment]
    summary = _summary(send_quick(recipient="020 555 0368,+233245550368"))
    assert summary["recipients"] == expected
    group = fake.add_group("G")
    fake.add_contact(group.id, "020 555 0368")
    fake.add_contact(group.id, "+233245550368")
    with fake.http_client(headers={"Authorization": f"Bearer {fake.api_key}"}) as api:
        body = {"sender": "V", "group_id": group.id, "message": "hi"}
        assert _summary(api.post("/api/group/sms", json=body))["recipients"] == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_recipients", 0),
        ("max_recipients", -1),
        ("max_recipients", True),
        ("max_recipients", "5"),
        ("echo_recipients", "shouty"),
        ("credit_left", "roman"),
    ],
)
def test_send_settings_are_validated(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        FakeVelstack(**{name: value})  # type: ignore[arg-type]
    fake = FakeVelstack()
    with pytest.raises(ValueError, match=name):
        setattr(fake, name, value)


# -- through the SDK, on asyncio and trio -------------------------------------------------


@pytest.fixture
async def sdk(fake: FakeVelstack) -> AsyncIterator[AsyncVelstack]:
    async with (
        fake.async_http_client() as http_client,
        AsyncVelstack(api_key=fake.api_key, http_client=http_client) as client,
    ):
        yield client


@pytest.mark.anyio
async def test_sdk_send_to_many(sdk: AsyncVelstack, fake: FakeVelstack) -> None:
    fake.max_recipients = 50
    batch = numbers(50)
    summary = await sdk.sms.send(recipient=",".join(batch), message="Sale today", sender="SHOP")
    assert (summary.total_contacts, summary.credit_used) == (50, Decimal(50))
    assert summary.recipients == tuple(batch)
    fake.assert_no_duplicates()
    with pytest.raises(ValidationError) as refused:
        await sdk.sms.send(recipient=",".join(numbers(51)), message="again", sender="SHOP")
    assert refused.value.errors == {
        "recipient": ["The recipient field must not have more than 50 items."]
    }
    assert fake.message_count == 50


@pytest.mark.anyio
async def test_sdk_sees_a_dropped_number_and_another_echo_format(
    sdk: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.drop_from_answer = ["0240000002"]
    fake.echo_recipients = "international"
    summary = await sdk.sms.send(recipient=",".join(numbers(3)), message="hi", sender="SHOP")
    assert summary.recipients == ("233240000000", "233240000001")
    assert summary.total_contacts == 2
    assert summary.credit_used == 2


@pytest.mark.anyio
async def test_sdk_insufficient_balance_for_the_whole_request(
    sdk: AsyncVelstack, fake: FakeVelstack
) -> None:
    fake.set_balance(2)
    with pytest.raises(InsufficientBalanceError):
        await sdk.sms.send(recipient=",".join(numbers(3)), message="hi", sender="SHOP")
    assert (fake.message_count, fake.balance()) == (0, Decimal(2))
