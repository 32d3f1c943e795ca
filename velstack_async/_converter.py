"""The SDK's one private cattrs converter (never the global one).

`make_converter()` builds it and `configure_converter()` registers every hook,
as cattrs' own ``preconf`` modules do. The hooks absorb the quirks of real
Velstack responses (see NOTES.md): money as ``"47.00"`` or ``1``, recipients
as a list or a comma-separated string, ``"Group"`` with a capital, microsecond
``Z`` timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, override

from ._models import Contact, Group, SenderId, SmsSummary

#: A plain decimal that needs no further checks: at most 30 digits either side of
#: the point, so always finite and inside the range `_structure_decimal` allows.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?")
_DECIMAL_LIMIT = 10**30
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:  # its message repeats the value: it may be message text
            raise ValueError("expected an integer") from None
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_decimal(value: Any, _: type) -> Decimal:
    # Fast paths for the shapes Velstack sends ("47.00", 1); the checks below still apply
    # to everything else.
    if type(value) is str and _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)
    if type(value) is int and -_DECIMAL_LIMIT < value < _DECIMAL_LIMIT:
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not result.is_finite():
        raise ValueError("expected a finite number")
    # No balance is 10**30 credits; 1e999999999 would overflow any sum (decimal.Overflow).
    if result and not -30 <= result.adjusted() <= 30:
        raise ValueError("number out of range")
    return result


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        raise ValueError("expected an ISO 8601 timestamp")
    date, time, fraction, zone = match.groups()
    micro = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if zone in (None, "Z") else zone
    if len(offset) == 5:  # +0000
        offset = offset[:3] + ":" + offset[3:]
    return datetime.fromisoformat(f"{date}T{time}.{micro}{offset}").astimezone(timezone.utc)


def _structure_recipients(value: Any, _: type) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list):
        return tuple(_structure_str(item, str) for item in value)
    raise TypeError(f"expected a list of recipients, got {type(value).__name__}")


def _structure_raw(value: Any, _: type) -> Mapping[str, Any]:
    return value  # type: ignore[no-any-return]  # the untouched response object


def configure_converter(converter: Converter) -> None:
    """Register every hook the SDK's models need on ``converter``."""
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_recipients)
    converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], _structure_raw)
    contact_defaults = dict.fromkeys(
        ("first_name", "last_name", "phone_number", "email_address", "Group")
    )
    for model, overrides, defaults in (
        (Group, {}, {}),
        (Contact, {"group": override(rename="Group")}, contact_defaults),
        (SenderId, {}, {}),
    ):
        structure = make_dict_structure_fn(model, converter, **overrides)  # type: ignore[arg-type]
        converter.register_structure_hook(model, _with_raw(structure, defaults))
    summary = _with_raw(make_dict_structure_fn(SmsSummary, converter), {})
    converter.register_structure_hook(SmsSummary, _sms_summary_hook(summary))


def _with_raw(structure: Any, defaults: Mapping[str, None]) -> Any:
    """Wrap a generated structure function: optional keys may be absent, and the
    model keeps the untouched mapping it came from as ``raw``."""

    def hook(value: Any, cls: type) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return structure({**defaults, **value, "raw": value}, cls)

    return hook


def _sms_summary_hook(generic: Any) -> Any:
    """SmsSummary: `_plain_sms_summary` when it applies, else the generated ``generic``."""

    def hook(value: Any, cls: type) -> Any:
        summary = _plain_sms_summary(value)
        return generic(value, cls) if summary is None else summary

    return hook


def _plain_sms_summary(value: Any) -> SmsSummary | None:
    """The `SmsSummary` of an answer whose fields all have the plain types Velstack
    sends, built directly (once per message of a bulk campaign); None for any other."""
    if type(value) is not dict:
        return None
    message_id = value.get("message_id")
    kind = value.get("type")
    message = value.get("message")
    sender = value.get("sender")
    contacts = value.get("total_contacts")
    recipients = value.get("recipients")
    if (
        type(message_id) is str
        and type(kind) is str
        and type(message) is str
        and type(sender) is str
        and type(contacts) is int
        and type(recipients) is list
        and (
            type(recipients[0]) is str
            if len(recipients) == 1
            else all(type(r) is str for r in recipients)
        )
        and "credit_used" in value
        and "credit_left" in value
    ):
        return SmsSummary(
            message_id,
            kind,
            message,
            sender,
            contacts,
            tuple(recipients),
            _credit(value["credit_used"]),
            _credit(value["credit_left"]),
            value,
        )
    return None


#: Credit figures already converted (Decimals are immutable: shared safely).
_CREDITS: dict[tuple[type, object], Decimal] = {}


def _credit(value: Any) -> Decimal:
    """`_structure_decimal`, remembered: a campaign's answers repeat a few figures."""
    kind = type(value)
    if kind is not str and kind is not int:
        return _structure_decimal(value, Decimal)
    key = (kind, value)
    found = _CREDITS.get(key)
    if found is None:
        found = _structure_decimal(value, Decimal)
        if len(_CREDITS) >= 4096:
            _CREDITS.clear()
        _CREDITS[key] = found
    return found


def make_converter() -> Converter:
    converter = Converter(detailed_validation=False)
    configure_converter(converter)
    return converter


converter = make_converter()
