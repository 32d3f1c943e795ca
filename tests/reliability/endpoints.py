"""Every SDK call, with valid arguments, the request it must make and a documented answer.

The fuzz tests drive each `Endpoint` with hostile responses or hostile
arguments; ``path`` is the only URL path the call may ever request.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from velstack_async import AsyncVelstack

from ..core import payloads as p

Call = Callable[[AsyncVelstack, Mapping[str, Any]], Awaitable[object]]

ID = "d565d047-df83-4b33-a498-f9de2aca50e6"
_ID_PATH = r"[A-Za-z0-9][A-Za-z0-9_\-]*"


@attrs.frozen
class Endpoint:
    name: str
    method: str
    #: The path pattern (fullmatch) every request of this call must have.
    path: re.Pattern[str]
    #: Valid keyword arguments; a test replaces some of them.
    args: Mapping[str, Any]
    call: Call
    #: A documented successful response body.
    ok: Mapping[str, Any]
    #: The argument that becomes the last segment of the path, if any.
    id_arg: str | None = None


def _path(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{id}", _ID_PATH))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "sms.send",
        "POST",
        _path("/api/quick/sms"),
        {"recipient": "0205550368", "message": "hello", "sender": "VELSTACK", "title": "Info"},
        lambda c, a: c.sms.send(**a),
        p.QUICK_SMS,
    ),
    Endpoint(
        "sms.send_group",
        "POST",
        _path("/api/group/sms"),
        {"group_id": ID, "message": "hello", "sender": "VELSTACK", "title": "Info"},
        lambda c, a: c.sms.send_group(**a),
        p.GROUP_SMS,
    ),
    Endpoint("groups.list", "GET", _path("/api/group"), {}, lambda c, a: c.groups.list(), p.GROUPS),
    Endpoint(
        "groups.get",
        "GET",
        _path("/api/group/{id}"),
        {"group_id": ID},
        lambda c, a: c.groups.get(**a),
        p.GET_GROUP,
        id_arg="group_id",
    ),
    Endpoint(
        "groups.create",
        "POST",
        _path("/api/group"),
        {"name": "My Group"},
        lambda c, a: c.groups.create(**a),
        p.CREATE_GROUP,
    ),
    Endpoint(
        "groups.update",
        "PUT",
        _path("/api/group/{id}"),
        {"group_id": ID, "name": "Renamed"},
        lambda c, a: c.groups.update(**a),
        p.UPDATE_GROUP,
        id_arg="group_id",
    ),
    Endpoint(
        "groups.delete",
        "DELETE",
        _path("/api/group/{id}"),
        {"group_id": ID},
        lambda c, a: c.groups.delete(**a),
        p.DELETE_GROUP,
        id_arg="group_id",
    ),
    Endpoint(
        "contacts.create",
        "POST",
        _path("/api/contact"),
        {
            "group_id": ID,
            "phone_number": "0205550368",
            "first_name": "Sam",
            "last_name": "Fort",
            "email_address": "sam@velstack.com",
        },
        lambda c, a: c.contacts.create(**a),
        p.CREATE_CONTACT,
    ),
    Endpoint(
        "contacts.list",
        "GET",
        _path("/api/contact"),
        {},
        lambda c, a: c.contacts.list(),
        p.ALL_CONTACTS,
    ),
    Endpoint(
        "contacts.list(group)",
        "GET",
        _path("/api/contact(/{id})?"),  # group_id=None lists every contact
        {"group_id": ID},
        lambda c, a: c.contacts.list(**a),
        p.GROUP_CONTACTS,
        id_arg="group_id",
    ),
    Endpoint(
        "contacts.update",
        "PUT",
        _path("/api/contact/{id}"),
        {"contact_id": ID, "first_name": "Sam", "phone_number": "0205550368"},
        lambda c, a: c.contacts.update(**a),
        p.UPDATE_CONTACT,
        id_arg="contact_id",
    ),
    Endpoint(
        "contacts.delete",
        "DELETE",
        _path("/api/contact/{id}"),
        {"contact_id": ID},
        lambda c, a: c.contacts.delete(**a),
        p.DELETE_CONTACT,
        id_arg="contact_id",
    ),
    Endpoint(
        "sender_ids.register",
        "POST",
        _path("/api/sender/id"),
        {"sender_id": "VELSTACK", "purpose": "Alerts"},
        lambda c, a: c.sender_ids.register(**a),
        p.REGISTER_SENDER_ID,
    ),
)

BY_NAME = {e.name: e for e in ENDPOINTS}
