"""CampaignOptions: one checked settings object that send_bulk, stream_bulk and twins match."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from velstack_async import (
    AsyncVelstack,
    BulkMessage,
    BulkStatus,
    CampaignOptions,
    InvalidInputError,
    Velstack,
)
from velstack_async._resources.sms import AsyncSms
from velstack_async._sync.sms import Sms
from velstack_async.testing import FakeVelstack

from .helpers import numbers

#: Parameters of send_bulk / stream_bulk that are not settings.
NOT_SETTINGS = {"self", "recipients", "on_result"}
#: stream_bulk keeps no report, so it has no keep_unsent.
STREAM_ONLY_LACKS = {"keep_unsent"}


def _fields() -> dict[str, attrs.Attribute[Any]]:
    return {a.name: a for a in attrs.fields(CampaignOptions) if a.init}


def _settings(method: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    params = inspect.signature(method).parameters
    return {name: p for name, p in params.items() if name not in NOT_SETTINGS}


@pytest.mark.parametrize(
    ("method", "lacks"),
    [
        (AsyncSms.send_bulk, set()),
        (Sms.send_bulk, set()),
        (AsyncSms.stream_bulk, STREAM_ONLY_LACKS),
        (Sms.stream_bulk, STREAM_ONLY_LACKS),
    ],
    ids=["async send_bulk", "sync send_bulk", "async stream_bulk", "sync stream_bulk"],
)
def test_signatures_agree_with_the_options_type(
    method: Callable[..., Any], lacks: set[str]
) -> None:
    fields = _fields()
    settings = _settings(method)
    assert set(settings) == set(fields) - lacks
    for name, param in settings.items():
        field = fields[name]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, name
        default = inspect.Parameter.empty if field.default is attrs.NOTHING else field.default
        assert param.default == default, name
        assert param.annotation == field.type, name


def test_send_campaign_signatures_agree() -> None:
    for method in (AsyncSms.send_campaign, Sms.send_campaign):
        assert list(inspect.signature(method).parameters) == [
            "self",
            "recipients",
            "options",
            "on_result",
            "stop",
        ]


def test_options_are_checked_and_normalised_once() -> None:
    options = CampaignOptions(
        message="Hi {name}", sender="SHOP", region="gh", journal=Path("c.journal"), rate_limit=5
    )
    assert options.region == "GH"
    assert options.journal == "c.journal"
    assert options.rate_limit == 5.0
    assert isinstance(options.rate_limit, float)
    assert options.template is not None
    assert options.template.names == ("name",)
    assert options.batch_size == 100
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.batch_size = 5  # type: ignore[misc]
    # evolve checks again.
    with pytest.raises(InvalidInputError, match="batch_size"):
        attrs.evolve(options, batch_size=0)


@pytest.mark.parametrize(
    ("keywords", "match"),
    [
        ({"sender": "TOO-LONG-SENDER"}, "sender"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 10_001}, "concurrency"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"batch_size": 10_001}, "batch_size"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"request_rate_limit": float("inf")}, "request_rate_limit"),
        ({"request_rate_limit": -1}, "request_rate_limit"),
        ({"max_failures": 0}, "max_failures"),
        ({"keep_unsent": -1}, "keep_unsent"),
        ({"region": "XX"}, "region"),
        ({"journal": ""}, "journal"),
        ({"resend_unknown": 1}, "resend_unknown"),
        ({"allow_blank_fields": "yes"}, "allow_blank_fields"),
        ({"stall_timeout": 0}, "stall_timeout"),
        ({"message": "  "}, "message"),
        ({"message": "Hi {first_name!r}"}, "conversion"),
        ({"message": "Hi {first_name!s}"}, "conversion"),
        ({"message": "{code:>{width}}"}, "format spec"),
        ({"message": "{user.__class__}"}, "private"),
        ({"message": "Hi {"}, "template"),
    ],
)
def test_bad_options_are_refused(keywords: dict[str, Any], match: str) -> None:
    values: dict[str, Any] = {"sender": "SHOP", "message": "Hi"} | keywords
    with pytest.raises(InvalidInputError, match=match):
        CampaignOptions(**values)


@pytest.mark.anyio
@pytest.mark.usefixtures("instant_retries")
async def test_send_campaign_takes_the_options(client: AsyncVelstack, fake: FakeVelstack) -> None:
    options = CampaignOptions(message="Hello", sender="SHOP", concurrency=4)
    report = await client.sms.send_campaign(numbers(10), options)
    assert report.sent == 10
    assert {m.text for m in fake.messages} == {"Hello"}
    with pytest.raises(InvalidInputError, match="CampaignOptions"):
        await client.sms.send_campaign(numbers(1), {"sender": "SHOP"})  # type: ignore[arg-type]
    # A conversion is refused before any request.
    before = fake.request_count
    with pytest.raises(InvalidInputError, match="conversion"):
        await client.sms.send_bulk(numbers(3), message="Hi {name!r}", sender="SHOP")
    assert fake.request_count == before


@pytest.mark.anyio
@pytest.mark.usefixtures("instant_retries")
async def test_blank_fields_fail_the_recipient_unless_allowed(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    to = numbers(4)
    items = [
        BulkMessage(to[0], fields={"first_name": "Ama"}),
        BulkMessage(to[1], fields={"first_name": ""}),
        BulkMessage(to[2], fields={"first_name": "  "}),
        BulkMessage(to[3], fields={"first_name": None}),
    ]
    report = await client.sms.send_bulk(items, message="Hi {first_name}", sender="SHOP")
    assert (report.sent, report.failed) == (1, 3)
    assert {r.reason for r in report.unsent} == {
        "blank template field(s) 'first_name' (allow_blank_fields=True sends them as '')"
    }
    assert all(r.status is BulkStatus.FAILED for r in report.unsent)
    assert [m.text for m in fake.messages] == ["Hi Ama"]

    fake.clear_messages()
    report = await client.sms.send_bulk(
        items[1:], message="Hi {first_name}!", sender="SHOP", allow_blank_fields=True
    )
    assert report.sent == 3
    assert sorted(m.text for m in fake.messages) == ["Hi   !", "Hi !", "Hi !"]


def test_sync_twin_takes_the_options(fake: FakeVelstack) -> None:
    with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        report = client.sms.send_campaign(numbers(3), CampaignOptions(message="Hi", sender="SHOP"))
        assert report.sent == 3
        report = client.sms.send_bulk(
            [BulkMessage(numbers(1, 5)[0], fields={"x": ""})], message="{x}", sender="SHOP"
        )
        assert report.failed == 1
        assert isinstance(report.unsent[0].error, InvalidInputError)


@pytest.mark.anyio
@pytest.mark.parametrize("message", ["", "   ", 5, "Hi {0}", "Hi {name!r}", "Hi {"])
async def test_a_recipients_own_message_is_checked_as_the_campaigns_is(
    client: AsyncVelstack, fake: FakeVelstack, message: Any
) -> None:
    """One check for both: the campaign's message refused at once, a recipient's own
    message failing that recipient with the same words (no request either way)."""
    with pytest.raises(InvalidInputError) as refused:
        CampaignOptions(message=message, sender="SHOP")
    report = await client.sms.send_bulk(
        [BulkMessage(numbers(1)[0], message=message)], message="Hi", sender="SHOP"
    )
    (result,) = report.unsent
    assert result.status is BulkStatus.FAILED
    assert isinstance(result.error, InvalidInputError)
    assert result.reason == str(refused.value)
    assert fake.request_count == 0
