"""The fake's own number checks: phonenumbers directly, never the SDK's normalisation."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import httpx
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import velstack_async.testing as testing
from velstack_async.testing import FakeVelstack
from velstack_async.testing._numbers import echo, ghana_e164

SendQuick = Callable[..., httpx.Response]


def reference(raw: str) -> str | None:
    """What libphonenumber's public API says, the long way (no shortcut, no cache)."""
    try:
        number = phonenumbers.parse(raw, "GH")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 233 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize(
    "raw",
    [
        "0205550368",
        "020 555 0368",
        "020-555-0368",
        "(020) 555 0368",
        "+233205550368",
        "233205550368",
        "00233205550368",
        "+233 20 555 0368",
    ],
)
def test_ghanaian_numbers_in_every_documented_format(
    raw: str, send_quick: SendQuick, fake: FakeVelstack
) -> None:
    response = send_quick(recipient=raw)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["summary"]["recipients"] == [raw]
    assert fake.messages[-1].recipient == "+233205550368"


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "0305550368",  # the right shape, but no such Ghanaian range
        "020555036",  # a digit short
        "02055503688",  # a digit long
        "+4915112345678",  # valid, German
        "+14155552671",  # valid, American
        "not a number",
        "0" * 40,
    ],
)
def test_refused_numbers(raw: str, send_quick: SendQuick, fake: FakeVelstack) -> None:
    response = send_quick(recipient=raw)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["recipient"]
    assert fake.message_count == 0
    assert ghana_e164(raw) is None


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True),  # the shortcut's shape
        st.from_regex(r"(\+|00)?233[0-9]{8,10}", fullmatch=True),
        st.from_regex(r"[0+(][0-9 ()-]{6,16}", fullmatch=True),
    )
)
def test_the_shortcut_agrees_with_libphonenumber(raw: str) -> None:
    assert ghana_e164(raw) == reference(raw)


def test_the_fake_never_uses_the_sdks_normalisation() -> None:
    """So that an SDK normalisation bug can show up in a test against the fake."""
    for path in Path(testing.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = {node.module or "", *(a.name for a in node.names)}
                assert not any("_phone" in name for name in names), path.name
            elif isinstance(node, ast.Import):
                assert not any("_phone" in a.name for a in node.names), path.name


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("as_sent", "020 555 0368"),
        ("national", "0205550368"),
        ("international", "233205550368"),
        ("e164", "+233205550368"),
    ],
)
def test_echo_formats(style: testing.EchoFormat, expected: str) -> None:
    assert echo("020 555 0368", "+233205550368", style) == expected
