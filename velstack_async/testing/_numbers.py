"""The fake's own phone number checks, made with `phonenumbers` directly.

Deliberately independent of the SDK's ``velstack_async._phone``: a test that
sends through the SDK and checks what reached the fake must be able to catch a
normalisation bug in the SDK, which it could not if both used the same code.

The fake accepts what the Velstack service documents: Ghanaian numbers, in
national format (``0205550368``, spaces and dashes allowed) or international
(``+233205550368``, ``233205550368``, ``00233205550368``). A valid number of
another country is refused, as is anything libphonenumber does not consider a
valid number.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import phonenumbers

__all__ = ["EchoFormat", "ECHO_FORMATS", "echo", "ghana_e164"]

_COUNTRY_CODE = 233
# Ghana's national format exactly (trunk prefix 0, nine digits): the shape almost every
# request uses. `phonenumbers.parse` would strip the 0 and build this very PhoneNumber,
# so building it directly gives the same answer at a quarter of the cost.
_NATIONAL = re.compile(r"0([1-9][0-9]{8})")

#: How the fake writes accepted numbers in a send's ``recipients``: as the request
#: gave them (what the service documents), Ghanaian national (``0205550368``),
#: international digits (``233205550368``) or E.164 (``+233205550368``).
EchoFormat = Literal["as_sent", "national", "international", "e164"]
ECHO_FORMATS: tuple[EchoFormat, ...] = ("as_sent", "national", "international", "e164")


@functools.lru_cache(maxsize=65536)
def ghana_e164(raw: str) -> str | None:
    """E.164 for a valid Ghanaian number in national or international format, else None."""
    national = _NATIONAL.fullmatch(raw)
    if national is not None:
        digits = national.group(1)
        number = phonenumbers.PhoneNumber(country_code=_COUNTRY_CODE, national_number=int(digits))
        return "+233" + digits if phonenumbers.is_valid_number(number) else None
    try:
        number = phonenumbers.parse(raw, "GH")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != _COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def echo(raw: str, e164: str, style: EchoFormat) -> str:
    """An accepted number (``raw`` as sent, ``e164`` Ghanaian) written in ``style``."""
    if style == "as_sent":
        return raw
    if style == "e164":
        return e164
    if style == "international":
        return e164[1:]
    return "0" + e164[1 + len(str(_COUNTRY_CODE)) :]
