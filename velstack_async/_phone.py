"""Phone number normalisation with Google's libphonenumber (the `phonenumbers` package)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "GH"

# The shape Velstack documents (a Ghanaian national number: trunk prefix 0, then a
# 9-digit national significant number that does not start with 0; "00" is the
# international prefix). For it, `phonenumbers.parse` would only strip the "0": the
# number is built directly and validated by libphonenumber, which saves most of the
# per-number cost in bulk campaigns.
_GH_NATIONAL = re.compile(r"0([1-9][0-9]{8})")


class InvalidNumber(ValueError):
    """A number that libphonenumber cannot parse or does not consider valid."""


@lru_cache(maxsize=4096)
def normalize(number: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``number`` (``+233205550368``), read in ``region`` when national.

    Raises `InvalidNumber` (with a reason that never repeats the number) when it
    is not a valid, dialable number.
    """
    if region == "GH" and (national := _GH_NATIONAL.fullmatch(number)):
        digits = national.group(1)
        parsed = phonenumbers.PhoneNumber(country_code=233, national_number=int(digits))
        if not phonenumbers.is_valid_number(parsed):
            raise InvalidNumber(f"not a valid phone number for region {region}")
        return "+233" + digits
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"not a phone number ({_reason(exc)})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"not a valid phone number for region {region}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def to_api_format(e164: str) -> str:
    """The format Velstack documents: Ghanaian national digits (``0205550368``).

    Numbers outside Ghana are sent as international digits without ``+``
    (``447700900123``), the other format the service accepts.
    """
    if e164.startswith("+233"):
        return "0" + e164[4:]
    return e164.lstrip("+")


def _reason(exc: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(exc.error_type, "unparseable")
