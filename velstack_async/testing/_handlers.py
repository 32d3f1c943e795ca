"""Routing and the endpoints of velstack-sms-api.txt, with their documented shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

from .._segments import count_segments
from ._numbers import EchoFormat, echo
from ._records import FakeContact, FakeGroup
from ._responses import ApiError, ok
from ._state import Accepted, Store
from ._validation import Validator

__all__ = ["CREDIT_LEFT_STYLES", "Call", "CreditLeftStyle", "SendRules", "route"]

#: How ``credit_left`` is written: as documented ("47.00" for quick SMS and a
#: number for group SMS), always a 2-decimal string, or always a number.
CreditLeftStyle = Literal["documented", "string", "number"]
CREDIT_LEFT_STYLES: tuple[CreditLeftStyle, ...] = ("documented", "string", "number")


@attrs.frozen
class SendRules:
    """How the send endpoints behave (set through `FakeVelstack`'s attributes)."""

    credit_left: CreditLeftStyle = "documented"
    #: Most recipients one quick SMS may name; more is a 422 on ``recipient``.
    max_recipients: int = 1000
    echo_recipients: EchoFormat = "as_sent"
    #: E.164 numbers accepted silently: left out of the send and of its answer.
    drop_from_answer: frozenset[str] = frozenset()


@attrs.frozen
class Call:
    """One authenticated request to an endpoint."""

    store: Store
    key: str
    ident: str
    data: Mapping[str, Any]
    rules: SendRules = SendRules()


Handler = Callable[[Call], dict[str, Any]]

# -- rendering ------------------------------------------------------------------------


def _group(group: FakeGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "members": group.members}


def _contact(contact: FakeContact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone_number": contact.phone_number,
        "email_address": contact.email_address,
        "Group": contact.group_name,
        "added_date": contact.added_date,
    }


def _credit_left(balance: Decimal, style: CreditLeftStyle, group: bool) -> str | int | float:
    if style == "string" or (style == "documented" and not group):
        return f"{balance:.2f}"
    return int(balance) if balance == balance.to_integral_value() else float(balance)


def _summary(call: Call, accepted: Accepted, text: str, sender: str, group: bool) -> dict[str, Any]:
    style = call.rules.echo_recipients
    summary = {
        "message_id": accepted.message_id,
        "type": "Group SMS" if group else "Quick SMS",
        "message": text,
        "sender": sender,
        "total_contacts": len(accepted.recipients),
        "recipients": [echo(raw, e164, style) for raw, e164 in accepted.recipients],
        "credit_used": accepted.credit_used,
        "credit_left": _credit_left(accepted.credit_left, call.rules.credit_left, group),
    }
    return ok("Message sent Successfully", {"summary": summary})


# -- sms ------------------------------------------------------------------------------


def _send(call: Call, group: bool) -> dict[str, Any]:
    v = Validator(call.data)
    sender = v.string("sender", required=True, max_len=11)
    recipients = None if group else v.recipients(call.rules.max_recipients)
    group_id = v.string("group_id", required=True) if group else None
    text = v.string("message", required=True, max_len=100_000)
    title = v.string("title")
    v.check()
    assert sender is not None
    assert text is not None
    sender = sender.upper()
    accepted = call.store.send(
        call.key,
        recipients=recipients,
        group_id=group_id,
        text=text,
        sender=sender,
        title=title,
        segments=count_segments(text).segments,
        skip=call.rules.drop_from_answer,
    )
    return _summary(call, accepted, text, sender, group)


def quick_sms(call: Call) -> dict[str, Any]:
    return _send(call, group=False)


def group_sms(call: Call) -> dict[str, Any]:
    return _send(call, group=True)


# -- groups ---------------------------------------------------------------------------


def list_groups(call: Call) -> dict[str, Any]:
    groups = [_group(g) for g in call.store.groups(call.key)]
    return ok("Showing all groups", {"Summary": groups, "collection": None})


def get_group(call: Call) -> dict[str, Any]:
    return ok("Showing a single group", [_group(call.store.group(call.key, call.ident))])


def _group_name(call: Call, field: str) -> str:
    v = Validator(call.data)
    name = v.string(field, required=True)
    v.check()
    assert name is not None
    return name


def create_group(call: Call) -> dict[str, Any]:
    group = call.store.create_group(call.key, _group_name(call, "group_name"))
    return ok("Group created successfully", _group(group))


def update_group(call: Call) -> dict[str, Any]:
    call.store.group(call.key, call.ident)  # 404 before 422, as route-model binding does
    name = _group_name(call, "group_new_name")
    call.store.rename_group(call.key, call.ident, name)
    return ok(f"Group updated to {name}", None)


def delete_group(call: Call) -> dict[str, Any]:
    call.store.delete_group(call.key, call.ident)
    return ok("Group deleted successfully", None)


# -- contacts -------------------------------------------------------------------------


def _contact_fields(v: Validator, *, creating: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if creating:
        fields["group_id"] = v.string("group_id", required=True)
    phone = v.phone("phone_number", required=creating)
    if phone is not None:
        fields["phone_number"], fields["e164"] = phone
    for name in ("first_name", "last_name"):
        if name in v.data:
            fields[name] = v.string(name)
    if "email_address" in v.data:
        fields["email_address"] = v.email("email_address")
    v.check()
    return fields


def create_contact(call: Call) -> dict[str, Any]:
    contact = call.store.create_contact(
        call.key, _contact_fields(Validator(call.data), creating=True)
    )
    return ok("New contact created successfully", _contact(contact))


def list_contacts(call: Call) -> dict[str, Any]:
    return ok("Showing all contacts", [_contact(c) for c in call.store.contacts(call.key)])


def group_contacts(call: Call) -> dict[str, Any]:
    group = call.store.group(call.key, call.ident)
    results = [_contact(c) for c in call.store.contacts(call.key, group.id)]
    return ok(f"Showing contacts of {group.name.title()}", {"results": results, "contacts": None})


def update_contact(call: Call) -> dict[str, Any]:
    call.store.contact(call.key, call.ident)
    changes = _contact_fields(Validator(call.data), creating=False)
    call.store.update_contact(call.key, call.ident, changes)
    return ok("Contact updated successfully", None)


def delete_contact(call: Call) -> dict[str, Any]:
    call.store.delete_contact(call.key, call.ident)
    return ok("Contact deleted successfully", None)


# -- sender ids -----------------------------------------------------------------------


def register_sender_id(call: Call) -> dict[str, Any]:
    v = Validator(call.data)
    purpose = v.string("purpose", required=True)
    sender_id = v.string("sender_id", required=True, max_len=11)
    v.check()
    assert purpose is not None
    assert sender_id is not None
    record = call.store.register_sender_id(call.key, sender_id, purpose)
    data = {
        "id": record.id,
        "purpose": record.purpose,
        "status": record.status,
        "date": record.date,
    }
    return ok("Id registered successfully", [data])


# -- routing --------------------------------------------------------------------------

_STATIC: dict[str, dict[str, Handler]] = {
    "api/quick/sms": {"POST": quick_sms},
    "api/group/sms": {"POST": group_sms},
    "api/group": {"GET": list_groups, "POST": create_group},
    "api/contact": {"GET": list_contacts, "POST": create_contact},
    "api/sender/id": {"POST": register_sender_id},
}
_WITH_ID: dict[str, dict[str, Handler]] = {
    "api/group": {
        "GET": get_group,
        "PUT": update_group,
        "PATCH": update_group,
        "DELETE": delete_group,
    },
    "api/contact": {
        "GET": group_contacts,
        "PUT": update_contact,
        "PATCH": update_contact,
        "DELETE": delete_contact,
    },
}


def route(method: str, path: str) -> tuple[Handler, str]:
    """The handler and path id for a request; 404 or 405 the way Laravel says it."""
    uri = path.partition("?")[0].strip("/")
    candidates: list[tuple[dict[str, Handler], str]] = []
    if uri in _STATIC:
        candidates.append((_STATIC[uri], ""))
    prefix, _, ident = uri.rpartition("/")
    if ident and prefix in _WITH_ID:
        candidates.append((_WITH_ID[prefix], ident))
    for handlers, ident in candidates:
        handler = handlers.get(method)
        if handler is not None:
            return handler, ident
    if not candidates:
        raise ApiError(404, {"message": f"The route {uri} could not be found."})
    allowed = ", ".join(sorted({m for handlers, _ in candidates for m in handlers}))
    message = f"The {method} method is not supported for route {uri}. Supported methods: {allowed}."
    raise ApiError(405, {"message": message})
