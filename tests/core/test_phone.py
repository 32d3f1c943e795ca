"""Phone normalisation: the fast path for Ghanaian national numbers agrees with libphonenumber."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from velstack_async import _phone
from velstack_async._phone import InvalidNumber, normalize, to_api_format


def library_answer(number: str, region: str = "GH") -> str | None:
    """What plain phonenumbers says: the E.164 form, or None when invalid."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def our_answer(number: str) -> str | None:
    normalize.cache_clear()
    try:
        return normalize(number, "GH")
    except InvalidNumber:
        return None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda d: "0" + d[1:]))
def test_national_fast_path_matches_the_library(number: str) -> None:
    assert our_answer(number) == library_answer(number)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.sampled_from(["GH", "NG", "GB", "US"]),
)
def test_ghanaian_e164_fast_path_matches_the_library_in_any_region(
    digits: str, region: str
) -> None:
    number = "+233" + digits
    normalize.cache_clear()
    try:
        ours: str | None = normalize(number, region)
    except InvalidNumber:
        ours = None
    assert ours == library_answer(number, region)


# Numbers inside Ghana's ranges ([235] and 800 prefixes): a mix of valid and invalid ones.
_IN_RANGE = st.builds(
    lambda prefix, rest: "0" + prefix + rest,
    st.sampled_from(["2", "3", "5", "80", "800"]),
    st.text(alphabet="0123456789", min_size=6, max_size=9),
)


@settings(max_examples=1000, deadline=None)
@given(_IN_RANGE)
def test_numbers_in_ghanaian_ranges_match_the_library(number: str) -> None:
    assert our_answer(number) == library_answer(number)


def test_every_mobile_and_fixed_prefix_matches_the_library() -> None:
    """Each 5-digit national prefix (02000 to 05999), with two endings each."""
    for prefix in range(2000, 6000):
        for ending in ("00000", "98765"):
            number = f"0{prefix}{ending}"
            assert our_answer(number) == library_answer(number), number


@pytest.mark.parametrize(
    "number",
    [
        "0205550368",  # valid mobile
        "0302123456",  # valid fixed line (Accra)
        "0012345678",  # "00" is the international prefix, not a national number
        "0105550368",  # no such range
        "0999999999",
        "020555036",  # too short: not the fast path
        "02055503680",  # too long
    ],
)
def test_edge_cases_match_the_library(number: str) -> None:
    assert our_answer(number) == library_answer(number)


def test_other_formats_and_regions() -> None:
    assert normalize("+233205550368") == "+233205550368"
    assert normalize("233 20 555 0368") == "+233205550368"
    assert normalize("07911 123456", "GB") == "+447911123456"
    assert to_api_format("+233205550368") == "0205550368"
    assert to_api_format("+447911123456") == "447911123456"
    with pytest.raises(InvalidNumber):
        normalize("0205550368", "GB")


def test_an_echoed_number_is_read_in_every_way_it_may_be_written() -> None:
    assert _phone.echoed("0205550368") == ["+233205550368"]
    assert _phone.echoed(" +233205550368 ") == ["+233205550368"]
    # International digits without "+": invalid as a Ghanaian national number.
    assert _phone.echoed("2348031234567") == ["+2348031234567"]
    assert _phone.echoed("447911123456") == ["+447911123456"]
    assert _phone.echoed("233205550368") == ["+233205550368"]  # once, however read
    assert _phone.echoed("not a number") == []
    assert _phone.echoed("0000") == []
