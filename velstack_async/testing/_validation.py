"""Request bodies and Laravel-like field validation."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ._numbers import ghana_e164
from ._responses import ApiError, validation_error

__all__ = ["Validator", "parse_body"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
#: Longer than any phone number in any format: refused without parsing.
_MAX_PHONE_LEN = 32


def parse_body(body: bytes, content_type: str | None) -> Mapping[str, Any]:
    """A JSON object (or a form) from the request body; 400 for anything else."""
    if not body.strip():
        return {}
    if content_type and content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        data = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise ApiError(400, {"message": "The request body is not valid JSON."}) from None
    if not isinstance(data, dict):
        raise ApiError(400, {"message": "The request body must be a JSON object."})
    return data


class Validator:
    """Collects errors the way Laravel reports them; `check` raises the 422."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def string(self, field: str, *, required: bool = False, max_len: int = 255) -> str | None:
        value = self.data.get(field)
        label = field.replace("_", " ")
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, f"The {label} field is required.")
            return None
        if not isinstance(value, str):
            self.fail(field, f"The {label} field must be a string.")
            return None
        if len(value) > max_len:
            self.fail(field, f"The {label} field must not be greater than {max_len} characters.")
            return None
        return value

    def phone(self, field: str, *, required: bool = False) -> tuple[str, str] | None:
        """The number as given and in E.164."""
        raw = self.string(field, required=required, max_len=_MAX_PHONE_LEN)
        if raw is None:
            return None
        e164 = ghana_e164(raw.strip())
        if e164 is None:
            self.fail(field, f"The {field.replace('_', ' ')} field must be a valid phone number.")
            return None
        return raw.strip(), e164

    def recipients(self, max_items: int, field: str = "recipient") -> list[tuple[str, str]]:
        """A comma-separated list of at most ``max_items`` numbers, each as given and in E.164.

        Like a Laravel validator, any bad number fails the whole field (the
        request is refused, nothing is processed); a list over ``max_items`` is
        refused with Laravel's ``max`` message before any number is checked.
        """
        raw = self.string(field, required=True, max_len=2**62)  # the count limits it
        if raw is None:
            return []
        numbers = [number for number in map(str.strip, raw.split(",")) if number]
        if len(numbers) > max_items:
            self.fail(field, f"The {field} field must not have more than {max_items} items.")
            return []
        parsed: list[tuple[str, str]] = []
        for number in numbers:
            e164 = ghana_e164(number) if len(number) <= _MAX_PHONE_LEN else None
            if e164 is None:
                shown = number if len(number) <= _MAX_PHONE_LEN else number[:_MAX_PHONE_LEN] + "..."
                self.fail(field, f"The {field} field contains an invalid phone number: {shown}.")
            else:
                parsed.append((number, e164))
        if not numbers:
            self.fail(field, f"The {field} field is required.")
        return parsed

    def email(self, field: str) -> str | None:
        value = self.string(field)
        if value is not None and _EMAIL.fullmatch(value) is None:
            self.fail(field, f"The {field.replace('_', ' ')} field must be a valid email address.")
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise validation_error(self.errors)
