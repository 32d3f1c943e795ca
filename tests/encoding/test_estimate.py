"""estimate(): figures before and after smart encoding, and the characters forcing UCS-2."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)
from __future__ import annotations

import pytest

from velstack_async import AsyncVelstack, Estimate, InvalidInputError, Velstack
from velstack_async._bulk.estimate import MAX_LISTED, MessageCost
from velstack_async.testing import FakeVelstack

# 159 UCS-2 units (3 segments); smart-encoded 1 + 157 + 3 = 161 septets (2 segments).
TEMPLATE = "’" + "a" * 157 + "…"


@pytest.fixture
def sms() -> AsyncVelstack:
    return AsyncVelstack(api_key="vs_test_key")


def test_before_and_after(sms: AsyncVelstack) -> None:
    off = sms.sms.estimate(TEMPLATE, 1000)
    on = sms.sms.estimate(TEMPLATE, 1000, smart_encoding=True)
    assert off.before == on.before == MessageCost("UCS-2", 159, 3, 3000)
    assert off.after == on.after == MessageCost("GSM-7", 161, 2, 2000)
    # The main figures are those of the text that is sent.
    assert (off.encoding, off.segments, off.credits) == ("UCS-2", 3, 3000)
    assert (on.encoding, on.segments, on.credits) == ("GSM-7", 2, 2000)
    assert off.saved_credits == on.saved_credits == 1000
    assert (off.smart_encoding, on.smart_encoding) == (False, True)


def test_names_the_characters_forcing_ucs2_with_positions(sms: AsyncVelstack) -> None:
    result = sms.sms.estimate("It’s 5 – 6 pm 🙂")
    assert [(c.char, c.position, c.replacement) for c in result.ucs2_characters] == [
        ("’", 3, "'"),
        ("–", 8, "-"),
        ("🙂", 15, None),
    ]
    # The emoji has no GSM-7 form: smart encoding changes nothing and saves nothing.
    assert result.after == result.before
    assert result.saved_credits == 0


def test_a_gsm7_message_lists_nothing(sms: AsyncVelstack) -> None:
    result = sms.sms.estimate("Plain text", 5, smart_encoding=True)
    assert result == Estimate("GSM-7", 10, 1, 5, 5)
    assert result.ucs2_characters == ()
    assert result.before == result.after


def test_the_list_is_bounded(sms: AsyncVelstack) -> None:
    assert len(sms.sms.estimate("’" * 1000).ucs2_characters) == MAX_LISTED


def test_bad_flag(sms: AsyncVelstack) -> None:
    with pytest.raises(InvalidInputError, match="smart_encoding"):
        sms.sms.estimate("Hi", smart_encoding="yes")  # type: ignore[arg-type]


def test_sync_twin() -> None:
    fake = FakeVelstack()
    with Velstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        assert client.sms.estimate(TEMPLATE, 2, smart_encoding=True).credits == 4
