"""Accounts and everything they own: balances, groups, contacts, sender IDs, sends.

Every public method of `Store` is atomic (one short lock section) and raises
`ApiError` for what the service would refuse.
"""

from __future__ import annotations

import collections
import random
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import attrs

from ._log import MessageLog
from ._records import Duplicate, FakeContact, FakeGroup, FakeSenderId, MessageType, SentMessage
from ._responses import ApiError, envelope_error, laravel_time, not_found, validation_error

__all__ = ["Accepted", "Store"]

INSUFFICIENT_BALANCE = "Insufficient balance to complete this message"


@attrs.define
class _Group:
    id: str
    name: str
    contacts: dict[str, FakeContact] = attrs.Factory(dict)

    def snapshot(self) -> FakeGroup:
        return FakeGroup(self.id, self.name, len(self.contacts))


@attrs.define
class _Account:
    api_key: str
    balance: Decimal
    groups: dict[str, _Group] = attrs.Factory(dict)
    contact_groups: dict[str, str] = attrs.Factory(dict)  # contact id -> group id
    sender_ids: dict[str, FakeSenderId] = attrs.Factory(dict)


@attrs.frozen
class Accepted:
    """What a send returns for the response summary."""

    message_id: str
    #: (as given, E.164) of every number accepted.
    recipients: list[tuple[str, str]]
    credit_used: int
    credit_left: Decimal


# How many stores each seed has made in this process: the n-th one draws its ids
# from its own stream, so no two objects of one process share an id (while the
# first store of a seed replays the same ids in every process).
_streams: collections.Counter[int] = collections.Counter()
_streams_lock = threading.Lock()


def _id_stream(seed: int) -> random.Random:
    with _streams_lock:
        n = _streams[seed]
        _streams[seed] += 1
    return random.Random(f"velstack-ids-{seed}" + (f"-{n}" if n else ""))


