"""The campaign journal: durable order of records, resume, and refusing the wrong file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncGenerator
from contextlib import closing
from pathlib import Path
from typing import cast

import httpx
import pytest

from velstack_async import AsyncVelstack, BulkResult, BulkStatus, InvalidInputError, JournalError
from velstack_async._bulk.journal import Journal, Row, Verdict
from velstack_async.testing import FakeVelstack

from .helpers import Probe, e164, numbers

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instant_retries")]


async def test_rerun_skips_what_was_sent(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path
) -> None:
    journal = tmp_path / "j"
    first = await client.sms.send_bulk(
        numbers(100), message="Hi", sender="VELSTACK", journal=journal
    )
    second = await client.sms.send_bulk(
        numbers(150), message="Hi", sender="VELSTACK", journal=str(journal)
    )
    assert first.sent == 100
    assert (second.sent, second.skipped) == (50, 100)
    assert fake.message_count == 150
    fake.assert_no_duplicates()


@pytest.mark.parametrize("batch_size", [1, 100])
async def test_refused_and_unknown_recipients_on_rerun(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path, batch_size: int
) -> None:
    journal = tmp_path / "j"
    fake.set_balance(30)
    fake.faults.drop_rate = 0.2
    first = await client.sms.send_bulk(
        numbers(100),
        message="Hi",
        sender="VELSTACK",
        journal=journal,
        concurrency=4,
        batch_size=batch_size,
    )
    assert first.stopped_reason is not None
    assert first.unknown > 0
    unknown = {r.recipient for r in first.unsent if r.status == BulkStatus.UNKNOWN}

    fake.faults.clear()
    fake.set_balance(1000)
    second = await client.sms.send_bulk(
        numbers(100),
        message="Hi",
        sender="VELSTACK",
        journal=journal,
        concurrency=4,
        batch_size=batch_size,
    )
    # Refused (403) and never-attempted recipients are sent now; unknown ones are not.
    assert {r.recipient for r in second.unsent if r.status == BulkStatus.UNKNOWN} == unknown
    assert second.sent == 100 - first.sent - first.unknown
    assert second.skipped == first.sent
    delivered = {m.recipient for m in fake.messages}
    # Dropped sends that Velstack processed were delivered, and not resent. (A batch's
    # lost answer may also have been a refusal: those recipients are unknown, unsent.)
    unknown_delivered = {u for u in unknown if e164(u) in delivered}
    assert fake.message_count == first.sent + second.sent + len(unknown_delivered)
    if batch_size == 1:
        assert fake.message_count == 100
    fake.assert_no_duplicates()

    third = await client.sms.send_bulk(
        numbers(100), message="Hi", sender="VELSTACK", journal=journal, resend_unknown=True
    )
    assert third.sent == len(unknown)
    # Resent on purpose: the unknown ones that had been delivered are now duplicates.
    assert {d.recipient for d in fake.duplicates()} == set(map(e164, unknown_delivered))


async def test_another_campaign_is_refused(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path
) -> None:
    journal = tmp_path / "j"
    await client.sms.send_bulk(numbers(5), message="Hi {name}", sender="VELSTACK", journal=journal)
    requests = fake.request_count
    for message, sender in (("Hello {name}", "VELSTACK"), ("Hi {name}", "OTHER")):
        with pytest.raises(InvalidInputError, match="belongs to another campaign"):
            await client.sms.send_bulk(numbers(5), message=message, sender=sender, journal=journal)
    assert fake.request_count == requests


async def test_a_file_that_is_not_a_journal_is_refused_and_untouched(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path
) -> None:
    text = tmp_path / "numbers.csv"
    text.write_text("0205550368\n" * 200)
    other = tmp_path / "app.db"
    with closing(sqlite3.connect(other)) as conn:  # `with connect()` alone never closes it
        conn.execute("CREATE TABLE users (id INTEGER)")
        conn.commit()
    before = (text.read_bytes(), other.read_bytes())
    for path in (text, other, tmp_path / "missing-dir" / "j"):
        with pytest.raises(InvalidInputError, match="journal"):
            await client.sms.send_bulk(numbers(5), message="Hi", sender="VELSTACK", journal=path)
    assert (text.read_bytes(), other.read_bytes()) == before
    assert fake.request_count == 0


async def test_a_journal_in_use_is_refused(client: AsyncVelstack, tmp_path: Path) -> None:
    journal = tmp_path / "j"
    stream = client.sms.stream_bulk(numbers(600), message="Hi", sender="VELSTACK", journal=journal)
    await stream.__anext__()  # the first campaign is open, between two bursts
    try:
        with pytest.raises(InvalidInputError, match="in use"):
            await client.sms.send_bulk(numbers(5), message="Hi", sender="VELSTACK", journal=journal)
    finally:
        await cast(AsyncGenerator[BulkResult, None], stream).aclose()
    report = await client.sms.send_bulk(
        numbers(5), message="Hi", sender="VELSTACK", journal=journal
    )
    assert report.total == 5


@pytest.mark.parametrize("batch_size", [1, 100])
async def test_each_send_is_durable_before_its_request_and_its_result(
    fake: FakeVelstack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    """What makes SIGKILL safe: attempting committed < request < outcome committed < report.

    A batch's recipients are all marked attempting in one commit, before its request.
    """
    events: list[tuple[str, int, str]] = []
    commits: dict[str, int] = {}  # the commit that marked each number attempting
    write = Journal._write

    def logged_write(self: Journal, batch: list[tuple[int, str | None, int]]) -> None:
        write(self, batch)
        serial = len(events)
        events.extend(("commit", state, str(key)) for state, _, key in batch)
        commits.update((str(key), serial) for state, _, key in batch if state == Row.ATTEMPTING)

    monkeypatch.setattr(Journal, "_write", logged_write)
    requests: list[list[str]] = []

    class Spy(Probe):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            field = request.content.decode().split('"recipient":"')[1].split('"')[0]
            keys = ["233" + number[1:] for number in field.split(",")]
            requests.append(keys)
            events.extend(("request", 0, key) for key in keys)
            return await super().handle_async_request(request)

    def reported(result: BulkResult) -> None:
        events.append(("result", 0, e164(result.recipient)[1:]))

    async with AsyncVelstack(api_key=fake.api_key, transport=Spy(fake.async_transport())) as c:
        report = await c.sms.send_bulk(
            numbers(200),
            message="Hi",
            sender="VELSTACK",
            journal=tmp_path / "j",
            on_result=reported,
            batch_size=batch_size,
        )
    assert report.sent == 200
    assert report.requests == len(requests) == 200 // batch_size
    position = {event: i for i, event in enumerate(events)}
    for number in numbers(200):
        key = e164(number)[1:]
        attempting = position[("commit", Row.ATTEMPTING, key)]
        request = position[("request", 0, key)]
        sent = position[("commit", Row.SENT, key)]
        result = position[("result", 0, key)]
        assert attempting < request < sent < result
    for keys in requests:
        assert len({commits[key] for key in keys}) == 1


async def test_a_failing_journal_stops_before_sending(
    client: AsyncVelstack, fake: FakeVelstack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Journal, batch: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Journal, "_write", broken)
    with pytest.raises(JournalError, match="disk I/O error"):
        await client.sms.send_bulk(
            numbers(50), message="Hi", sender="VELSTACK", journal=tmp_path / "j"
        )
    assert fake.request_count == 0


async def test_attempting_rows_are_unknown_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = await Journal.open(path, "c", resend_unknown=False)
    assert journal.classify([1, 2, 3, 3]) == [Verdict.NEW] * 3 + [Verdict.DUPLICATE]
    await journal.record_many([(Row.ATTEMPTING, None, 1)])
    await journal.record_many([(Row.ATTEMPTING, None, 2)])
    await journal.record_many([(Row.SENT, "msg-2", 2)])
    journal._conn.close()  # a crash: no orderly close (and the lock is released)

    again = await Journal.open(path, "c", resend_unknown=False)
    assert again.classify([1, 2, 3, 4]) == [
        Verdict.ALREADY_UNKNOWN,  # attempting, no outcome: may have been sent
        Verdict.ALREADY_SENT,
        Verdict.NEW,  # queued only: never attempted
        Verdict.NEW,
    ]
    again.close()
    resend = await Journal.open(path, "c", resend_unknown=True)
    assert resend.classify([1, 2]) == [Verdict.NEW, Verdict.ALREADY_SENT]
    resend.close()


@pytest.mark.parametrize("returning", [True, False], ids=["insert-returning", "row-by-row"])
async def test_classify_gives_the_same_verdicts_with_or_without_returning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """SQLite before 3.35 has no ``RETURNING``: the row-by-row insert decides alike."""
    monkeypatch.setattr("velstack_async._bulk.journal._RETURNING", returning)
    temporary = Journal.temporary()
    keys = [5, 1, 5, 2, 1, 7, 8, 9, 7]
    assert temporary.classify(keys) == [
        Verdict.NEW, Verdict.NEW, Verdict.DUPLICATE, Verdict.NEW, Verdict.DUPLICATE,
        Verdict.NEW, Verdict.NEW, Verdict.NEW, Verdict.DUPLICATE,
    ]  # fmt: skip
    assert temporary.classify([9, 10]) == [Verdict.DUPLICATE, Verdict.NEW]
    temporary.close()

    path = tmp_path / "j"
    journal = await Journal.open(path, "c", resend_unknown=False)
    assert journal.classify([1, 2, 2]) == [Verdict.NEW, Verdict.NEW, Verdict.DUPLICATE]
    await journal.record_many([(Row.SENT, "m", 1)])
    journal.close()
    again = await Journal.open(path, "c", resend_unknown=False)
    # An earlier run's row, twice in this batch: its verdict once, then a duplicate.
    assert again.classify([1, 3, 1, 2, 3]) == [
        Verdict.ALREADY_SENT, Verdict.NEW, Verdict.DUPLICATE, Verdict.NEW, Verdict.DUPLICATE,
    ]  # fmt: skip
    again.close()
