"""Phone number normalisation with Google's libphonenumber (the `phonenumbers` package)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "GH"


class InvalidNumber(ValueError):
    """A number that libphonenumber cannot parse or does not consider valid."""


@lru_cache(maxsize=4096)
def normalize(number: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``number`` (``+233205550368``), read in ``region`` when national.

    Raises `InvalidNumber` (with a reason that never repeats the number) when it
    is not a valid, dialable number.
    """
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