class Store:
    def __init__(self, *, seed: int, record_messages: bool) -> None:
        self._lock = threading.Lock()
        self._ids = _id_stream(seed)
        self._accounts: dict[str, _Account] = {}
        self.log = MessageLog(record=record_messages)

    # -- helpers (call with the lock held) ---------------------------------------------

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _account(self, key: str) -> _Account:
        try:
            return self._accounts[key]
        except KeyError:
            raise ApiError(401, {"message": "Unauthenticated."}) from None

    def _group(self, key: str, group_id: str) -> _Group:
        group = self._account(key).groups.get(group_id)
        if group is None:
            raise not_found("Group", group_id)
        return group

    def _contact(self, key: str, contact_id: str) -> tuple[_Group, FakeContact]:
        account = self._account(key)
        group_id = account.contact_groups.get(contact_id)
        if group_id is None:
            raise not_found("Contact", contact_id)
        group = account.groups[group_id]
        return group, group.contacts[contact_id]

    # -- accounts ------------------------------------------------------------------------

    def add_account(self, api_key: str | None, balance: Decimal) -> str:
        with self._lock:
            key = api_key or f"vs_test_{self._ids.getrandbits(128):032x}"
            if key in self._accounts:
                raise ValueError("an account with this API key already exists")
            self._accounts[key] = _Account(key, balance)
            return key

    def has_account(self, key: str) -> bool:
        return key in self._accounts

    def balance(self, key: str) -> Decimal:
        with self._lock:
            return self._account(key).balance

    def set_balance(self, key: str, balance: Decimal) -> None:
        with self._lock:
            self._account(key).balance = balance

    # -- groups --------------------------------------------------------------------------

    def create_group(self, key: str, name: str) -> FakeGroup:
        with self._lock:
            group = _Group(self._new_id(), name)
            self._account(key).groups[group.id] = group
            return group.snapshot()

    def groups(self, key: str) -> list[FakeGroup]:
        with self._lock:
            return [g.snapshot() for g in self._account(key).groups.values()]

    def group(self, key: str, group_id: str) -> FakeGroup:
        with self._lock:
            return self._group(key, group_id).snapshot()

    def rename_group(self, key: str, group_id: str, name: str) -> None:
        with self._lock:
            group = self._group(key, group_id)
            group.name = name
            for contact in group.contacts.values():
                group.contacts[contact.id] = attrs.evolve(contact, group_name=name)

    def delete_group(self, key: str, group_id: str) -> None:
        with self._lock:
            group = self._group(key, group_id)
            account = self._account(key)
            for contact_id in group.contacts:
                del account.contact_groups[contact_id]
            del account.groups[group_id]

    # -- contacts ------------------------------------------------------------------------

    def create_contact(self, key: str, fields: Mapping[str, Any]) -> FakeContact:
        """``fields``: group_id, phone_number, e164 and optional names/email."""
        with self._lock:
            account = self._account(key)
            group = account.groups.get(fields["group_id"])
            if group is None:
                raise validation_error({"group_id": ["The selected group id is invalid."]})
            contact = FakeContact(
                id=self._new_id(),
                group_id=group.id,
                group_name=group.name,
                first_name=fields.get("first_name"),
                last_name=fields.get("last_name"),
                phone_number=fields["phone_number"],
                email_address=fields.get("email_address"),
                added_date=laravel_time(datetime.now(timezone.utc)),
                e164=fields["e164"],
            )
            group.contacts[contact.id] = contact
            account.contact_groups[contact.id] = group.id
            return contact

    def contacts(self, key: str, group_id: str | None = None) -> list[FakeContact]:
        with self._lock:
            if group_id is not None:
                return list(self._group(key, group_id).contacts.values())
            account = self._account(key)
            return [account.groups[g].contacts[c] for c, g in account.contact_groups.items()]

    def contact(self, key: str, contact_id: str) -> FakeContact:
        with self._lock:
            return self._contact(key, contact_id)[1]

    def update_contact(self, key: str, contact_id: str, changes: Mapping[str, Any]) -> None:
        with self._lock:
            group, contact = self._contact(key, contact_id)
            group.contacts[contact_id] = attrs.evolve(contact, **changes)

    def delete_contact(self, key: str, contact_id: str) -> None:
        with self._lock:
            group, _ = self._contact(key, contact_id)
            del group.contacts[contact_id]
            del self._account(key).contact_groups[contact_id]

    # -- sender ids ----------------------------------------------------------------------

    def register_sender_id(self, key: str, sender_id: str, purpose: str) -> FakeSenderId:
        with self._lock:
            account = self._account(key)
            if sender_id.upper() in account.sender_ids:
                raise validation_error({"sender_id": ["The sender id has already been taken."]})
            record = FakeSenderId(
                sender_id, purpose, "pending", laravel_time(datetime.now(timezone.utc))
            )
            account.sender_ids[sender_id.upper()] = record
            return record

    def sender_ids(self, key: str) -> list[FakeSenderId]:
        with self._lock:
            return list(self._account(key).sender_ids.values())

    # -- sending -------------------------------------------------------------------------

    def send(
        self,
        key: str,
        *,
        recipients: list[tuple[str, str]] | None = None,
        group_id: str | None = None,
        text: str,
        sender: str,
        title: str | None,
        segments: int,
        skip: frozenset[str] = frozenset(),
    ) -> Accepted:
        """Charge and log a send to ``recipients`` ((as given, E.164) pairs) or a group.

        Numbers whose E.164 form is in ``skip`` are left out silently: not
        charged, not logged, not in the answer (a test switch).
        """
        kind: MessageType = "Quick SMS"
        with self._lock:
            account = self._account(key)
            if group_id is not None:
                kind = "Group SMS"
                group = account.groups.get(group_id)
                if group is None:
                    raise validation_error({"group_id": ["The selected group id is invalid."]})
                if not group.contacts:
                    raise validation_error({"group_id": ["The selected group has no contacts."]})
                recipients = [(c.phone_number, c.e164) for c in group.contacts.values()]
            assert recipients is not None
            if skip:
                recipients = [pair for pair in recipients if pair[1] not in skip]
            cost = segments * len(recipients)
            if account.balance < cost:
                raise envelope_error(403, INSUFFICIENT_BALANCE)
            account.balance -= cost
            message_id = self._new_id()
            self.log.add(
                api_key=key,
                message_id=message_id,
                recipients=[e164 for _, e164 in recipients],
                text=text,
                sender=sender,
                title=title,
                type=kind,
                segments=segments,
                time=datetime.now(timezone.utc),
            )
            return Accepted(message_id, recipients, cost, account.balance)

    # -- the message log -----------------------------------------------------------------

    def messages(self, api_key: str | None = None) -> list[SentMessage]:
        with self._lock:
            return self.log.messages(api_key)

    def duplicates(self) -> list[Duplicate]:
        with self._lock:
            return self.log.duplicates()

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
