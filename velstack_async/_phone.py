"""Phone number normalisation with Google's libphonenumber (the `phonenumbers` package)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

# libphonenumber's metadata loads at the first number checked, not at `import velstack_async`.
if TYPE_CHECKING:
    import phonenumbers

DEFAULT_REGION = "GH"

# The shape Velstack documents (a Ghanaian national number: trunk prefix 0, then a
# 9-digit national significant number that does not start with 0; "00" is the
# international prefix). For it, `phonenumbers.parse` would only strip the "0": the
# number is built directly and validated by libphonenumber, which saves most of the
# per-number cost in bulk campaigns.
_GH_NATIONAL = re.compile(r"0([1-9][0-9]{8})")
#: The same number in E.164 (``+233`` and the 9 digits), in any region.
_GH_E164 = re.compile(r"\+233([1-9][0-9]{8})")
#: The number types libphonenumber knows (`_number_type_helper`). A number is valid when
#: any matches, so the order only decides the cost: mobile first (an SMS campaign's numbers).
_TYPES = (
    "mobile", "fixed_line", "premium_rate", "toll_free", "shared_cost", "voip",
    "personal_number", "pager", "uan", "voicemail",
)  # fmt: skip


class InvalidNumber(ValueError):
    """A number that libphonenumber cannot parse or does not consider valid."""


@lru_cache(maxsize=4096)
def normalize(number: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``number`` (``+233205550368``), read in ``region`` when national.

    Raises `InvalidNumber` (with a reason that never repeats the number) when it
    is not a valid, dialable number.
    """
    ghana = _GH_E164.fullmatch(number)
    if ghana is None and region == "GH":
        ghana = _GH_NATIONAL.fullmatch(number)
    if ghana is not None:
        digits = ghana.group(1)
        if not _validator("GH")(digits):
            raise InvalidNumber(f"not a valid phone number for region {region}")
        return "+233" + digits
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"not a phone number ({_reason(exc)})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"not a valid phone number for region {region}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@cache
def _validator(region: str) -> Callable[[str], bool]:
    """``is_valid_number`` for a national significant number of ``region``, precompiled.

    The same test as libphonenumber's, on libphonenumber's own metadata: the
    number fits the region's general description and at least one number type
    (each a set of possible lengths and a pattern that must match it all).
    Compiling the patterns once makes it a few regex calls per number.
    """
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None, region
    general = _desc_test(metadata.general_desc)
    types = [t for t in (_desc_test(getattr(metadata, name)) for name in _TYPES) if t is not None]
    if general is None:  # a region without numbers: nothing is valid
        return lambda nsn: False

    def valid(nsn: str) -> bool:
        if not general(nsn):
            return False
        for matches in types:  # noqa: SIM110 (a loop: any() over a generator costs more)
            if matches(nsn):
                return True
        return False

    return valid


def _desc_test(desc: phonenumbers.PhoneNumberDesc | None) -> Callable[[str], bool] | None:
    """libphonenumber's ``_is_number_matching_desc`` for one description; None: never matches."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = frozenset(desc.possible_length or ())
    match = re.compile(desc.national_number_pattern).match

    def test(nsn: str) -> bool:
        if lengths and len(nsn) not in lengths:
            return False
        found = match(nsn)  # a match of the whole number, as libphonenumber's `_match`
        return found is not None and found.end() == len(nsn)

    return test


def echoed(number: str, region: str = DEFAULT_REGION) -> list[str]:
    """The E.164 numbers an answer's echoed ``number`` may stand for (none if invalid).

    Read in ``region``; and digits without a trunk ``0`` also as international
    digits, the API format of a number outside Ghana (``2348031234567`` is
    ``+2348031234567``), which read as a Ghanaian national number is invalid.
    """
    text = number.strip()
    readings = [text]
    if text.isdigit() and not text.startswith("0"):
        readings.append("+" + text)
    found: list[str] = []
    for reading in readings:
        try:
            e164 = normalize(reading, region)
        except InvalidNumber:
            continue
        if e164 not in found:
            found.append(e164)
    return found


def to_api_format(e164: str) -> str:
    """The format Velstack documents: Ghanaian national digits (``0205550368``).

    Numbers outside Ghana are sent as international digits without ``+``
    (``447700900123``), the other format the service accepts.
    """
    if e164.startswith("+233"):
        return "0" + e164[4:]
    return e164.lstrip("+")


def _reason(exc: phonenumbers.NumberParseException) -> str:
    import phonenumbers

    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(exc.error_type, "unparseable")
