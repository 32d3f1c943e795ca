"""The message log, duplicate detection, seeding helpers, determinism, thread safety."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timezone

import httpx
import pytest

from velstack_async.testing import Duplicate, FakeVelstack

SendQuick = Callable[..., httpx.Response]


def test_messages_are_a_snapshot(send_quick: SendQuick, fake: FakeVelstack) -> None:
    send_quick(recipient="+233205550368", message="one", sender="shop", title="T")
    snapshot = fake.messages
    send_quick(message="two")
    assert len(snapshot) == 1
    [first, second] = fake.messages
    assert (first.recipient, first.text, first.sender, first.title) == (
        "+233205550368",
        "one",
        "SHOP",
        "T",
    )
    assert first.api_key == "test-key"
    assert first.time.tzinfo is timezone.utc
    assert first.time <= second.time


def test_duplicates_are_found_across_number_formats(
    send_quick: SendQuick, fake: FakeVelstack
) -> None:
    send_quick(recipient="0205550368", message="Your code is 1234")
    send_quick(recipient="233205550368", message="Your code is 1234")
    send_quick(recipient="+233205550368,0248297302", message="Your code is 1234")
    send_quick(recipient="0205550368", message="another text")
    assert fake.duplicates() == [Duplicate("+233205550368", "Your code is 1234", 3)]
    with pytest.raises(AssertionError) as excinfo:
        fake.assert_no_duplicates()
    text = str(excinfo.value)
    assert "+233*****0368 received 'Your code is 1234' 3 times" in text
    assert "205550368" not in text


def test_no_duplicates(send_quick: SendQuick, fake: FakeVelstack) -> None:
    send_quick(recipient="0205550368,0248297302")
    send_quick(message="other")
    assert fake.duplicates() == []
    fake.assert_no_duplicates()


def test_clear_messages(send_quick: SendQuick, fake: FakeVelstack) -> None:
    send_quick()
    send_quick()
    fake.clear_messages()
    assert (fake.messages, fake.message_count, fake.duplicates()) == ([], 0, [])
    assert fake.balance() == 998


def test_without_recording() -> None:
    fake = FakeVelstack(record_messages=False)
    body = json.dumps(
        {"sender": "V", "recipient": "0205550368,0248297302", "message": "hi"}
    ).encode()
    headers = {"authorization": f"Bearer {fake.api_key}"}
    for _ in range(3):
        assert fake.handle("POST", "/api/quick/sms", headers, body).status == 200
    assert fake.messages == []
    assert fake.message_count == 6
    assert fake.duplicates() == [
        Duplicate("+233205550368", "hi", 3),
        Duplicate("+233248297302", "hi", 3),
    ]


def test_demo_data() -> None:
    fake = FakeVelstack.demo()
    assert [(g.name, g.members) for g in fake.groups()] == [("V BANK", 2), ("My Group", 0)]
    assert [c.phone_number for c in fake.contacts()] == ["0205550368", "0248297302"]
    assert [(s.id, s.status) for s in fake.sender_ids()] == [("VELSTACK", "pending")]
    assert fake.contacts(fake.groups()[1].id) == []


def test_seeding_helpers_refuse_bad_input(fake: FakeVelstack) -> None:
    with pytest.raises(ValueError, match="phone number"):
        fake.add_contact(fake.groups()[0].id, "12345")
    with pytest.raises(ValueError, match="group id is invalid"):
        fake.add_contact("missing", "0205550368")
    with pytest.raises(ValueError, match="Unauthenticated"):
        fake.add_group("x", api_key="nobody")


def test_concurrent_sends_keep_the_books(fake: FakeVelstack) -> None:
    body = json.dumps({"sender": "V", "recipient": "0205550368", "message": "hi"}).encode()
    headers = {"authorization": f"Bearer {fake.api_key}"}

    def worker() -> None:
        for _ in range(50):
            fake.handle("POST", "/api/quick/sms", headers, body)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.message_count == 400
    assert fake.balance() == 600
    assert len({m.message_id for m in fake.messages}) == 400
    assert fake.duplicates() == [Duplicate("+233205550368", "hi", 400)]


def test_public_names_resolve() -> None:
    import velstack_async.testing as testing

    for name in testing.__all__:
        assert getattr(testing, name) is not None
    assert set(testing.__all__) <= set(dir(testing))
    with pytest.raises(AttributeError):
        _ = testing.NotAThing  # type: ignore[attr-defined]
