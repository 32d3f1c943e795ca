"""Argument checks that run before any request: bad input never costs a request."""

from __future__ import annotations

import math
import re

from ._exceptions import InvalidInputError
from ._phone import DEFAULT_REGION, InvalidNumber, normalize, to_api_format
from ._redact import mask_phone

MAX_SENDER_LENGTH = 11
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")


def text(name: str, value: object) -> str:
    """A required, non-blank string."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError(f"{name} must not be empty")
    return value


def count(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """An int (not a bool) from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(f"{name} must be an int >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise InvalidInputError(f"{name} must be at most {maximum:,}, got {value!r}")
    return value


def positive(name: str, value: object, unit: str) -> float:
    """A finite number above 0 (not a bool), as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidInputError(f"{name} must be a positive number of {unit}")
    return float(value)


def flag(name: str, value: object) -> bool:
    """True or False, nothing else (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, got {value!r}")
    return value


def optional_text(name: str, value: object) -> str | None:
    return None if value is None else text(name, value)


def resource_id(name: str, value: object) -> str:
    """An id that goes into a URL path: letters, digits, '-' and '_' only (no '/', no '..')."""
    value = text(name, value)
    if len(value) > 128 or not _ID.fullmatch(value):
        raise InvalidInputError(f"{name} must be letters, digits, '-' or '_' (a Velstack id)")
    return value


def sender(value: object, name: str = "sender") -> str:
    """An alphanumeric sender ID of at most 11 characters (the GSM limit)."""
    value = text(name, value)
    if len(value) > MAX_SENDER_LENGTH:
        raise InvalidInputError(
            f"{name} must be at most {MAX_SENDER_LENGTH} characters, got {len(value)}"
        )
    if not (value.isascii() and value.isalnum()):
        raise InvalidInputError(f"{name} must contain only ASCII letters and digits")
    return value


def region(value: object, name: str = "default_region") -> str:
    """A region code libphonenumber knows, upper-cased (``"gh"`` -> ``"GH"``)."""
    import phonenumbers  # loaded at first use (light `import velstack_async`)

    if not isinstance(value, str) or value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(f"{name} must be a two-letter region code such as 'GH'")
    return value.upper()


def phone(name: str, value: object, region: str = DEFAULT_REGION) -> str:
    """A valid phone number, returned in the format the API documents."""
    return _number(name, text(name, value), region, shown=False)


def _number(name: str, value: str, region: str, *, shown: bool) -> str:
    """``value`` in API format; a bad one is refused under ``name`` (``shown``: masked too)."""
    try:
        return to_api_format(normalize(value.strip(), region))
    except InvalidNumber as exc:
        number = f"{mask_phone(value.strip())} is " if shown else ""
        raise InvalidInputError(f"{name}: {number}{exc}") from None


def recipients(value: object, region: str = DEFAULT_REGION) -> str:
    """One number, or several (separated by commas, or a list or tuple), each checked and
    normalised: the API's comma list. A bad number is named by its position, masked."""
    if isinstance(value, list | tuple):
        if not value:
            raise InvalidInputError("recipient must not be an empty list")
        parts: list[object] = list(value)
    else:
        parts = list(text("recipient", value).split(","))
    if len(parts) == 1:
        return phone("recipient", parts[0], region)
    names = [f"recipient {position} of {len(parts)}" for position in range(1, len(parts) + 1)]
    return ",".join(
        _number(name, text(name, part), region, shown=True)
        for name, part in zip(names, parts, strict=True)
    )


def email(value: object) -> str | None:
    value = optional_text("email_address", value)
    if value is not None and ("@" not in value or any(c.isspace() for c in value.strip())):
        raise InvalidInputError("email_address must be an email address")
    return value
