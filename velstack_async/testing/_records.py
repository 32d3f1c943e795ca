"""Immutable snapshots of the fake's state, handed to tests for assertions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

__all__ = ["Duplicate", "FakeContact", "FakeGroup", "FakeSenderId", "MessageType", "SentMessage"]

MessageType = Literal["Quick SMS", "Group SMS"]


@attrs.frozen
class SentMessage:
    """One accepted message to one recipient (a send to 3 numbers logs 3 of these)."""

    message_id: str
    api_key: str
    #: E.164 (``+233205550368``), whatever format the request used.
    recipient: str
    text: str
    #: As echoed by the API: upper-cased.
    sender: str
    title: str | None
    type: MessageType
    segments: int
    #: Credits charged for this recipient (``segments``).
    credits: int
    #: When the fake accepted it (aware, UTC).
    time: datetime


@attrs.frozen
class Duplicate:
    """A (recipient, text) pair delivered more than once."""

    recipient: str
    text: str
    count: int


@attrs.frozen
class FakeGroup:
    """A contact group as the fake holds it (not `velstack_async.Group`, the SDK's model)."""

    id: str
    name: str
    members: int


@attrs.frozen
class FakeContact:
    """A contact as the fake holds it (not `velstack_async.Contact`, the SDK's model)."""

    id: str
    group_id: str
    #: The group's *name*, shown as ``"Group"`` in API responses.
    group_name: str
    first_name: str | None
    last_name: str | None
    #: As given in the request.
    phone_number: str
    email_address: str | None
    added_date: str
    #: ``phone_number`` in E.164, where group SMS deliver.
    e164: str


@attrs.frozen
class FakeSenderId:
    """A registered sender ID (not `velstack_async.SenderId`, the SDK's model).

    Its ``id`` is the sender name itself, as the service answers; unique per account.
    """

    id: str
    purpose: str
    status: str
    date: str
