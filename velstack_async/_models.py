"""The objects Velstack's responses become.

Every model is frozen and slotted, and keeps the untouched response object it
came from in ``raw``, so fields Velstack adds later are never lost. Reprs mask
phone numbers and hide message text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import field, frozen, resolve_types

from ._redact import describe_text, mask_phone

__all__ = ["Contact", "Group", "SenderId", "SmsSummary"]


def _mask_optional_phone(value: str | None) -> str:
    return "None" if value is None else repr(mask_phone(value))


def _mask_phones(values: tuple[str, ...]) -> str:
    return repr(tuple(mask_phone(v) for v in values))


def _raw_field() -> Any:
    return field(factory=dict, eq=False, repr=False)


@frozen
class SmsSummary:
    """What Velstack reports for an accepted quick or group SMS."""

    message_id: str
    type: str
    message: str = field(repr=describe_text)
    sender: str
    total_contacts: int
    recipients: tuple[str, ...] = field(repr=_mask_phones)
    credit_used: Decimal
    credit_left: Decimal
    raw: Mapping[str, Any] = _raw_field()


@frozen
class Group:
    """A contact group."""

    id: str
    name: str
    members: int
    raw: Mapping[str, Any] = _raw_field()


@frozen
class Contact:
    """A contact in a group. ``group`` is the group's *name* (Velstack's ``"Group"`` key)."""

    id: str
    first_name: str | None
    last_name: str | None
    phone_number: str | None = field(repr=_mask_optional_phone)
    email_address: str | None
    group: str | None
    added_date: datetime
    raw: Mapping[str, Any] = _raw_field()


@frozen
class SenderId:
    """A registered sender ID; ``status`` is ``"pending"`` until Velstack approves it."""

    id: str
    purpose: str
    status: str
    date: datetime
    raw: Mapping[str, Any] = _raw_field()


# Annotations are read here, in this module's namespace: `velstack_async` presents these
# classes as its own (``__module__``), and cattrs reads them later, at the first answer.
for _model in (SmsSummary, Group, Contact, SenderId):
    resolve_types(_model)
del _model
