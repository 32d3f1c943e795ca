"""send_bulk on a healthy service: reports, numbers, templates, callbacks, lazy input."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest

from velstack_async import (
    AsyncVelstack,
    BulkMessage,
    BulkResult,
    BulkStatus,
    InvalidInputError,
)
from velstack_async.testing import FakeVelstack

from .helpers import e164, numbers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instant_retries")]


async def test_every_recipient_is_sent_once(client: AsyncVelstack, fake: FakeVelstack) -> None:
    recipients = numbers(300)
    report = await client.sms.send_bulk(recipients, message="Hello", sender="VELSTACK")

    assert (report.total, report.sent, report.failed, report.skipped) == (300, 300, 0, 0)
    assert (report.unknown, report.not_attempted, report.stopped_reason) == (0, 0, None)
    assert report.unsent == ()
    assert report.credit_used == Decimal(300)
    assert report.credit_left == fake.balance()
    assert report.messages_per_second > 0
    assert sorted(m.recipient for m in fake.messages) == sorted(map(e164, recipients))
    assert {m.text for m in fake.messages} == {"Hello"}
    fake.assert_no_duplicates()


async def test_same_number_in_other_formats_is_one_recipient(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    given = ["0205550368", "+233205550368", "233 20 555 0368", "0205550369", "020-555-0369"]
    seen: list[BulkResult] = []
    report = await client.sms.send_bulk(
        given, message="Hi", sender="VELSTACK", concurrency=1, on_result=seen.append
    )

    assert (report.sent, report.skipped) == (2, 3)
    by_index = {r.index: r for r in seen}
    assert [by_index[i].status for i in range(5)] == [
        "sent",
        "skipped",
        "skipped",
        "sent",
        "skipped",
    ]
    assert {r.reason for r in report.unsent} == {"duplicate"}
    # The result names the recipient as it was given, not as it was sent.
    assert {r.recipient for r in report.unsent} == {
        "+233205550368",
        "233 20 555 0368",
        "020-555-0369",
    }
    assert len(fake.messages) == 2
    # Sent in the format the API documents.
    assert sorted(m.recipient for m in fake.messages) == ["+233205550368", "+233205550369"]


async def test_invalid_numbers_are_skipped_with_the_reason(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    given: list[object] = ["0205550368", "12", "not a number", "+233 20", 205550368]
    report = await client.sms.send_bulk(
        given,  # type: ignore[arg-type]
        message="Hi",
        sender="VELSTACK",
    )

    assert (report.sent, report.skipped, report.failed) == (1, 4, 0)
    reasons = {r.recipient: r.reason or "" for r in report.unsent}
    assert "not a valid phone number" in reasons["12"] or "too short" in reasons["12"]
    assert "not a number" in reasons["not a number"]
    assert "+233 20" in reasons
    assert "must be a str" in reasons["205550368"]
    assert all(isinstance(r.error, InvalidInputError) for r in report.unsent)
    assert len(fake.messages) == 1


async def test_region_reads_national_numbers(client: AsyncVelstack, fake: FakeVelstack) -> None:
    report = await client.sms.send_bulk(
        ["020 7946 0958"], message="Hi", sender="VELSTACK", region="GB"
    )
    # A valid UK number: normalised, sent in international digits; the fake only serves GH.
    assert report.total == 1
    assert report.skipped == 0
    assert report.failed == 1
    assert report.unsent[0].error is not None
    assert "recipient" in str(report.unsent[0].error).lower()


async def test_template_fields_and_overrides(client: AsyncVelstack, fake: FakeVelstack) -> None:
    recipients = [
        BulkMessage("0205550001", fields={"first_name": "Ama", "code": 1234}),
        BulkMessage("0205550002", fields={"first_name": "Kofi", "code": 99}, sender="PROMO"),
        BulkMessage(
            "0205550003", message="Custom {{braces}} for {first_name}", fields={"first_name": "Esi"}
        ),
    ]
    report = await client.sms.send_bulk(
        recipients, message="Hi {first_name}, your code is {code:05d}", sender="VELSTACK"
    )

    assert report.sent == 3
    got = {m.recipient: (m.text, m.sender) for m in fake.messages}
    assert got == {
        "+233205550001": ("Hi Ama, your code is 01234", "VELSTACK"),
        "+233205550002": ("Hi Kofi, your code is 00099", "PROMO"),
        "+233205550003": ("Custom {braces} for Esi", "VELSTACK"),
    }


async def test_template_errors_fail_one_recipient_not_the_campaign(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    recipients: list[str | BulkMessage] = [
        BulkMessage("0205550001", fields={"first_name": "Ama"}),
        BulkMessage("0205550002", fields={}),
        "0205550003",
        BulkMessage("0205550004", fields={"first_name": "Ama"}, message="{first_name:d}"),
        BulkMessage("0205550005", message="Broken {", fields={}),
        BulkMessage("0205550006", fields={"first_name": "Yaw"}, sender="way too long sender"),
    ]
    report = await client.sms.send_bulk(recipients, message="Hi {first_name}", sender="VELSTACK")

    assert (report.sent, report.failed) == (1, 5)
    reasons = {r.recipient: r.reason or "" for r in report.unsent}
    assert reasons["0205550002"] == "missing template field(s) 'first_name'"
    assert reasons["0205550003"] == "missing template field(s) 'first_name'"
    assert "template field error" in reasons["0205550004"]
    assert "literal braces" in reasons["0205550005"]
    assert "sender" in reasons["0205550006"]
    assert all(r.status == BulkStatus.FAILED and r.summary is None for r in report.unsent)
    assert [m.recipient for m in fake.messages] == ["+233205550001"]


async def test_bad_campaign_template_is_refused_before_any_request(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    for template in ("Hi {", "Hi {0}", "Hi {}", "Hi }"):
        with pytest.raises(InvalidInputError, match="template"):
            await client.sms.send_bulk(numbers(3), message=template, sender="VELSTACK")
    assert fake.request_count == 0


async def test_no_message_at_all_fails_each_recipient(client: AsyncVelstack) -> None:
    report = await client.sms.send_bulk(
        ["0205550001", BulkMessage("0205550002", message="own text")], sender="VELSTACK"
    )
    assert (report.sent, report.failed) == (1, 1)
    assert "no message" in (report.unsent[0].reason or "")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": float("nan")}, "rate_limit"),
        ({"max_failures": 0}, "max_failures"),
        ({"sender": "has space"}, "sender"),
        ({"region": "XX"}, "region"),
        ({"journal": 3}, "journal"),
        ({"keep_unsent": -1}, "keep_unsent"),
    ],
)
async def test_bad_arguments_are_refused(
    client: AsyncVelstack, fake: FakeVelstack, kwargs: dict[str, object], match: str
) -> None:
    arguments: dict[str, object] = {"message": "Hi", "sender": "VELSTACK", **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        await client.sms.send_bulk(numbers(2), **arguments)  # type: ignore[arg-type]
    assert fake.request_count == 0


async def test_a_single_string_is_not_a_list_of_recipients(client: AsyncVelstack) -> None:
    with pytest.raises(InvalidInputError, match="iterable"):
        await client.sms.send_bulk("0205550368", message="Hi", sender="VELSTACK")
    with pytest.raises(InvalidInputError, match="iterable"):
        await client.sms.send_bulk(5, message="Hi", sender="VELSTACK")  # type: ignore[arg-type]


async def test_on_result_sync_and_async(client: AsyncVelstack) -> None:
    seen: list[int] = []

    async def collect(result: BulkResult) -> None:
        seen.append(result.index)

    report = await client.sms.send_bulk(
        [*numbers(50), "bad"], message="Hi", sender="VELSTACK", on_result=collect
    )
    assert sorted(seen) == list(range(51))
    assert report.total == 51


@pytest.mark.parametrize("batch_size", [1, 10])
async def test_on_result_error_stops_the_campaign_and_is_raised(
    client: AsyncVelstack, fake: FakeVelstack, batch_size: int
) -> None:
    def explode(result: BulkResult) -> None:
        raise LookupError("progress bar broke")

    with pytest.raises(LookupError, match="progress bar broke"):
        await client.sms.send_bulk(
            numbers(1000),
            message="Hi",
            sender="VELSTACK",
            concurrency=4,
            on_result=explode,
            batch_size=batch_size,
        )
    # In-flight sends finished; nothing new was started after the error.
    assert 1 <= fake.message_count <= (4 + 4) * batch_size


async def test_async_iterable_input(client: AsyncVelstack, fake: FakeVelstack) -> None:
    async def rows() -> AsyncIterator[BulkMessage]:
        for i, number in enumerate(numbers(120)):
            yield BulkMessage(number, fields={"n": i})

    report = await client.sms.send_bulk(rows(), message="#{n}", sender="VELSTACK")
    assert report.sent == 120
    assert {m.text for m in fake.messages} == {f"#{i}" for i in range(120)}


async def test_input_is_read_lazily(client: AsyncVelstack) -> None:
    taken = 0
    sent_when_taken: list[int] = []

    def generate() -> Iterator[str]:
        nonlocal taken
        for number in numbers(2000):
            taken += 1
            sent_when_taken.append(len(seen))
            yield number

    seen: list[BulkResult] = []
    await client.sms.send_bulk(
        generate(), message="Hi", sender="VELSTACK", concurrency=8, on_result=seen.append
    )
    assert taken == 2000
    # Never more than a small batch read ahead of what has been sent.
    assert max(i - done for i, done in enumerate(sent_when_taken)) <= 200


async def test_input_error_is_raised_after_in_flight_sends(
    client: AsyncVelstack, fake: FakeVelstack
) -> None:
    def generate() -> Iterator[str]:
        yield from numbers(100)
        raise OSError("the CSV file went away")

    with pytest.raises(OSError, match="went away"):
        await client.sms.send_bulk(generate(), message="Hi", sender="VELSTACK", concurrency=4)
    assert fake.message_count <= 100
    fake.assert_no_duplicates()


async def test_report_keeps_at_most_keep_unsent(client: AsyncVelstack) -> None:
    report = await client.sms.send_bulk(
        ["bad"] * 30 + numbers(5), message="Hi", sender="VELSTACK", keep_unsent=10
    )
    assert report.skipped == 30
    assert len(report.unsent) == 10
    assert report.unsent_omitted == 20
    assert report.count("skipped") == 30
    assert report.count(BulkStatus.SENT) == 5


async def test_results_and_reprs_mask_numbers(client: AsyncVelstack) -> None:
    report = await client.sms.send_bulk(
        ["0205550368", "0205550368"], message="secret text", sender="VELSTACK"
    )
    text = repr(report.unsent) + repr(BulkMessage("0205550368", message="secret text"))
    assert "0205550368" not in text
    assert "secret" not in text


async def test_workers_start_only_as_there_is_work(
    client: AsyncVelstack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from velstack_async._bulk.engine import Engine

    started: list[int] = []
    spawn = Engine._spawn

    def counting(self: Engine, *args: Any) -> None:
        spawn(self, *args)
        started.append(1)

    monkeypatch.setattr(Engine, "_spawn", counting)
    report = await client.sms.send_bulk(
        ["0205550368", "bad"], message="Hi", sender="VELSTACK", concurrency=10_000
    )
    assert (report.sent, report.skipped) == (1, 1)
    assert len(started) <= 2
